#include "sentry/kernel/exec.h"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "base/host_mapping.h"
#include "base/unique_fd.h"
#include "fs/vfs.h"
#include "loader/elf_parser.h"
#include "loader/initial_stack.h"
#include "loader/load_plan.h"
#include "sentry/kernel/kernel.h"

namespace ms::kernel {
namespace {

using mm::kPageSize;
using mm::page_down;
using mm::page_up;

// Linux's ELF_ET_DYN_BASE on x86-64: where a dynamically linked PIE goes.
constexpr uint64_t kDynBase = 0x555555554000;
constexpr uint64_t kMiB = 1ULL << 20;

struct OpenedFile {
  HostMapping map;
  std::string path;  // in the guest's tree
};

std::unexpected<ExecError> exec_error(int err, std::string reason = {}) {
  return std::unexpected(ExecError{err, reason.empty() ? std::strerror(err) : std::move(reason)});
}

// The program (or its interpreter), found and opened through the guest's VFS as execve
// does: search permission on the way, a regular file with execute permission on a mount
// that allows it, then mapped read-only into the sentry for the loader.
std::expected<OpenedFile, ExecError> open_found(Kernel& kernel, const fs::Caller& c,
                                                const fs::Path& found) {
  // Only execveat's AT_SYMLINK_NOFOLLOW leaves a symlink here.
  if (found.inode().is_symlink()) return exec_error(ELOOP, "a symbolic link");
  if (found.inode().is_dir()) return exec_error(EACCES, "is a directory");
  if (!found.inode().is_reg()) return exec_error(EACCES, "not a regular file");
  auto file = kernel.vfs().open_path(c, found,
                                     fs::OpenHow{.flags = O_RDONLY | fs::kLargeFile, .exec = true});
  if (!file) return exec_error(errno_value(file.error()));
  auto st = (*file)->stat();
  if (!st) return exec_error(errno_value(st.error()));
  if (st->size == 0) return exec_error(ENOEXEC, "empty file");
  auto target = (*file)->mmap_target(false);
  if (!target) return exec_error(EACCES, "cannot be mapped");
  void* p = ::mmap(nullptr, st->size, PROT_READ, MAP_PRIVATE, target->host_fd, 0);
  if (p == MAP_FAILED) return exec_error(errno);
  return OpenedFile{HostMapping(p, st->size),
                    fs::Vfs::path_string((*file)->path(), c.fs.root, /*deleted_suffix=*/false)};
}

std::expected<OpenedFile, ExecError> open_executable(Kernel& kernel, const fs::Caller& c,
                                                     const std::string& path) {
  auto found = kernel.vfs().resolve(c, c.fs.cwd, path, fs::kFollow);
  if (!found) return exec_error(errno_value(found.error()));
  return open_found(kernel, c, *found);
}

// Maps the plan's pages and fills them from the file. Pages are mapped with their final
// protection and filled through it: nothing is ever writable that should not be.
Result<void> apply_plan(mm::MemoryManager& mm, const loader::LoadPlan& plan,
                        std::span<const std::byte> file) {
  for (const auto& step : plan.maps) {
    TRY(mm.map(mm::Vma{.start = step.addr,
                       .end = step.addr + step.len,
                       .prot = step.prot,
                       .flags = MAP_PRIVATE | MAP_ANONYMOUS}));
  }
  for (const auto& copy : plan.copies) {
    TRY(mm.address_space().write_force(copy.addr, file.subspan(copy.file_offset, copy.len)));
  }
  return {};
}

uint64_t random_pages(Kernel& k, uint64_t max_bytes) {
  if (!k.options().randomize) return 0;
  return (k.random_u64() % (max_bytes / kPageSize)) * kPageSize;
}

// The host kernel's own auxv value: glibc's getauxval() rewrites AT_HWCAP, so read the
// vector the kernel gave the sentry. These are CPU facts, the same for every process.
uint64_t host_auxv(uint64_t type) {
  static const std::vector<std::pair<uint64_t, uint64_t>> entries = [] {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    UniqueFd fd(::open("/proc/self/auxv", O_RDONLY | O_CLOEXEC));
    uint64_t pair[2];
    while (fd && ::read(fd.get(), pair, sizeof(pair)) == sizeof(pair) && pair[0] != AT_NULL) {
      out.emplace_back(pair[0], pair[1]);
    }
    return out;
  }();
  for (const auto& [t, v] : entries) {
    if (t == type) return v;
  }
  return getauxval(type);
}

std::unexpected<ExecError> enoexec(const std::string& reason) {
  return std::unexpected(ExecError{ENOEXEC, reason});
}

// binfmt_script's limits: the `#!` line is read from the first 256 bytes, and a script may
// name a script as its interpreter only so many times.
constexpr size_t kScriptLineMax = 256;
constexpr int kMaxInterpreterDepth = 4;

struct ScriptLine {
  std::string interpreter;
  std::optional<std::string> argument;
};

// The interpreter and its one optional argument (everything after it, trailing blanks
// removed), or nullopt when the file does not start with "#!".
std::optional<std::expected<ScriptLine, ExecError>> parse_script_line(
    std::span<const std::byte> file) {
  const std::string_view head(reinterpret_cast<const char*>(file.data()),
                              std::min(file.size(), kScriptLineMax));
  if (!head.starts_with("#!")) return std::nullopt;
  std::string_view line = head.substr(2, head.find('\n') - 2);
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!line.empty() && blank(line.front()))
    line.remove_prefix(1);
  while (!line.empty() && (blank(line.back()) || line.back() == '\0'))
    line.remove_suffix(1);
  const size_t end = std::min(line.find_first_of(" \t"), line.size());
  ScriptLine out{std::string(line.substr(0, end)), std::nullopt};
  if (out.interpreter.empty())
    return std::unexpected(ExecError{ENOEXEC, "no interpreter after #!"});
  std::string_view rest = line.substr(end);
  while (!rest.empty() && blank(rest.front()))
    rest.remove_prefix(1);
  if (!rest.empty()) out.argument = std::string(rest);
  return out;
}

}  // namespace

