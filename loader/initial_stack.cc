#include "loader/initial_stack.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace ms::loader {
namespace {

constexpr uint64_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN, NUL included
constexpr uint64_t kArgMax = 32 * 4096;        // ARG_MAX: the floor of the strings' budget
constexpr uint64_t kStkLim = 8 << 20;          // _STK_LIM

using Fail = std::unexpected<std::string>;

Fail too_long() {
  return Fail("argument list too long");
}

// The strings as the guest will see them: C strings, cut at an embedded NUL as the kernel's
// strnlen would.
std::vector<std::string_view> c_strings(const std::vector<std::string>& strings) {
  std::vector<std::string_view> views;
  views.reserve(strings.size());
  for (const std::string& s : strings)
    views.emplace_back(s.c_str());
  return views;
}

// bprm_stack_limits() + copy_strings(): the strings and their pointers may take a quarter of
// the stack rlimit (stack_size here), at most 3/4 of _STK_LIM, at least ARG_MAX.
std::expected<void, std::string> check_limits(uint64_t stack_size, size_t argc, size_t envc,
                                              uint64_t strings_size) {
  uint64_t limit = std::max(std::min(kStkLim / 4 * 3, stack_size / 4), kArgMax);
  // Linux reserves a pointer for the "" it adds when argv is empty.
  const uint64_t pointers = (std::max<uint64_t>(argc, 1) + envc) * sizeof(uint64_t);
  if (limit <= pointers) return too_long();
  limit -= pointers;
  if (strings_size > limit) return too_long();
  return {};
}

uint64_t align_down_16(uint64_t v) {
  return v & ~uint64_t{15};
}

// Writes into the stack image by guest address.
class Writer {
 public:
  Writer(uint64_t base, std::vector<std::byte>& bytes) : base_(base), bytes_(bytes) {}
  void put(uint64_t addr, const void* data, size_t len) {
    std::memcpy(bytes_.data() + (addr - base_), data, len);
  }
  void put_u64(uint64_t addr, uint64_t value) { put(addr, &value, sizeof(value)); }
  // The image starts zero-filled, so the NUL after s is already in place.
  void put_string(uint64_t addr, std::string_view s) { put(addr, s.data(), s.size()); }

 private:
  uint64_t base_;
  std::vector<std::byte>& bytes_;
};

// The request's auxv with AT_RANDOM, AT_EXECFN and AT_PLATFORM at create_elf_tables()'s
// places, then AT_NULL.
std::vector<std::pair<uint64_t, uint64_t>> full_auxv(const StackRequest& request,
                                                     uint64_t random_addr, uint64_t execfn_addr,
                                                     uint64_t platform_addr) {
  const bool has_hwcap2 =
      std::ranges::any_of(request.auxv, [](const auto& entry) { return entry.first == AT_HWCAP2; });
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
  auxv.reserve(request.auxv.size() + 4);
  bool random_done = false;
  bool names_done = false;
  auto add_random = [&] {
    auxv.emplace_back(AT_RANDOM, random_addr);
    random_done = true;
  };
  auto add_names = [&] {
    auxv.emplace_back(AT_EXECFN, execfn_addr);
    auxv.emplace_back(AT_PLATFORM, platform_addr);
    names_done = true;
  };
  for (const auto& entry : request.auxv) {
    auxv.push_back(entry);
    if (entry.first == AT_SECURE && !random_done) {
      add_random();
      if (!has_hwcap2) add_names();
    } else if (entry.first == AT_HWCAP2 && !names_done) {
      add_names();
    }
  }
  if (!random_done) add_random();
  if (!names_done) add_names();
  auxv.emplace_back(AT_NULL, 0);
  return auxv;
}

}  // namespace

