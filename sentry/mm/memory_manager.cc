#include "sentry/mm/memory_manager.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace ms::mm {
namespace {

// The mmap flags the host sees: memory semantics only. MAP_GROWSDOWN would let the host
// grow a mapping behind the sentry's back; MAP_LOCKED and MAP_HUGETLB need host privileges.
int host_flags(int flags) {
  return (flags & (MAP_TYPE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE)) | MAP_FIXED;
}

constexpr uint64_t k2G = 0x80000000;
constexpr uint64_t k1G = 0x40000000;

}  // namespace

MemoryManager::MemoryManager(std::shared_ptr<platform::AddressSpace> as,
                             const platform::Layout& layout)
    : as_(std::move(as)), platform_layout_(layout) {}

std::shared_ptr<MemoryManager> MemoryManager::fork(
    std::shared_ptr<platform::AddressSpace> as) const {
  auto copy = std::make_shared<MemoryManager>(std::move(as), platform_layout_);
  copy->layout_ = layout_;
  copy->vmas_ = vmas_;
  copy->brk_ = brk_;
  return copy;
}

void MemoryManager::set_layout(const AddressLayout& layout) {
  layout_ = layout;
  brk_ = layout.brk_start;
}

Result<uint64_t> MemoryManager::choose_address(uint64_t hint, uint64_t len, bool below_2g) const {
  const uint64_t top = guest_top();
  if (len == 0 || len > top) return fail(ENOMEM);
  hint = page_down(hint);
  if (hint != 0 && hint >= layout_.mmap_floor && hint <= top - len &&
      vmas_.free(hint, hint + len)) {
    return hint;
  }
  std::optional<uint64_t> addr;
  if (below_2g) {
    addr = vmas_.find_free_top_down(len, k1G, k2G);
  } else {
    addr = vmas_.find_free_top_down(len, layout_.mmap_floor, layout_.mmap_base);
    // Like Linux, fall back to the whole space when the area below mmap_base is full.
    if (!addr) addr = vmas_.find_free_top_down(len, layout_.mmap_floor, top);
  }
  if (!addr) return fail(ENOMEM);
  return *addr;
}

Result<void> MemoryManager::map(Vma v, int host_fd) {
  if (v.start < layout_.mmap_floor) return fail(EPERM);  // vm.mmap_min_addr
  TRY(as_->map(v.start, v.length(), v.prot, host_flags(v.flags), host_fd, v.offset));
  vmas_.insert(std::move(v));
  return {};
}

Result<void> MemoryManager::unmap(uint64_t start, uint64_t end) {
  if (start >= end) return {};
  if (vmas_.overlapping(start, end).empty()) return {};
  TRY(as_->unmap(start, end - start));
  vmas_.remove(start, end);
  return {};
}

Result<void> MemoryManager::protect(uint64_t start, uint64_t end, int prot) {
  if (!vmas_.covered(start, end)) return fail(ENOMEM);
  TRY(as_->protect(start, end - start, prot));
  vmas_.protect(start, end, prot);
  return {};
}

Result<uint64_t> MemoryManager::remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                                      bool may_move, std::optional<uint64_t> fixed_addr) {
  const Vma* v = vmas_.find(old_addr);
  if (v == nullptr) return fail(EFAULT);
  // Shrinking only unmaps the tail, whatever VMAs it spans.
  if (!fixed_addr && new_len <= old_len) {
    TRY(unmap(old_addr + new_len, old_addr + old_len));
    return old_addr;
  }
  if (old_addr + old_len > v->end) return fail(EFAULT);
  Vma moved = *v;
  if (fixed_addr) {
    const uint64_t dst = *fixed_addr;
    if (dst + new_len > guest_top() || (dst < old_addr + old_len && old_addr < dst + new_len)) {
      return fail(EINVAL);
    }
    TRY(unmap(dst, dst + new_len));
    TRY(as_->remap(old_addr, old_len, dst, new_len));
    vmas_.remove(old_addr, old_addr + old_len);
    moved.offset += old_addr - moved.start;
    moved.start = dst;
    moved.end = dst + new_len;
    vmas_.insert(std::move(moved));
    return dst;
  }
  // Grow in place when the pages after the old range are free and inside the VMA's reach.
  const uint64_t grow_end = old_addr + new_len;
  if (old_addr + old_len == v->end && grow_end <= guest_top() &&
      vmas_.free(old_addr + old_len, grow_end)) {
    TRY(as_->remap(old_addr, old_len, old_addr, new_len));
    Vma grown = *v;
    grown.end = grow_end;
    vmas_.insert(std::move(grown));
    return old_addr;
  }
  if (!may_move) return fail(ENOMEM);
  const uint64_t dst = TRY(choose_address(0, new_len));
  TRY(as_->remap(old_addr, old_len, dst, new_len));
  vmas_.remove(old_addr, old_addr + old_len);
  moved.offset += old_addr - moved.start;
  moved.start = dst;
  moved.end = dst + new_len;
  vmas_.insert(std::move(moved));
  return dst;
}

