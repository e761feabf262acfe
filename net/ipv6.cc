#include "net/ipv6.h"

#include <array>
#include <cstring>

#include "net/byte_order.h"

namespace ms::net {

void Ipv6Header::encode(std::byte* out) const {
  wire::put32(out, 6U << 28 | static_cast<uint32_t>(traffic_class) << 20 | (flow_label & 0xfffff));
  wire::put16(out + 4, payload_length);
  out[6] = static_cast<std::byte>(next_header);
  out[7] = static_cast<std::byte>(hop_limit);
  std::memcpy(out + 8, src.bytes(), 16);
  std::memcpy(out + 24, dst.bytes(), 16);
}

std::optional<Ipv6Header> Ipv6Header::decode(std::span<const std::byte> in) {
  if (in.size() < kSize) return std::nullopt;
  const uint32_t first = wire::get32(in.data());
  if ((first >> 28) != 6) return std::nullopt;
  Ipv6Header h;
  h.traffic_class = static_cast<uint8_t>(first >> 20);
  h.flow_label = first & 0xfffff;
  h.payload_length = wire::get16(in.data() + 4);
  h.next_header = static_cast<uint8_t>(in[6]);
  h.hop_limit = static_cast<uint8_t>(in[7]);
  std::array<uint8_t, 16> a;
  std::memcpy(a.data(), in.data() + 8, 16);
  h.src = IpAddress::v6(a);
  std::memcpy(a.data(), in.data() + 24, 16);
  h.dst = IpAddress::v6(a);
  return h;
}

}  // namespace ms::net
