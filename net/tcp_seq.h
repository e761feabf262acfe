// TCP sequence-number arithmetic: comparisons modulo 2^32 (RFC 9293 3.4), valid between
// numbers less than 2^31 apart. Queues that need ordering keep 64-bit stream positions
// instead, unwrapped against a known point.
#pragma once

#include <cstdint>

namespace ms::net {

inline bool seq_lt(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}
inline bool seq_le(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) <= 0;
}
inline bool seq_gt(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) > 0;
}
inline bool seq_ge(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) >= 0;
}
inline uint32_t seq_max(uint32_t a, uint32_t b) {
  return seq_lt(a, b) ? b : a;
}
inline uint32_t seq_min(uint32_t a, uint32_t b) {
  return seq_lt(a, b) ? a : b;
}
// lo <= x < hi.
inline bool seq_in(uint32_t x, uint32_t lo, uint32_t hi) {
  return seq_le(lo, x) && seq_lt(x, hi);
}

// The 64-bit stream position of seq, given that `anchor_seq` is at `anchor_pos` and seq is
// within 2^31 of it.
inline uint64_t seq_to_pos(uint32_t seq, uint32_t anchor_seq, uint64_t anchor_pos) {
  return anchor_pos + static_cast<int64_t>(static_cast<int32_t>(seq - anchor_seq));
}

}  // namespace ms::net
