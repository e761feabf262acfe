#include "net/tcp_header.h"

#include <algorithm>

#include "net/byte_order.h"

namespace ms::net {
namespace {

constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptWindowScale = 3;
constexpr uint8_t kOptSackPermitted = 4;
constexpr uint8_t kOptSack = 5;

size_t options_size(const TcpOptions& o) {
  size_t n = 0;
  if (o.mss != 0) n += 4;
  if (o.window_scale >= 0) n += 4;                   // NOP + 3
  if (o.sack_permitted) n += 4;                      // NOP NOP + 2
  if (o.sack_count > 0) n += 4 + 8U * o.sack_count;  // NOP NOP + 2 + blocks
  return n;
}

}  // namespace

size_t TcpHeader::size() const {
  TcpOptions o = options;
  // The header holds 40 bytes of options at most: drop SACK blocks that do not fit.
  while (o.sack_count > 0 && options_size(o) > kMaxSize - kMinSize)
    --o.sack_count;
  return kMinSize + options_size(o);
}

void TcpHeader::encode(std::byte* out) const {
  const size_t len = size();
  wire::put16(out, src_port);
  wire::put16(out + 2, dst_port);
  wire::put32(out + 4, seq);
  wire::put32(out + 8, ack);
  out[12] = static_cast<std::byte>((len / 4) << 4);
  out[13] = static_cast<std::byte>(flags);
  wire::put16(out + 14, window);
  wire::put16(out + 16, 0);
  wire::put16(out + 18, urgent);
  std::byte* p = out + kMinSize;
  std::byte* const end = out + len;
  if (options.mss != 0) {
    p[0] = std::byte{kOptMss};
    p[1] = std::byte{4};
    wire::put16(p + 2, options.mss);
    p += 4;
  }
  if (options.window_scale >= 0) {
    p[0] = std::byte{kOptNop};
    p[1] = std::byte{kOptWindowScale};
    p[2] = std::byte{3};
    p[3] = static_cast<std::byte>(options.window_scale);
    p += 4;
  }
  if (options.sack_permitted) {
    p[0] = std::byte{kOptNop};
    p[1] = std::byte{kOptNop};
    p[2] = std::byte{kOptSackPermitted};
    p[3] = std::byte{2};
    p += 4;
  }
  if (options.sack_count > 0 && p + 12 <= end) {
    const size_t blocks = (end - p - 4) / 8;
    p[0] = std::byte{kOptNop};
    p[1] = std::byte{kOptNop};
    p[2] = std::byte{kOptSack};
    p[3] = static_cast<std::byte>(2 + 8 * blocks);
    p += 4;
    for (size_t i = 0; i < blocks; ++i) {
      wire::put32(p, options.sack[i].left);
      wire::put32(p + 4, options.sack[i].right);
      p += 8;
    }
  }
  while (p < end)
    *p++ = std::byte{kOptEnd};
}

std::optional<TcpHeader> TcpHeader::decode(std::span<const std::byte> in, size_t* header_len) {
  if (in.size() < kMinSize) return std::nullopt;
  const size_t len = (static_cast<uint8_t>(in[12]) >> 4) * 4U;
  if (len < kMinSize || len > in.size()) return std::nullopt;
  TcpHeader h;
  h.src_port = wire::get16(in.data());
  h.dst_port = wire::get16(in.data() + 2);
  h.seq = wire::get32(in.data() + 4);
  h.ack = wire::get32(in.data() + 8);
  h.flags = static_cast<uint8_t>(in[13]) & 0x3f;
  h.window = wire::get16(in.data() + 14);
  h.urgent = wire::get16(in.data() + 18);
  size_t i = kMinSize;
  while (i < len) {
    const auto kind = static_cast<uint8_t>(in[i]);
    if (kind == kOptEnd) break;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return std::nullopt;
    const auto olen = static_cast<uint8_t>(in[i + 1]);
    if (olen < 2 || i + olen > len) return std::nullopt;
    const std::byte* v = in.data() + i + 2;
    switch (kind) {
      case kOptMss:
        if (olen != 4) return std::nullopt;
        h.options.mss = wire::get16(v);
        break;
      case kOptWindowScale:
        if (olen != 3) return std::nullopt;
        // RFC 7323: a shift above 14 is treated as 14.
        h.options.window_scale =
            static_cast<int8_t>(std::min<uint8_t>(static_cast<uint8_t>(v[0]), 14));
        break;
      case kOptSackPermitted:
        if (olen != 2) return std::nullopt;
        h.options.sack_permitted = true;
        break;
      case kOptSack: {
        if ((olen - 2) % 8 != 0) return std::nullopt;
        const size_t blocks = std::min<size_t>((olen - 2) / 8, h.options.sack.size());
        for (size_t b = 0; b < blocks; ++b) {
          h.options.sack[b] = {wire::get32(v + 8 * b), wire::get32(v + 8 * b + 4)};
        }
        h.options.sack_count = static_cast<uint8_t>(blocks);
        break;
      }
      default:
        break;  // unknown options are ignored (timestamps, fast open, ...)
    }
    i += olen;
  }
  *header_len = len;
  return h;
}

std::string TcpHeader::flag_names() const {
  static constexpr const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if ((flags & (1 << i)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kNames[i];
  }
  return out.empty() ? "none" : out;
}

}  // namespace ms::net
