#include "net/ipv4.h"

#include <cstring>

#include "net/byte_order.h"
#include "net/checksum.h"

namespace ms::net {

void Ipv4Header::encode(std::byte* out) const {
  out[0] = std::byte{0x45};  // version 4, 5 words
  out[1] = static_cast<std::byte>(tos);
  wire::put16(out + 2, total_length);
  wire::put16(out + 4, id);
  wire::put16(out + 6, dont_fragment ? 0x4000 : 0);
  out[8] = static_cast<std::byte>(ttl);
  out[9] = static_cast<std::byte>(protocol);
  wire::put16(out + 10, 0);
  std::memcpy(out + 12, src.bytes(), 4);
  std::memcpy(out + 16, dst.bytes(), 4);
  wire::put16(out + 10, internet_checksum(std::span(out, kSize)));
}

std::optional<Ipv4Header> Ipv4Header::decode(std::span<const std::byte> in, size_t* header_len) {
  if (in.size() < kSize) return std::nullopt;
  const auto vihl = static_cast<uint8_t>(in[0]);
  if ((vihl >> 4) != 4) return std::nullopt;
  const size_t ihl = (vihl & 0xf) * 4U;
  if (ihl < kSize || ihl > in.size()) return std::nullopt;
  if (internet_checksum(in.first(ihl)) != 0) return std::nullopt;
  Ipv4Header h;
  h.tos = static_cast<uint8_t>(in[1]);
  h.total_length = wire::get16(in.data() + 2);
  if (h.total_length < ihl) return std::nullopt;
  h.id = wire::get16(in.data() + 4);
  const uint16_t frag = wire::get16(in.data() + 6);
  if ((frag & 0x3fff) != 0) return std::nullopt;  // more-fragments or an offset
  h.dont_fragment = (frag & 0x4000) != 0;
  h.ttl = static_cast<uint8_t>(in[8]);
  h.protocol = static_cast<uint8_t>(in[9]);
  h.src = IpAddress::v4_bytes(reinterpret_cast<const uint8_t*>(in.data() + 12));
  h.dst = IpAddress::v4_bytes(reinterpret_cast<const uint8_t*>(in.data() + 16));
  *header_len = ihl;
  return h;
}

}  // namespace ms::net
