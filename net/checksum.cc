#include "net/checksum.h"

namespace ms::net {

uint32_t checksum_add(std::span<const std::byte> data, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<uint32_t>(data[i]) << 8 | static_cast<uint32_t>(data[i + 1]);
  }
  if (i < data.size()) sum += static_cast<uint32_t>(data[i]) << 8;
  while ((sum >> 16) != 0)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

uint16_t checksum_finish(uint32_t sum) {
  while ((sum >> 16) != 0)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace ms::net
