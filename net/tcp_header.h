// The TCP header (RFC 9293) with the options the stack speaks: MSS, window scale (RFC 7323)
// and SACK (RFC 2018).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ms::net {

namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
}  // namespace tcp_flags

struct SackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // one past the last
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpOptions {
  uint16_t mss = 0;          // 0: absent
  int8_t window_scale = -1;  // -1: absent
  bool sack_permitted = false;
  uint8_t sack_count = 0;
  std::array<SackBlock, 4> sack{};
};

struct TcpHeader {
  static constexpr size_t kMinSize = 20;
  static constexpr size_t kMaxSize = 60;

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t urgent = 0;
  TcpOptions options;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  // The encoded size, options padded to a 4-byte boundary.
  size_t size() const;
  // Writes size() bytes. The checksum field is left zero: see net/checksum.h.
  void encode(std::byte* out) const;
  // header_len receives the data offset. nullopt for a malformed header or options.
  static std::optional<TcpHeader> decode(std::span<const std::byte> in, size_t* header_len);

  // "SYN,ACK" and the like, for logs and test failures.
  std::string flag_names() const;
};

}  // namespace ms::net
