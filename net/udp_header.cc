#include "net/udp_header.h"

#include "net/byte_order.h"

namespace ms::net {

void UdpHeader::encode(std::byte* out) const {
  wire::put16(out, src_port);
  wire::put16(out + 2, dst_port);
  wire::put16(out + 4, length);
  wire::put16(out + 6, 0);
}

std::optional<UdpHeader> UdpHeader::decode(std::span<const std::byte> in) {
  if (in.size() < kSize) return std::nullopt;
  UdpHeader h;
  h.src_port = wire::get16(in.data());
  h.dst_port = wire::get16(in.data() + 2);
  h.length = wire::get16(in.data() + 4);
  if (h.length < kSize) return std::nullopt;
  return h;
}

}  // namespace ms::net
