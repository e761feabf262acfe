#include "net/icmp.h"

#include "net/byte_order.h"
#include "net/ipv4.h"
#include "net/ipv6.h"

namespace ms::net {
namespace {

constexpr uint8_t kIcmpDestUnreachable = 3;
constexpr uint8_t kIcmpPortUnreachable = 3;
constexpr uint8_t kIcmp6DestUnreachable = 1;
constexpr uint8_t kIcmp6PortUnreachable = 4;

}  // namespace

void encode_icmp_port_unreachable(IpVersion v, std::byte* out) {
  const bool v4 = v == IpVersion::kV4;
  out[0] = static_cast<std::byte>(v4 ? kIcmpDestUnreachable : kIcmp6DestUnreachable);
  out[1] = static_cast<std::byte>(v4 ? kIcmpPortUnreachable : kIcmp6PortUnreachable);
  wire::put16(out + 2, 0);
  wire::put32(out + 4, 0);
}

std::optional<IcmpUnreachable> decode_icmp_unreachable(IpVersion v,
                                                       std::span<const std::byte> message) {
  if (message.size() < IcmpUnreachable::kHeaderSize) return std::nullopt;
  const auto type = static_cast<uint8_t>(message[0]);
  const auto code = static_cast<uint8_t>(message[1]);
  IcmpUnreachable u;
  const auto quote = message.subspan(IcmpUnreachable::kHeaderSize);
  size_t ip_len = 0;
  if (v == IpVersion::kV4) {
    if (type != kIcmpDestUnreachable) return std::nullopt;
    u.port_unreachable = code == kIcmpPortUnreachable;
    // The quoted header's total length describes the original packet, not the quote, so
    // check what can be checked by hand rather than with Ipv4Header::decode.
    if (quote.size() < Ipv4Header::kSize || (static_cast<uint8_t>(quote[0]) >> 4) != 4) {
      return std::nullopt;
    }
    ip_len = (static_cast<uint8_t>(quote[0]) & 0xf) * 4U;
    if (ip_len < Ipv4Header::kSize) return std::nullopt;
    u.protocol = static_cast<uint8_t>(quote[9]);
    u.src = IpAddress::v4_bytes(reinterpret_cast<const uint8_t*>(quote.data() + 12));
    u.dst = IpAddress::v4_bytes(reinterpret_cast<const uint8_t*>(quote.data() + 16));
  } else {
    if (type != kIcmp6DestUnreachable) return std::nullopt;
    u.port_unreachable = code == kIcmp6PortUnreachable;
    auto h = Ipv6Header::decode(quote);
    if (!h) return std::nullopt;
    ip_len = Ipv6Header::kSize;
    u.protocol = h->next_header;
    u.src = h->src;
    u.dst = h->dst;
  }
  if (quote.size() < ip_len + 4) return std::nullopt;
  u.src_port = wire::get16(quote.data() + ip_len);
  u.dst_port = wire::get16(quote.data() + ip_len + 2);
  return u;
}

}  // namespace ms::net
