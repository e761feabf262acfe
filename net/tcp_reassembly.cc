#include "net/tcp_reassembly.h"

#include <algorithm>

namespace ms::net {

void Reassembly::insert(uint64_t pos, const Payload& payload, bool fin) {
  const uint64_t end = pos + payload.size();
  if (fin && !fin_at_) fin_at_ = end;
  if (payload.empty()) return;
  last_insert_ = pos;
  uint64_t at = pos;
  // Skip what the segment before `pos` already covers.
  auto it = segments_.upper_bound(at);
  if (it != segments_.begin()) {
    auto prev = std::prev(it);
    at = std::max(at, prev->first + prev->second.size());
  }
  while (at < end) {
    auto next = segments_.lower_bound(at);
    const uint64_t stop = next == segments_.end() ? end : std::min(end, next->first);
    if (stop > at) {
      segments_.emplace(at, payload.sub(at - pos, stop - at));
      bytes_ += stop - at;
    }
    if (next == segments_.end() || next->first >= end) break;
    at = next->first + next->second.size();
  }
}

bool Reassembly::pop_contiguous(uint64_t& next, ByteQueue& out) {
  while (!segments_.empty()) {
    auto it = segments_.begin();
    const uint64_t begin = it->first;
    const uint64_t end = begin + it->second.size();
    if (begin > next) break;
    if (end > next) {
      const Payload& p = it->second;
      out.append(p.sub(next - begin, end - next));
      next = end;
    }
    bytes_ -= it->second.size();
    segments_.erase(it);
  }
  if (fin_at_ && *fin_at_ <= next) {
    fin_at_.reset();
    return true;
  }
  return false;
}

std::vector<Reassembly::Range> Reassembly::sack_ranges(size_t max) const {
  std::vector<Range> merged;
  for (const auto& [begin, payload] : segments_) {
    const uint64_t end = begin + payload.size();
    if (!merged.empty() && merged.back().end == begin) {
      merged.back().end = end;
    } else {
      merged.push_back({begin, end});
    }
  }
  auto recent = std::find_if(merged.begin(), merged.end(), [&](const Range& r) {
    return r.begin <= last_insert_ && last_insert_ < r.end;
  });
  if (recent != merged.end()) std::rotate(merged.begin(), recent, recent + 1);
  if (merged.size() > max) merged.resize(max);
  return merged;
}

void Reassembly::clear() {
  segments_.clear();
  fin_at_.reset();
  bytes_ = 0;
}

}  // namespace ms::net
