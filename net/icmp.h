// ICMP and ICMPv6 "destination unreachable", the only control messages the stack sends: a
// UDP datagram to a closed port earns one, and the sender's socket reports ECONNREFUSED.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/ip_address.h"

namespace ms::net {

struct IcmpUnreachable {
  // Bytes of the offending packet quoted back: its IP header and the first 8 transport bytes
  // (which hold the ports).
  static constexpr size_t kQuoteTransportBytes = 8;
  static constexpr size_t kHeaderSize = 8;

  // The offending packet's addresses, protocol and ports, recovered from the quote.
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  // Port unreachable (as opposed to other unreachable codes, which are not generated).
  bool port_unreachable = true;
};

// ICMP header for a port-unreachable message of version v; the quote follows as payload.
void encode_icmp_port_unreachable(IpVersion v, std::byte* out);
// Parses an ICMP(v6) message (header + quote). nullopt for anything but an unreachable
// message with a readable quote.
std::optional<IcmpUnreachable> decode_icmp_unreachable(IpVersion v,
                                                       std::span<const std::byte> message);

}  // namespace ms::net
