// Page arithmetic for the loader (x86-64 base pages). page_up() wraps for addresses in the
// last page of the 64-bit space: callers keep addresses below TASK_SIZE.
#pragma once

#include <cstdint>

namespace ms::loader {

inline constexpr uint64_t kPageSize = 4096;

constexpr uint64_t page_down(uint64_t addr) {
  return addr & ~(kPageSize - 1);
}
constexpr uint64_t page_up(uint64_t addr) {
  return page_down(addr + kPageSize - 1);
}
constexpr uint64_t page_offset(uint64_t addr) {
  return addr & (kPageSize - 1);
}

}  // namespace ms::loader
