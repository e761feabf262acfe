// What the loader needs to know about an executable, parsed and validated from its bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ms::loader {

// One PT_LOAD segment, in file/link-time addresses (add the load bias for ET_DYN).
struct Segment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t filesz = 0;
  uint64_t offset = 0;
  int prot = 0;  // PROT_READ | PROT_WRITE | PROT_EXEC from p_flags
};

struct ElfImage {
  bool position_independent = false;  // ET_DYN: needs a load bias
  uint64_t entry = 0;
  // Where the program headers are in memory (link-time address; PT_PHDR if present, else
  // where the PT_LOAD whose file bytes hold e_phoff maps them), 0 if they are not mapped.
  uint64_t phdr_vaddr = 0;
  uint16_t phnum = 0;
  uint16_t phentsize = 0;
  std::vector<Segment> segments;           // PT_LOAD with memsz > 0, ascending, disjoint
  std::optional<std::string> interpreter;  // PT_INTERP
  bool executable_stack = false;  // PT_GNU_STACK with PF_X (true when PT_GNU_STACK is absent)
  uint64_t lowest_vaddr = 0;      // page-aligned down
  uint64_t highest_vaddr = 0;     // page-aligned up: end of the last segment's memory
};

}  // namespace ms::loader
