// The UDP header (RFC 768).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ms::net {

struct UdpHeader {
  static constexpr size_t kSize = 8;

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0;  // header + payload

  // The checksum field is left zero ("none" for IPv4; see net/checksum.h).
  void encode(std::byte* out) const;
  static std::optional<UdpHeader> decode(std::span<const std::byte> in);
};

}  // namespace ms::net
