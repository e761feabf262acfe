// The receiver's out-of-order queue: segments that arrived beyond the next expected byte,
// held until the gap before them is filled, then handed over in order. Positions are 64-bit
// stream offsets, so that sequence wrap-around never reorders the queue.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "net/buffer.h"

namespace ms::net {

class Reassembly {
 public:
  struct Range {
    uint64_t begin = 0;
    uint64_t end = 0;
  };

  // Holds bytes [pos, pos + payload.size()), and a FIN right after them if fin. Bytes already
  // held are kept and the duplicates dropped.
  void insert(uint64_t pos, const Payload& payload, bool fin);
  // Moves whatever now continues the stream at `next` into `out`, advancing next. Returns
  // true when the stream's FIN was reached (next then points past the last byte).
  bool pop_contiguous(uint64_t& next, ByteQueue& out);

  size_t bytes() const { return bytes_; }
  bool empty() const { return segments_.empty() && !fin_at_; }
  // Held ranges with adjacent segments merged, the one that grew most recently first, then
  // the rest in ascending order: the SACK blocks to report (RFC 2018).
  std::vector<Range> sack_ranges(size_t max) const;
  void clear();

 private:
  std::map<uint64_t, Payload> segments_;  // begin -> bytes; never overlapping
  std::optional<uint64_t> fin_at_;
  size_t bytes_ = 0;
  uint64_t last_insert_ = 0;
};

}  // namespace ms::net
