// How an ElfImage becomes memory: which page ranges to map with which protections, and which
// file bytes to copy where. Pure data, so that it can be checked without a guest.
#pragma once

#include <cstdint>
#include <vector>

#include "loader/elf_image.h"

namespace ms::loader {

struct MapStep {
  uint64_t addr = 0;  // page aligned
  uint64_t len = 0;   // page aligned
  int prot = 0;       // final protection
};

struct CopyStep {
  uint64_t addr = 0;         // destination in guest memory
  uint64_t file_offset = 0;  // source in the file
  uint64_t len = 0;
};

struct LoadPlan {
  uint64_t bias = 0;             // added to every link-time address (0 for ET_EXEC)
  std::vector<MapStep> maps;     // disjoint, ascending; anonymous private zero-filled memory
  std::vector<CopyStep> copies;  // file bytes to place after mapping (bytes beyond are zero)
  uint64_t entry = 0;            // bias + e_entry
  uint64_t phdr_addr = 0;        // bias + phdr_vaddr (0 if not mapped)
  uint64_t start = 0;            // lowest mapped address
  uint64_t end = 0;              // end of the highest mapping: where brk starts for the main image
};

// Where pages are shared by two segments, the later segment's protection wins, as in Linux.
// `image` is as parse_elf() returns it (segments ascending, not overlapping); `bias` is page
// aligned and keeps every biased address below TASK_SIZE (0 for ET_EXEC).
LoadPlan plan_load(const ElfImage& image, uint64_t bias);

}  // namespace ms::loader
