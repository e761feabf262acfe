#include "loader/elf_parser.h"

#include <elf.h>
#include <sys/mman.h>

#include <cstring>
#include <optional>
#include <string>

#include "loader/page.h"

namespace ms::loader {
namespace {

// x86-64's TASK_SIZE with 4-level paging: no user mapping may reach it.
constexpr uint64_t kTaskSize = 0x7ffffffff000;
constexpr uint64_t kPathMax = 4096;
// load_elf_phdrs() refuses program header tables larger than one page (and 64 KiB).
constexpr uint64_t kMaxPhdrTableSize = kPageSize;

using Fail = std::unexpected<std::string>;

// Copies a T out of the file; the caller has checked that [offset, offset+sizeof(T)) is
// inside it. memcpy because the file bytes carry no alignment guarantee.
template <class T>
T read_at(std::span<const std::byte> file, uint64_t offset) {
  T value;
  std::memcpy(&value, file.data() + offset, sizeof(T));
  return value;
}

// True when [offset, offset+len) lies inside the file, without overflowing.
bool in_file(std::span<const std::byte> file, uint64_t offset, uint64_t len) {
  uint64_t end = 0;
  return !__builtin_add_overflow(offset, len, &end) && end <= file.size();
}

int prot_from_flags(uint32_t flags) {
  int prot = 0;
  if (flags & PF_R) prot |= PROT_READ;
  if (flags & PF_W) prot |= PROT_WRITE;
  if (flags & PF_X) prot |= PROT_EXEC;
  return prot;
}

std::expected<void, std::string> check_header(std::span<const std::byte> file) {
  if (file.size() < SELFMAG || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0) {
    return Fail("not an ELF file");
  }
  if (file.size() < sizeof(Elf64_Ehdr)) return Fail("truncated ELF header");
  const auto ehdr = read_at<Elf64_Ehdr>(file, 0);
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64) return Fail("not a 64-bit ELF file");
  if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB) return Fail("not a little-endian ELF file");
  if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
    return Fail("not an executable (ELF type " + std::to_string(ehdr.e_type) + ")");
  }
  if (ehdr.e_machine != EM_X86_64) return Fail("not an x86-64 executable");
  return {};
}

std::expected<Segment, std::string> check_load(std::span<const std::byte> file,
                                               const Elf64_Phdr& phdr) {
  if (phdr.p_filesz > phdr.p_memsz) return Fail("segment file size larger than memory size");
  // Linux never reads a segment's bytes when p_filesz is 0, so its offset may lie anywhere.
  if (phdr.p_filesz > 0 && !in_file(file, phdr.p_offset, phdr.p_filesz)) {
    return Fail("segment extends past the end of the file");
  }
  // Linux maps file pages at memory pages: an incongruent segment fails there with EINVAL.
  if (page_offset(phdr.p_offset) != page_offset(phdr.p_vaddr)) {
    return Fail("segment offset and address not congruent modulo page size");
  }
  uint64_t end = 0;
  // kTaskSize is page aligned, so the page-rounded end is below it too.
  if (__builtin_add_overflow(phdr.p_vaddr, phdr.p_memsz, &end) || end > kTaskSize) {
    return Fail("segment address out of range");
  }
  return Segment{.vaddr = phdr.p_vaddr,
                 .memsz = phdr.p_memsz,
                 .filesz = phdr.p_filesz,
                 .offset = phdr.p_offset,
                 .prot = prot_from_flags(phdr.p_flags)};
}

std::expected<std::string, std::string> read_interpreter(std::span<const std::byte> file,
                                                         const Elf64_Phdr& phdr) {
  // As load_elf_binary(): at least one character and its NUL, at most PATH_MAX bytes.
  if (phdr.p_filesz < 2 || phdr.p_filesz > kPathMax ||
      !in_file(file, phdr.p_offset, phdr.p_filesz)) {
    return Fail("bad interpreter path");
  }
  const auto* chars = reinterpret_cast<const char*>(file.data() + phdr.p_offset);
  if (chars[phdr.p_filesz - 1] != '\0') return Fail("bad interpreter path");
  std::string path(chars);  // stops at the first NUL, as open_exec() would
  if (path.empty()) return Fail("bad interpreter path");
  return path;
}

}  // namespace

