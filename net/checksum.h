// The Internet checksum (RFC 1071), for IPv4 and ICMP headers. TCP and UDP payloads are not
// summed: like Linux's loopback (CHECKSUM_UNNECESSARY), the sandbox's link does not corrupt
// bytes, and summing every byte would double the cost of a transfer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ms::net {

// The one's-complement sum of data folded to 16 bits, added to `initial`.
uint32_t checksum_add(std::span<const std::byte> data, uint32_t initial = 0);
// The final checksum field value for a running sum.
uint16_t checksum_finish(uint32_t sum);
inline uint16_t internet_checksum(std::span<const std::byte> data) {
  return checksum_finish(checksum_add(data));
}

}  // namespace ms::net