Result<void> MemoryManager::advise(uint64_t start, uint64_t end, int advice) {
  return as_->advise(start, end - start, advice);
}

uint64_t MemoryManager::brk(uint64_t requested) {
  if (requested < layout_.brk_start) return brk_;
  const uint64_t old_end = page_up(brk_);
  const uint64_t new_end = page_up(requested);
  if (new_end < old_end) {
    if (!unmap(new_end, old_end)) return brk_;
  } else if (new_end > old_end) {
    if (new_end > guest_top() || !vmas_.free(old_end, new_end)) return brk_;
    // The new pages join the heap VMA below when it is alike (VmaSet merges them).
    Vma heap{.start = old_end,
             .end = new_end,
             .prot = PROT_READ | PROT_WRITE,
             .flags = MAP_PRIVATE | MAP_ANONYMOUS,
             .name = "[heap]"};
    if (!map(std::move(heap))) return brk_;
  }
  brk_ = requested;
  return brk_;
}

Result<void> MemoryManager::copy_in(uint64_t addr, std::span<std::byte> dst) {
  const size_t n = TRY(copy_in_partial(addr, dst));
  if (n != dst.size()) return fail(EFAULT);
  return {};
}

Result<void> MemoryManager::copy_out(uint64_t addr, std::span<const std::byte> src) {
  const size_t n = TRY(copy_out_partial(addr, src));
  if (n != src.size()) return fail(EFAULT);
  return {};
}

Result<size_t> MemoryManager::copy_in_partial(uint64_t addr, std::span<std::byte> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    auto n = as_->read(addr + done, dst.subspan(done));
    if (!n) {
      if (done == 0) return fail(EFAULT);
      break;
    }
    done += *n;
  }
  return done;
}

Result<size_t> MemoryManager::copy_out_partial(uint64_t addr, std::span<const std::byte> src) {
  size_t done = 0;
  while (done < src.size()) {
    auto n = as_->write(addr + done, src.subspan(done));
    if (!n) {
      if (done == 0) return fail(EFAULT);
      break;
    }
    done += *n;
  }
  return done;
}

Result<std::string> MemoryManager::copy_in_string(uint64_t addr, size_t max_len) {
  std::string out;
  std::byte chunk[256];
  for (;;) {
    // Never read across a page boundary in one go: the next page may be unmapped while the
    // string ends before it.
    const uint64_t to_page_end = kPageSize - (addr % kPageSize);
    const size_t want = std::min<uint64_t>(sizeof(chunk), to_page_end);
    auto n = as_->read(addr, std::span(chunk, want));
    if (!n) return fail(EFAULT);
    const char* p = reinterpret_cast<const char*>(chunk);
    const void* nul = std::memchr(p, 0, *n);
    const size_t take =
        nul != nullptr ? static_cast<size_t>(static_cast<const char*>(nul) - p) : *n;
    if (out.size() + take > max_len) return fail(ENAMETOOLONG);
    out.append(p, take);
    if (nul != nullptr) return out;
    addr += *n;
  }
}

}  // namespace ms::mm
