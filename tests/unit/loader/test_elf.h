// Crafted ELF files for the loader tests: a valid minimal static executable that each test
// breaks in one place.
#pragma once

#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ms::loader::testing {

struct TestElf {
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;  // written at ehdr.e_phoff; e_phnum is not derived from it
  std::vector<std::pair<uint64_t, std::string>> blobs;  // extra bytes at file offsets
  uint64_t size = 0x2000;                               // the file is cut (or padded) to this

  // Appends a program header and counts it in e_phnum.
  Elf64_Phdr& add(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                  uint64_t memsz) {
    phdrs.push_back({.p_type = type,
                     .p_flags = flags,
                     .p_offset = offset,
                     .p_vaddr = vaddr,
                     .p_paddr = vaddr,
                     .p_filesz = filesz,
                     .p_memsz = memsz,
                     .p_align = 0x1000});
    ehdr.e_phnum = static_cast<uint16_t>(phdrs.size());
    return phdrs.back();
  }

  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out(size);
    auto put = [&](uint64_t offset, const void* data, uint64_t len) {
      if (offset >= out.size()) return;
      std::memcpy(out.data() + offset, data, std::min<uint64_t>(len, out.size() - offset));
    };
    put(0, &ehdr, sizeof(ehdr));
    for (size_t i = 0; i < phdrs.size() && ehdr.e_phoff < size; ++i) {  // no wrapping
      put(ehdr.e_phoff + i * sizeof(Elf64_Phdr), &phdrs[i], sizeof(Elf64_Phdr));
    }
    for (const auto& [offset, data] : blobs)
      put(offset, data.data(), data.size());
    return out;
  }
};

// ET_EXEC, x86-64: the headers in a read-only page at 0x400000, code at 0x401000.
inline TestElf minimal_elf() {
  TestElf elf;
  std::memcpy(elf.ehdr.e_ident, ELFMAG, SELFMAG);
  elf.ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  elf.ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  elf.ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  elf.ehdr.e_type = ET_EXEC;
  elf.ehdr.e_machine = EM_X86_64;
  elf.ehdr.e_version = EV_CURRENT;
  elf.ehdr.e_entry = 0x401000;
  elf.ehdr.e_phoff = sizeof(Elf64_Ehdr);
  elf.ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  elf.ehdr.e_phentsize = sizeof(Elf64_Phdr);
  elf.add(PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200);
  elf.add(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100);
  return elf;
}

}  // namespace ms::loader::testing
