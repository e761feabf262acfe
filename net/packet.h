// A packet on a link: the IP and transport headers as wire bytes, then the payload as shared
// slices (never copied on the way). Building and parsing the IP layer lives here; each
// transport parses its own header from what follows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/buffer.h"
#include "net/ip_address.h"

namespace ms::net {

// IPv6 (40) + TCP with the largest options (60), rounded up.
inline constexpr size_t kMaxHeaderBytes = 128;

struct Packet {
  std::array<std::byte, kMaxHeaderBytes> header;
  uint16_t header_len = 0;
  Payload payload;

  std::span<const std::byte> headers() const { return std::span(header.data(), header_len); }
  size_t size() const { return header_len + payload.size(); }
};

// The network layer of a packet, whichever version.
struct IpInfo {
  IpVersion version = IpVersion::kV4;
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;
  uint8_t hop_limit = 64;
  // Where the transport header starts in Packet::header.
  size_t header_len = 0;
  // The transport's length (header + payload), from the IP header.
  size_t transport_len = 0;
};

// Writes the IP header for a transport segment of transport_len bytes at the start of
// packet.header and returns its size. The caller appends the transport header after it.
size_t write_ip_header(Packet& packet, const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                       size_t transport_len, uint16_t id);
// Parses and checks the IP header; nullopt drops the packet.
std::optional<IpInfo> parse_ip_header(const Packet& packet);

// The largest transport segment (header + payload) one packet of that version can carry.
size_t max_transport_len(IpVersion v, size_t mtu);

}  // namespace ms::net
