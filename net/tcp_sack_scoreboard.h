// The sender's record of what the receiver reported holding beyond its cumulative ACK (SACK,
// RFC 2018 / RFC 6675): which sent bytes need no retransmission, and where the holes are.
// Positions are 64-bit stream offsets.
#pragma once

#include <cstdint>
#include <map>

namespace ms::net {

class SackScoreboard {
 public:
  // Records [begin, end) as held by the receiver.
  void add(uint64_t begin, uint64_t end);
  // Forgets everything below `una` (cumulatively acknowledged).
  void advance(uint64_t una);
  void clear();

  bool empty() const { return ranges_.empty(); }
  uint64_t sacked_bytes() const { return bytes_; }
  // Bytes held in [0, limit).
  uint64_t sacked_below(uint64_t limit) const;
  // One past the highest byte held; 0 when empty.
  uint64_t highest() const;
  // If pos lies in a held range, where that range ends; otherwise pos.
  uint64_t skip_sacked(uint64_t pos) const;
  // The first held byte at or after pos; UINT64_MAX if none.
  uint64_t next_sacked(uint64_t pos) const;

 private:
  std::map<uint64_t, uint64_t> ranges_;  // begin -> end, disjoint and not adjacent
  uint64_t bytes_ = 0;
};

}  // namespace ms::net