std::expected<ElfImage, std::string> parse_elf(std::span<const std::byte> file) {
  if (auto ok = check_header(file); !ok) return Fail(ok.error());
  const auto ehdr = read_at<Elf64_Ehdr>(file, 0);

  if (ehdr.e_phentsize != sizeof(Elf64_Phdr)) return Fail("bad program header size");
  if (ehdr.e_phnum == 0) return Fail("no program headers");
  const uint64_t table_size = uint64_t{ehdr.e_phnum} * sizeof(Elf64_Phdr);
  if (table_size > kMaxPhdrTableSize) return Fail("too many program headers");
  if (!in_file(file, ehdr.e_phoff, table_size)) {
    return Fail("program headers extend past the end of the file");
  }

  ElfImage image;
  image.position_independent = ehdr.e_type == ET_DYN;
  image.entry = ehdr.e_entry;
  image.phnum = ehdr.e_phnum;
  image.phentsize = ehdr.e_phentsize;
  // Linux's default on x86-64 when PT_GNU_STACK is absent.
  image.executable_stack = true;

  std::optional<uint64_t> pt_phdr;
  std::optional<uint64_t> phdr_in_load;
  for (uint16_t i = 0; i < ehdr.e_phnum; ++i) {
    const auto phdr = read_at<Elf64_Phdr>(file, ehdr.e_phoff + i * sizeof(Elf64_Phdr));
    switch (phdr.p_type) {
      case PT_LOAD: {
        auto segment = check_load(file, phdr);
        if (!segment) return Fail(segment.error());
        // As load_elf_binary(): the table is mapped where the segment holding e_phoff maps it.
        if (phdr.p_offset <= ehdr.e_phoff && ehdr.e_phoff - phdr.p_offset < phdr.p_filesz) {
          phdr_in_load = phdr.p_vaddr + (ehdr.e_phoff - phdr.p_offset);
        }
        // An empty segment maps nothing in Linux's elf_load(); keeping it out makes the
        // ordering checks and the load plan simpler.
        if (segment->memsz == 0) break;
        if (!image.segments.empty()) {
          const Segment& prev = image.segments.back();
          if (segment->vaddr < prev.vaddr) return Fail("segments not in ascending order");
          if (segment->vaddr < prev.vaddr + prev.memsz) return Fail("segments overlap");
        }
        image.segments.push_back(*segment);
        break;
      }
      case PT_INTERP: {
        if (image.interpreter) return Fail("more than one interpreter");
        auto path = read_interpreter(file, phdr);
        if (!path) return Fail(path.error());
        image.interpreter = std::move(*path);
        break;
      }
      case PT_PHDR:
        if (!pt_phdr) pt_phdr = phdr.p_vaddr;
        break;
      case PT_GNU_STACK:
        image.executable_stack = (phdr.p_flags & PF_X) != 0;
        break;
      default:
        break;
    }
  }

  if (image.segments.empty()) return Fail("no loadable segments");
  bool entry_ok = false;
  for (const Segment& s : image.segments) {
    if ((s.prot & PROT_EXEC) && s.vaddr <= image.entry && image.entry - s.vaddr < s.memsz) {
      entry_ok = true;
      break;
    }
  }
  if (!entry_ok) return Fail("entry point outside the executable segments");

  image.phdr_vaddr = pt_phdr.value_or(phdr_in_load.value_or(0));
  image.lowest_vaddr = page_down(image.segments.front().vaddr);
  const Segment& last = image.segments.back();
  image.highest_vaddr = page_up(last.vaddr + last.memsz);
  return image;
}

}  // namespace ms::loader
