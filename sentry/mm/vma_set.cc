#include "sentry/mm/vma_set.h"

#include <sys/mman.h>

namespace ms::mm {

bool Vma::shared() const {
  return (flags & MAP_TYPE) == MAP_SHARED;
}

const Vma* VmaSet::find(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

void VmaSet::split_at(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (v.start >= addr || v.end <= addr) return;
  Vma upper = v;
  upper.start = addr;
  if (upper.file) upper.offset += addr - v.start;
  v.end = addr;
  vmas_.emplace(addr, std::move(upper));
}

void VmaSet::remove(uint64_t start, uint64_t end) {
  if (start >= end) return;
  split_at(start);
  split_at(end);
  auto it = vmas_.lower_bound(start);
  while (it != vmas_.end() && it->first < end)
    it = vmas_.erase(it);
}

void VmaSet::insert(Vma v) {
  remove(v.start, v.end);
  const uint64_t start = v.start;
  const uint64_t end = v.end;
  vmas_.emplace(start, std::move(v));
  merge_at(end);
  merge_at(start);
}

void VmaSet::merge_at(uint64_t addr) {
  auto it = vmas_.find(addr);
  if (it == vmas_.end() || it == vmas_.begin()) return;
  auto prev = std::prev(it);
  Vma& a = prev->second;
  const Vma& b = it->second;
  const bool contiguous_file = a.file == b.file && (!a.file || a.offset + a.length() == b.offset);
  if (a.end != b.start || a.prot != b.prot || a.flags != b.flags || a.name != b.name ||
      !contiguous_file) {
    return;
  }
  a.end = b.end;
  vmas_.erase(it);
}

bool VmaSet::covered(uint64_t start, uint64_t end) const {
  uint64_t at = start;
  while (at < end) {
    const Vma* v = find(at);
    if (v == nullptr) return false;
    at = v->end;
  }
  return true;
}

bool VmaSet::free(uint64_t start, uint64_t end) const {
  if (find(start) != nullptr) return false;
  auto it = vmas_.lower_bound(start);
  return it == vmas_.end() || it->first >= end;
}

void VmaSet::protect(uint64_t start, uint64_t end, int prot) {
  split_at(start);
  split_at(end);
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->first < end; ++it) {
    it->second.prot = prot;
  }
  merge_at(end);
  // Merging from the top keeps iterators of lower VMAs valid.
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->first < end;) {
    const uint64_t at = it->first;
    ++it;
    merge_at(at);
  }
}

std::optional<uint64_t> VmaSet::find_free_top_down(uint64_t len, uint64_t floor,
                                                   uint64_t ceiling) const {
  if (len == 0 || ceiling < floor || ceiling - floor < len) return std::nullopt;
  // Walk down from the ceiling; gap_end is the top of the gap below the VMAs seen so far.
  uint64_t gap_end = ceiling;
  auto it = vmas_.lower_bound(ceiling);
  while (it != vmas_.begin()) {
    --it;
    const Vma& v = it->second;
    if (v.end < gap_end) {
      const uint64_t gap_start = std::max(v.end, floor);
      if (gap_end > gap_start && gap_end - gap_start >= len) return gap_end - len;
    }
    gap_end = std::min(gap_end, v.start);
    if (gap_end < floor || gap_end - floor < len) return std::nullopt;
  }
  return gap_end - len;
}

std::vector<const Vma*> VmaSet::overlapping(uint64_t start, uint64_t end) const {
  std::vector<const Vma*> out;
  auto it = vmas_.upper_bound(start);
  if (it != vmas_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start) out.push_back(&prev->second);
  }
  for (; it != vmas_.end() && it->first < end; ++it)
    out.push_back(&it->second);
  return out;
}

void VmaSet::for_each(const std::function<void(const Vma&)>& f) const {
  for (const auto& [start, v] : vmas_)
    f(v);
}

}  // namespace ms::mm
