#include "net/tcp_sack_scoreboard.h"

#include <algorithm>
#include <limits>

namespace ms::net {

void SackScoreboard::add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  // Merge with every range that overlaps or touches [begin, end).
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= begin) it = prev;
  }
  while (it != ranges_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    bytes_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  ranges_.emplace(begin, end);
  bytes_ += end - begin;
}

void SackScoreboard::advance(uint64_t una) {
  while (!ranges_.empty()) {
    auto it = ranges_.begin();
    if (it->first >= una) break;
    const uint64_t end = it->second;
    bytes_ -= end - it->first;
    ranges_.erase(it);
    if (end > una) {
      ranges_.emplace(una, end);
      bytes_ += end - una;
      break;
    }
  }
}

void SackScoreboard::clear() {
  ranges_.clear();
  bytes_ = 0;
}

uint64_t SackScoreboard::sacked_below(uint64_t limit) const {
  uint64_t n = 0;
  for (const auto& [b, e] : ranges_) {
    if (b >= limit) break;
    n += std::min(e, limit) - b;
  }
  return n;
}

uint64_t SackScoreboard::highest() const {
  return ranges_.empty() ? 0 : ranges_.rbegin()->second;
}

uint64_t SackScoreboard::skip_sacked(uint64_t pos) const {
  auto it = ranges_.upper_bound(pos);
  if (it == ranges_.begin()) return pos;
  --it;
  return it->second > pos ? it->second : pos;
}

uint64_t SackScoreboard::next_sacked(uint64_t pos) const {
  auto it = ranges_.upper_bound(pos);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > pos) return pos;
  }
  return it == ranges_.end() ? std::numeric_limits<uint64_t>::max() : it->first;
}

}  // namespace ms::net
