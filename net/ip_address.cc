#include "net/ip_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

namespace ms::net {

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.version_ = IpVersion::kV4;
  const uint32_t n = htonl(host_order);
  std::memcpy(a.bytes_.data(), &n, 4);
  return a;
}

IpAddress IpAddress::v4_bytes(const uint8_t bytes[4]) {
  IpAddress a;
  a.version_ = IpVersion::kV4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.version_ = IpVersion::kV6;
  a.bytes_ = bytes;
  return a;
}

IpAddress IpAddress::loopback(IpVersion v) {
  if (v == IpVersion::kV4) return v4(0x7f000001);
  std::array<uint8_t, 16> b{};
  b[15] = 1;
  return v6(b);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  const std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4_bytes(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), buf, 16);
    return v6(b);
  }
  return std::nullopt;
}

uint32_t IpAddress::v4_host() const {
  uint32_t n;
  std::memcpy(&n, bytes_.data(), 4);
  return ntohl(n);
}

bool IpAddress::is_unspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  if (is_v4_mapped()) return bytes_[12] == 127;
  return *this == loopback(IpVersion::kV6);
}

bool IpAddress::is_multicast() const {
  if (is_v4()) return (bytes_[0] & 0xf0) == 0xe0;
  return bytes_[0] == 0xff;
}

bool IpAddress::is_v4_mapped() const {
  if (!is_v6()) return false;
  for (int i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

IpAddress IpAddress::unmapped() const {
  if (!is_v4_mapped()) return *this;
  return v4_bytes(bytes_.data() + 12);
}

IpAddress IpAddress::mapped() const {
  if (!is_v4()) return *this;
  std::array<uint8_t, 16> b{};
  b[10] = b[11] = 0xff;
  std::memcpy(b.data() + 12, bytes_.data(), 4);
  return v6(b);
}

bool IpAddress::in_prefix(const IpAddress& prefix, int len) const {
  if (version_ != prefix.version_) return false;
  const int bytes = len / 8;
  if (std::memcmp(bytes_.data(), prefix.bytes_.data(), bytes) != 0) return false;
  const int bits = len % 8;
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (bytes_[bytes] & mask) == (prefix.bytes_[bytes] & mask);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

size_t IpAddress::hash() const {
  uint64_t a;
  uint64_t b;
  std::memcpy(&a, bytes_.data(), 8);
  std::memcpy(&b, bytes_.data() + 8, 8);
  return std::hash<uint64_t>{}(a * 0x9e3779b97f4a7c15ULL ^ b ^ static_cast<uint64_t>(version_));
}

std::string NetAddress::to_string() const {
  if (ip.is_v6()) return fmt::format("[{}]:{}", ip.to_string(), port);
  return fmt::format("{}:{}", ip.to_string(), port);
}

size_t FourTupleHash::operator()(const FourTuple& t) const {
  uint64_t h = t.local.ip.hash();
  h = h * 31 + t.remote.ip.hash();
  h = h * 0x9e3779b97f4a7c15ULL + (static_cast<uint64_t>(t.local.port) << 16 | t.remote.port);
  return static_cast<size_t>(h ^ (h >> 29));
}

}  // namespace ms::net
