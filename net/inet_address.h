// sockaddr_in / sockaddr_in6 to and from the stack's addresses, with the checks Linux makes
// in the order it makes them.
#pragma once

#include "base/result.h"
#include "net/ip_address.h"
#include "net/socket.h"

namespace ms::net {

// The IP version of an AF_INET / AF_INET6 socket.
inline IpVersion version_of(int family) {
  return family == AF_INET6 ? IpVersion::kV6 : IpVersion::kV4;
}

// An address for bind(2), connect(2) or sendto(2) on a socket of `family`: EINVAL when too
// short, EAFNOSUPPORT for another family. bind() on AF_INET also takes AF_UNSPEC with
// INADDR_ANY, as Linux does for old programs.
Result<NetAddress> parse_inet_address(const SockAddr& addr, int family, bool for_bind);
SockAddr make_inet_address(const NetAddress& addr, int family);

// Ports below 1024 need CAP_NET_BIND_SERVICE.
inline bool privileged_port(uint16_t port) {
  return port != 0 && port < 1024;
}

}  // namespace ms::net