std::expected<NewImage, ExecError> load_image(Kernel& kernel, const ExecRequest& request,
                                              const Credentials& creds) {
  const fs::Caller caller{creds, *request.fs, request.pid, request.pid};
  std::vector<std::string> argv = request.argv;
  std::string path = request.path;
  std::expected<OpenedFile, ExecError> file = std::unexpected(ExecError{});
  for (int depth = 0;; ++depth) {
    file = depth == 0 && request.found ? open_found(kernel, caller, *request.found)
                                       : open_executable(kernel, caller, path);
    if (!file) {
      ExecError e = file.error();
      e.program_missing = depth == 0 && e.err == ENOENT;
      if (depth > 0) e.reason = "interpreter " + path + ": " + e.reason;
      return std::unexpected(e);
    }
    auto script = parse_script_line(file->map.bytes());
    if (!script) break;
    if (!*script) return std::unexpected(script->error());
    if (depth == 0 && request.path_inaccessible) {
      return std::unexpected(
          ExecError{ENOENT, "a script run from a close-on-exec descriptor cannot be reopened"});
    }
    if (depth == kMaxInterpreterDepth) {
      return std::unexpected(ExecError{ELOOP, "too many levels of #! interpreters"});
    }
    // The interpreter runs with the script's path in place of argv[0].
    std::vector<std::string> next{(*script)->interpreter};
    if ((*script)->argument) next.push_back(*(*script)->argument);
    next.push_back(path);
    if (argv.size() > 1) next.insert(next.end(), argv.begin() + 1, argv.end());
    argv = std::move(next);
    path = (*script)->interpreter;
  }
  auto image = loader::parse_elf(file->map.bytes());
  if (!image) return enoexec(image.error());

  std::optional<OpenedFile> interp_file;
  std::optional<loader::ElfImage> interp;
  if (image->interpreter) {
    auto f = open_executable(kernel, caller, *image->interpreter);
    if (!f) {
      return std::unexpected(
          ExecError{f.error().err, "interpreter " + *image->interpreter + ": " + f.error().reason});
    }
    auto parsed = loader::parse_elf(f->map.bytes());
    if (!parsed) {
      return enoexec("interpreter " + *image->interpreter + ": " + parsed.error());
    }
    interp_file = std::move(*f);
    interp = std::move(*parsed);
  }

  auto fail_with = [](Errno e) {
    return std::unexpected(ExecError{errno_value(e), std::strerror(errno_value(e))});
  };
  auto thread = kernel.platform().new_process();
  if (!thread) return fail_with(thread.error());
  auto mm =
      std::make_shared<mm::MemoryManager>((*thread)->address_space(), kernel.platform().layout());

  // The layout, top down: a gap under the stub, the stack, a gap, then mmap space.
  mm::AddressLayout layout;
  const uint64_t stack_size = page_up(std::max<uint64_t>(request.stack_limit, 128 * 1024));
  layout.stack_top = page_down(mm->guest_top() - kMiB - random_pages(kernel, 64 * kMiB));
  layout.stack_bottom = layout.stack_top - stack_size;
  layout.mmap_base = layout.stack_bottom - 128 * kMiB - random_pages(kernel, 256 * kMiB);
  mm->set_layout(layout);

  uint64_t bias = 0;
  if (image->position_independent) {
    const uint64_t span = image->highest_vaddr - image->lowest_vaddr;
    if (image->interpreter) {
      bias = kDynBase + random_pages(kernel, 256 * kMiB) - image->lowest_vaddr;
    } else {
      auto at = mm->choose_address(0, span);
      if (!at) return fail_with(at.error());
      bias = *at - image->lowest_vaddr;
    }
  }
  const loader::LoadPlan plan = loader::plan_load(*image, bias);
  if (auto r = apply_plan(*mm, plan, file->map.bytes()); !r) return fail_with(r.error());

  uint64_t entry = plan.entry;
  uint64_t interp_base = 0;
  if (interp) {
    const uint64_t span = interp->highest_vaddr - interp->lowest_vaddr;
    auto at = mm->choose_address(0, span);
    if (!at) return fail_with(at.error());
    const loader::LoadPlan iplan = loader::plan_load(*interp, *at - interp->lowest_vaddr);
    if (auto r = apply_plan(*mm, iplan, interp_file->map.bytes()); !r) {
      return fail_with(r.error());
    }
    interp_base = iplan.start;
    entry = iplan.entry;
  }

  layout.brk_start = plan.end + random_pages(kernel, 32 * kMiB);
  mm->set_layout(layout);

  const int stack_prot = PROT_READ | PROT_WRITE | (image->executable_stack ? PROT_EXEC : 0);
  if (auto r = mm->map(mm::Vma{.start = layout.stack_bottom,
                               .end = layout.stack_top,
                               .prot = stack_prot,
                               .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
                               .name = "[stack]"});
      !r) {
    return fail_with(r.error());
  }

  loader::StackRequest sr;
  sr.stack_top = layout.stack_top;
  sr.stack_size = stack_size;
  sr.argv = std::move(argv);
  sr.envp = request.envp;
  sr.execfn = request.path;
  sr.platform = "x86_64";
  kernel.random_bytes(std::as_writable_bytes(std::span(sr.random)));
  sr.auxv = {
      {AT_MINSIGSTKSZ, host_auxv(AT_MINSIGSTKSZ)},
      {AT_HWCAP, host_auxv(AT_HWCAP)},
      {AT_PAGESZ, kPageSize},
      {AT_CLKTCK, 100},
      {AT_PHDR, plan.phdr_addr},
      {AT_PHENT, image->phentsize},
      {AT_PHNUM, image->phnum},
      {AT_BASE, interp_base},
      {AT_FLAGS, 0},
      {AT_ENTRY, plan.entry},
      {AT_UID, creds.ruid},
      {AT_EUID, creds.euid},
      {AT_GID, creds.rgid},
      {AT_EGID, creds.egid},
      {AT_SECURE, 0},
      {AT_HWCAP2, host_auxv(AT_HWCAP2)},
  };
  auto stack = loader::build_initial_stack(sr);
  if (!stack) return std::unexpected(ExecError{E2BIG, stack.error()});
  if (auto r = mm->copy_out(stack->base, stack->bytes); !r) return fail_with(r.error());
  layout.arg_start = stack->argv_start;
  layout.arg_end = stack->argv_end;
  layout.env_start = stack->envp_start;
  layout.env_end = stack->envp_end;
  mm->set_layout(layout);

  auto regs = (*thread)->regs();
  if (!regs) return fail_with(regs.error());
  platform::Regs& r = **regs;
  const platform::Regs keep = r;
  std::memset(&r, 0, sizeof(r));
  r.cs = keep.cs;
  r.ss = keep.ss;
  r.ds = keep.ds;
  r.es = keep.es;
  r.rip = entry;
  r.rsp = stack->sp;
  r.eflags = 0x200;  // interrupts enabled, as start_thread() leaves it
  r.orig_rax = ~0ULL;
  (*thread)->set_regs_dirty();
  return NewImage{std::move(*thread), std::move(mm), file->path};
}

}  // namespace ms::kernel
