#include "net/inet_address.h"

#include <netinet/in.h>

#include <array>
#include <cstring>

namespace ms::net {
namespace {

// RFC 2133's sockaddr_in6, without sin6_scope_id: Linux still accepts it.
constexpr size_t kSin6LenRfc2133 = 24;

}  // namespace

Result<NetAddress> parse_inet_address(const SockAddr& addr, int family, bool for_bind) {
  if (family == AF_INET) {
    if (addr.len < sizeof(sockaddr_in)) return fail(EINVAL);
    const auto sin = addr.as<sockaddr_in>();
    if (sin.sin_family != AF_INET) {
      if (!for_bind || sin.sin_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY)) {
        return fail(EAFNOSUPPORT);
      }
    }
    return NetAddress{IpAddress::v4_bytes(reinterpret_cast<const uint8_t*>(&sin.sin_addr)),
                      ntohs(sin.sin_port)};
  }
  if (addr.len < kSin6LenRfc2133) return fail(EINVAL);
  const auto sin6 = addr.as<sockaddr_in6>();
  if (sin6.sin6_family != AF_INET6) return fail(EAFNOSUPPORT);
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), &sin6.sin6_addr, 16);
  return NetAddress{IpAddress::v6(b), ntohs(sin6.sin6_port)};
}

SockAddr make_inet_address(const NetAddress& addr, int family) {
  if (family == AF_INET) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(addr.port);
    const IpAddress ip = addr.ip.unmapped();
    if (ip.is_v4()) std::memcpy(&sin.sin_addr, ip.bytes(), 4);
    return SockAddr::of(sin);
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(addr.port);
  const IpAddress ip = addr.ip.mapped();
  std::memcpy(&sin6.sin6_addr, ip.bytes(), 16);
  return SockAddr::of(sin6);
}

}  // namespace ms::net
