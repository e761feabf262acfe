// IPv4 and IPv6 addresses and (address, port) pairs as the stack keeps them.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ms::net {

enum class IpVersion : uint8_t { kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  // 0.0.0.0.
  IpAddress() = default;
  static IpAddress v4(uint32_t host_order);
  static IpAddress v4_bytes(const uint8_t bytes[4]);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
  static IpAddress any(IpVersion v) { return v == IpVersion::kV4 ? v4(0) : v6({}); }
  static IpAddress loopback(IpVersion v);
  // Dotted quad or RFC 4291 text; nullopt if malformed.
  static std::optional<IpAddress> parse(std::string_view text);

  IpVersion version() const { return version_; }
  bool is_v4() const { return version_ == IpVersion::kV4; }
  bool is_v6() const { return version_ == IpVersion::kV6; }
  // The IPv4 address in host byte order (is_v4() only).
  uint32_t v4_host() const;
  // The 4 (IPv4) or 16 (IPv6) bytes in network order.
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }

  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_multicast() const;
  bool is_broadcast() const { return is_v4() && v4_host() == 0xffffffffU; }
  // ::ffff:a.b.c.d.
  bool is_v4_mapped() const;
  // a.b.c.d for ::ffff:a.b.c.d, unchanged otherwise.
  IpAddress unmapped() const;
  // ::ffff:a.b.c.d for a.b.c.d, unchanged otherwise.
  IpAddress mapped() const;
  // Whether this address lies in prefix/len of the same version.
  bool in_prefix(const IpAddress& prefix, int len) const;

  std::string to_string() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.version_ == b.version_ && a.bytes_ == b.bytes_;
  }
  friend auto operator<=>(const IpAddress& a, const IpAddress& b) {
    if (auto c = a.version_ <=> b.version_; c != 0) return c;
    return a.bytes_ <=> b.bytes_;
  }
  size_t hash() const;

 private:
  IpVersion version_ = IpVersion::kV4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4
};

// An address and port: one end of a connection.
struct NetAddress {
  IpAddress ip;
  uint16_t port = 0;

  std::string to_string() const;
  friend bool operator==(const NetAddress&, const NetAddress&) = default;
  friend auto operator<=>(const NetAddress&, const NetAddress&) = default;
};

// A connection's identity as seen from this stack.
struct FourTuple {
  NetAddress local;
  NetAddress remote;
  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

struct FourTupleHash {
  size_t operator()(const FourTuple& t) const;
};

}  // namespace ms::net
