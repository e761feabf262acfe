// The IPv4 header (RFC 791), without options or fragments: the sandbox's links never need
// to fragment (the MTU fits the largest datagram), so a fragment is dropped as malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/ip_address.h"

namespace ms::net {

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpV6 = 58;

struct Ipv4Header {
  static constexpr size_t kSize = 20;
  static constexpr size_t kMaxTotalLength = 65535;

  uint8_t tos = 0;
  uint16_t total_length = 0;
  uint16_t id = 0;
  bool dont_fragment = true;
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  IpAddress src;
  IpAddress dst;

  // Writes kSize bytes, checksum included.
  void encode(std::byte* out) const;
  // header_len receives the header's length (options are skipped). nullopt for anything
  // malformed: bad version, length or checksum, or a fragment.
  static std::optional<Ipv4Header> decode(std::span<const std::byte> in, size_t* header_len);
};

}  // namespace ms::net