std::expected<InitialStack, std::string> build_initial_stack(const StackRequest& request) {
  std::vector<std::string_view> argv = c_strings(request.argv);
  const std::vector<std::string_view> envp = c_strings(request.envp);
  const std::string_view execfn = request.execfn.c_str();
  const std::string_view platform = request.platform.c_str();

  // Every string with its NUL, in copy order: execfn, envp, argv (each list from its end).
  uint64_t strings_size = 0;
  auto count = [&](std::string_view s) {
    if (s.size() + 1 > kMaxArgStrlen) return false;
    strings_size += s.size() + 1;  // bounded: at most (argc + envc + 1) * 128 KiB
    return true;
  };
  if (!count(execfn)) return too_long();
  for (std::string_view s : envp) {
    if (!count(s)) return too_long();
  }
  for (std::string_view s : argv) {
    if (!count(s)) return too_long();
  }
  // As do_execveat_common(): an empty argv gets "" so that argv[0] always exists.
  if (argv.empty()) {
    argv.emplace_back("");
    strings_size += 1;
  }
  if (auto ok = check_limits(request.stack_size, request.argv.size(), envp.size(), strings_size);
      !ok) {
    return Fail(ok.error());
  }

  // Depths below stack_top (16-byte aligned, being page aligned), so that nothing here can
  // wrap before the result is known to fit.
  const uint64_t execfn_depth = sizeof(uint64_t) + execfn.size() + 1;  // below the end marker
  const uint64_t strings_depth = sizeof(uint64_t) + strings_size;
  const uint64_t platform_depth = ((strings_depth + 15) & ~uint64_t{15}) + platform.size() + 1;
  const uint64_t random_depth = platform_depth + request.random.size();
  const uint64_t auxv_words = 2 * (request.auxv.size() + 4);
  const uint64_t table_words = 1 + (argv.size() + 1) + (envp.size() + 1) + auxv_words;
  const uint64_t sp_depth = (random_depth + table_words * sizeof(uint64_t) + 15) & ~uint64_t{15};
  if (sp_depth > request.stack_size || sp_depth > request.stack_top) return too_long();

  const uint64_t top = request.stack_top;
  InitialStack stack;
  stack.sp = top - sp_depth;
  stack.base = stack.sp;
  stack.bytes.resize(sp_depth);
  Writer out(stack.base, stack.bytes);

  const uint64_t execfn_addr = top - execfn_depth;
  out.put_string(execfn_addr, execfn);
  // copy_strings() works down from the end of each list, so each list ascends in memory.
  uint64_t p = execfn_addr;
  std::vector<uint64_t> envp_addrs(envp.size());
  stack.envp_end = p;
  for (size_t i = envp.size(); i-- > 0;) {
    p -= envp[i].size() + 1;
    envp_addrs[i] = p;
    out.put_string(p, envp[i]);
  }
  stack.envp_start = p;
  stack.argv_end = p;
  std::vector<uint64_t> argv_addrs(argv.size());
  for (size_t i = argv.size(); i-- > 0;) {
    p -= argv[i].size() + 1;
    argv_addrs[i] = p;
    out.put_string(p, argv[i]);
  }
  stack.argv_start = p;

  // arch_align_stack() without its random shift: deterministic runs need none.
  const uint64_t platform_addr = align_down_16(p) - (platform.size() + 1);
  out.put_string(platform_addr, platform);
  const uint64_t random_addr = platform_addr - request.random.size();
  out.put(random_addr, request.random.data(), request.random.size());

  uint64_t slot = stack.sp;
  out.put_u64(slot, argv.size());
  slot += sizeof(uint64_t);
  for (uint64_t addr : argv_addrs) {
    out.put_u64(slot, addr);
    slot += sizeof(uint64_t);
  }
  slot += sizeof(uint64_t);  // NULL
  for (uint64_t addr : envp_addrs) {
    out.put_u64(slot, addr);
    slot += sizeof(uint64_t);
  }
  slot += sizeof(uint64_t);  // NULL
  for (const auto& [type, value] : full_auxv(request, random_addr, execfn_addr, platform_addr)) {
    out.put_u64(slot, type);
    out.put_u64(slot + sizeof(uint64_t), value);
    slot += 2 * sizeof(uint64_t);
  }
  return stack;
}

}  // namespace ms::loader
