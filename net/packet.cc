#include "net/packet.h"

#include <algorithm>

#include "net/ipv4.h"
#include "net/ipv6.h"

namespace ms::net {

size_t write_ip_header(Packet& packet, const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                       size_t transport_len, uint16_t id) {
  if (src.is_v4()) {
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(Ipv4Header::kSize + transport_len);
    h.id = id;
    h.protocol = protocol;
    h.src = src;
    h.dst = dst;
    h.encode(packet.header.data());
    return Ipv4Header::kSize;
  }
  Ipv6Header h;
  h.payload_length = static_cast<uint16_t>(transport_len);
  h.next_header = protocol;
  h.src = src;
  h.dst = dst;
  h.encode(packet.header.data());
  return Ipv6Header::kSize;
}

std::optional<IpInfo> parse_ip_header(const Packet& packet) {
  const auto bytes = packet.headers();
  if (bytes.empty()) return std::nullopt;
  IpInfo info;
  const auto version = static_cast<uint8_t>(bytes[0]) >> 4;
  if (version == 4) {
    size_t hl = 0;
    auto h = Ipv4Header::decode(bytes, &hl);
    if (!h || h->total_length != packet.size()) return std::nullopt;
    info.version = IpVersion::kV4;
    info.src = h->src;
    info.dst = h->dst;
    info.protocol = h->protocol;
    info.hop_limit = h->ttl;
    info.header_len = hl;
    info.transport_len = h->total_length - hl;
    return info;
  }
  if (version == 6) {
    auto h = Ipv6Header::decode(bytes);
    if (!h || Ipv6Header::kSize + h->payload_length != packet.size()) return std::nullopt;
    info.version = IpVersion::kV6;
    info.src = h->src;
    info.dst = h->dst;
    info.protocol = h->next_header;
    info.hop_limit = h->hop_limit;
    info.header_len = Ipv6Header::kSize;
    info.transport_len = h->payload_length;
    return info;
  }
  return std::nullopt;
}

size_t max_transport_len(IpVersion v, size_t mtu) {
  if (v == IpVersion::kV4) return std::min(mtu, Ipv4Header::kMaxTotalLength) - Ipv4Header::kSize;
  return std::min(mtu - Ipv6Header::kSize, Ipv6Header::kMaxPayloadLength);
}

}  // namespace ms::net
