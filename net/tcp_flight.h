// The sender's record of data in flight: every segment sent and neither cumulatively
// acknowledged nor SACKed, with when it was last sent. Loss detection is RACK (RFC 8985):
// a segment is lost once a segment sent after it has been delivered and a reordering window
// has passed, which also catches a lost retransmission. Positions are 64-bit stream
// offsets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "sentry/kernel/clock.h"

namespace ms::net {

class TcpFlight {
 public:
  struct Segment {
    uint64_t end = 0;
    kernel::Duration sent{0};
    bool retransmitted = false;
    bool lost = false;
  };

  // [begin, end) went out at `now` (again, if retransmission).
  void sent(uint64_t begin, uint64_t end, kernel::Duration now, bool retransmission);
  // Everything below `una` is acknowledged.
  void acked(uint64_t una, kernel::Duration now);
  // The receiver holds [begin, end).
  void sacked(uint64_t begin, uint64_t end, kernel::Duration now);
  // RACK's detection: marks segments lost; returns when the next one could be (the
  // reordering timer), if any is waiting.
  std::optional<kernel::Duration> detect_losses(kernel::Duration now, kernel::Duration reo_wnd);
  // After a retransmission timeout everything still in flight is presumed lost.
  void mark_all_lost();
  // NewReno's inference without SACK: the first segment in flight is lost.
  void mark_first_lost();
  // The first segment marked lost at or after `from`, as [begin, end).
  std::optional<std::pair<uint64_t, uint64_t>> next_lost(uint64_t from) const;
  // The highest segment in flight (a tail loss probe resends it).
  std::optional<std::pair<uint64_t, uint64_t>> last() const;

  bool empty() const { return segments_.empty(); }
  bool has_lost() const { return lost_bytes_ > 0; }
  // Bytes believed in the network: in flight and not lost (RFC 6675's pipe).
  uint64_t pipe() const { return bytes_ - lost_bytes_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t delivered_bytes() const { return delivered_; }
  size_t segments() const { return segments_.size(); }
  // The round-trip time of the most recently sent segment known delivered.
  std::optional<kernel::Duration> rack_rtt() const { return rack_rtt_; }
  void clear();

 private:
  void delivered(const Segment& s, kernel::Duration now);
  // Removes [begin, end) from the map, splitting segments at the edges; with `delivery`,
  // what is removed counts as delivered.
  void remove(uint64_t begin, uint64_t end, kernel::Duration now, bool delivery);

  std::map<uint64_t, Segment> segments_;  // begin -> segment; disjoint
  uint64_t bytes_ = 0;
  uint64_t lost_bytes_ = 0;
  uint64_t delivered_ = 0;
  // RACK: the send time of the most recently sent segment known delivered, and its RTT.
  std::optional<kernel::Duration> rack_sent_;
  std::optional<kernel::Duration> rack_rtt_;
};

}  // namespace ms::net
