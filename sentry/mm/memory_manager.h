// A guest address space as the sentry models it: the VMA list, brk, the mmap layout, and
// checked copies. Changes go to the VMA list first and then to the host through the
// platform's AddressSpace. Shared by the threads of a process; copied by fork.
#pragma once

#include <cstdint>
#include <memory>

#include "sentry/mm/guest_memory.h"
#include "sentry/mm/vma_set.h"
#include "sentry/platform/platform.h"

namespace ms::mm {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t page_down(uint64_t a) {
  return a & ~(kPageSize - 1);
}
// Saturates at the largest page-aligned value instead of wrapping.
inline constexpr uint64_t page_up(uint64_t a) {
  return a > ~(kPageSize - 1) ? ~(kPageSize - 1) : (a + kPageSize - 1) & ~(kPageSize - 1);
}

// Where things go, chosen at exec.
struct AddressLayout {
  uint64_t mmap_base = 0;         // top-down allocations start below this
  uint64_t mmap_floor = 0x10000;  // and never go below this (vm.mmap_min_addr)
  uint64_t stack_top = 0;
  uint64_t stack_bottom = 0;
  uint64_t brk_start = 0;
  // Where exec put the argument and environment strings (/proc/PID/cmdline, environ).
  uint64_t arg_start = 0;
  uint64_t arg_end = 0;
  uint64_t env_start = 0;
  uint64_t env_end = 0;
};

class MemoryManager final : public GuestMemory {
 public:
  MemoryManager(std::shared_ptr<platform::AddressSpace> as, const platform::Layout& layout);

  // A copy of this model for a forked process, whose host address space is already a
  // copy-on-write duplicate.
  std::shared_ptr<MemoryManager> fork(std::shared_ptr<platform::AddressSpace> as) const;

  platform::AddressSpace& address_space() { return *as_; }
  const VmaSet& vmas() const { return vmas_; }
  uint64_t guest_top() const { return platform_layout_.guest_top; }
  const AddressLayout& layout() const { return layout_; }
  void set_layout(const AddressLayout& layout);

  // The address for a new mapping of len bytes: hint (page-aligned down) if that range is
  // free and below the top, otherwise the highest free range below mmap_base. ENOMEM if
  // nothing fits.
  Result<uint64_t> choose_address(uint64_t hint, uint64_t len, bool below_2g = false) const;
  // Maps v (replacing what overlapped it, as MAP_FIXED does) and mirrors it on the host.
  // host_fd backs file mappings (-1: anonymous memory).
  Result<void> map(Vma v, int host_fd = -1);
  Result<void> unmap(uint64_t start, uint64_t end);
  // ENOMEM when part of [start, end) is not mapped; nothing changes then.
  Result<void> protect(uint64_t start, uint64_t end, int prot);
  // mremap(2) after argument checks: returns the (possibly new) address.
  Result<uint64_t> remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, bool may_move,
                         std::optional<uint64_t> fixed_addr);
  Result<void> advise(uint64_t start, uint64_t end, int advice);
  // brk(2): the new break, or the old one when the request cannot be met.
  uint64_t brk(uint64_t requested);
  uint64_t current_brk() const { return brk_; }

  // GuestMemory
  Result<void> copy_in(uint64_t addr, std::span<std::byte> dst) override;
  Result<void> copy_out(uint64_t addr, std::span<const std::byte> src) override;
  Result<size_t> copy_in_partial(uint64_t addr, std::span<std::byte> dst) override;
  Result<size_t> copy_out_partial(uint64_t addr, std::span<const std::byte> src) override;
  Result<std::string> copy_in_string(uint64_t addr, size_t max_len) override;

 private:
  std::shared_ptr<platform::AddressSpace> as_;
  platform::Layout platform_layout_;
  AddressLayout layout_;
  VmaSet vmas_;
  uint64_t brk_ = 0;
};

}  // namespace ms::mm
