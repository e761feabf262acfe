#include "net/tcp_flight.h"

#include <algorithm>

namespace ms::net {

void TcpFlight::remove(uint64_t begin, uint64_t end, kernel::Duration now, bool delivery) {
  if (begin >= end) return;
  auto it = segments_.upper_bound(begin);
  if (it != segments_.begin()) --it;
  while (it != segments_.end() && it->first < end) {
    const uint64_t b = it->first;
    Segment s = it->second;
    if (s.end <= begin) {
      ++it;
      continue;
    }
    it = segments_.erase(it);
    const uint64_t len = s.end - b;
    bytes_ -= len;
    if (s.lost) lost_bytes_ -= len;
    // Keep the parts outside [begin, end).
    if (b < begin) {
      Segment head = s;
      head.end = begin;
      segments_.emplace(b, head);
      bytes_ += begin - b;
      if (s.lost) lost_bytes_ += begin - b;
    }
    if (delivery) {
      delivered_ += std::min(s.end, end) - std::max(b, begin);
      delivered(s, now);
    }
    if (s.end > end) {
      segments_.emplace(end, s);
      bytes_ += s.end - end;
      if (s.lost) lost_bytes_ += s.end - end;
      break;  // nothing more can overlap
    }
  }
}

void TcpFlight::delivered(const Segment& s, kernel::Duration now) {
  // RFC 8985 6.2 step 2: a retransmission acknowledged faster than it could have travelled
  // was the original's ACK; it says nothing about the retransmission.
  if (s.retransmitted && rack_rtt_ && now - s.sent < *rack_rtt_ / 4) return;
  if (!rack_sent_ || s.sent >= *rack_sent_) {
    rack_sent_ = s.sent;
    rack_rtt_ = now - s.sent;
  }
}

void TcpFlight::sent(uint64_t begin, uint64_t end, kernel::Duration now, bool retransmission) {
  if (begin >= end) return;
  remove(begin, end, now, /*delivery=*/false);  // a retransmission replaces what it covers
  segments_.emplace(begin, Segment{end, now, retransmission, false});
  bytes_ += end - begin;
}

void TcpFlight::acked(uint64_t una, kernel::Duration now) {
  if (segments_.empty()) return;
  remove(segments_.begin()->first, std::min(una, segments_.rbegin()->second.end), now, true);
}

void TcpFlight::sacked(uint64_t begin, uint64_t end, kernel::Duration now) {
  remove(begin, end, now, true);
}

std::optional<kernel::Duration> TcpFlight::detect_losses(kernel::Duration now,
                                                         kernel::Duration reo_wnd) {
  if (!rack_sent_ || !rack_rtt_) return std::nullopt;
  std::optional<kernel::Duration> next;
  for (auto& [begin, s] : segments_) {
    if (s.lost || s.sent > *rack_sent_) continue;
    // Sent before something that was delivered: lost once its own ACK is overdue.
    const kernel::Duration deadline = s.sent + *rack_rtt_ + reo_wnd;
    if (now >= deadline) {
      s.lost = true;
      lost_bytes_ += s.end - begin;
    } else if (!next || deadline < *next) {
      next = deadline;
    }
  }
  return next;
}

void TcpFlight::mark_all_lost() {
  for (auto& [begin, s] : segments_) {
    if (!s.lost) {
      s.lost = true;
      lost_bytes_ += s.end - begin;
    }
  }
}

void TcpFlight::mark_first_lost() {
  if (segments_.empty()) return;
  auto& [begin, s] = *segments_.begin();
  if (!s.lost) {
    s.lost = true;
    lost_bytes_ += s.end - begin;
  }
}

std::optional<std::pair<uint64_t, uint64_t>> TcpFlight::next_lost(uint64_t from) const {
  auto it = segments_.upper_bound(from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    if (it->second.lost && it->second.end > from) {
      return std::pair{std::max(it->first, from), it->second.end};
    }
  }
  return std::nullopt;
}

std::optional<std::pair<uint64_t, uint64_t>> TcpFlight::last() const {
  if (segments_.empty()) return std::nullopt;
  const auto& [b, s] = *segments_.rbegin();
  return std::pair{b, s.end};
}

void TcpFlight::clear() {
  segments_.clear();
  bytes_ = lost_bytes_ = 0;
}

}  // namespace ms::net
