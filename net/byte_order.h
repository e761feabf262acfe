// Big-endian field access for wire headers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ms::net::wire {

inline uint16_t get16(const std::byte* p) {
  return static_cast<uint16_t>(static_cast<uint16_t>(p[0]) << 8 | static_cast<uint16_t>(p[1]));
}
inline uint32_t get32(const std::byte* p) {
  return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2);
}
inline void put16(std::byte* p, uint16_t v) {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
inline void put32(std::byte* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace ms::net::wire
