#include "net/inet_socket.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>

#include "net/inet_address.h"
#include "net/interface_ioctl.h"

namespace ms::net {
namespace {

// Options whose value is an int the stack stores and reports, with Linux's defaults.
int stored_default(int level, int name) {
  if (level == IPPROTO_IP && name == IP_TTL) return 64;
  if (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS) return 64;
  if (level == IPPROTO_IP && name == IP_MTU_DISCOVER) return IP_PMTUDISC_WANT;
  if (level == IPPROTO_IPV6 && name == IPV6_MTU_DISCOVER) return IPV6_PMTUDISC_WANT;
  if (level == IPPROTO_IP && name == IP_MULTICAST_TTL) return 1;
  if (level == IPPROTO_IP && name == IP_MULTICAST_LOOP) return 1;
  if (level == IPPROTO_IPV6 && name == IPV6_MULTICAST_LOOP) return 1;
  if (level == IPPROTO_IPV6 && name == IPV6_MULTICAST_HOPS) return 1;
  return 0;
}

bool is_stored(int level, int name) {
  switch (level) {
    case SOL_SOCKET:
      switch (name) {
        case SO_BROADCAST:
        case SO_DONTROUTE:
        case SO_OOBINLINE:
        case SO_PRIORITY:
        case SO_RCVLOWAT:
        case SO_TIMESTAMP_OLD:
        case SO_TIMESTAMPNS_OLD:
        case SO_PASSCRED:
        case SO_ZEROCOPY:
        case SO_BUSY_POLL:
        case SO_INCOMING_CPU:
        case SO_SELECT_ERR_QUEUE:
          return true;
        default:
          return false;
      }
    case IPPROTO_IP:
      switch (name) {
        case IP_TOS:
        case IP_TTL:
        case IP_RECVERR:
        case IP_RECVTOS:
        case IP_RECVTTL:
        case IP_PKTINFO:
        case IP_MTU_DISCOVER:
        case IP_FREEBIND:
        case IP_BIND_ADDRESS_NO_PORT:
        case IP_MULTICAST_TTL:
        case IP_MULTICAST_LOOP:
        case IP_RECVORIGDSTADDR:
          return true;
        default:
          return false;
      }
    case IPPROTO_IPV6:
      switch (name) {
        case IPV6_TCLASS:
        case IPV6_UNICAST_HOPS:
        case IPV6_RECVERR:
        case IPV6_RECVPKTINFO:
        case IPV6_MTU_DISCOVER:
        case IPV6_MULTICAST_HOPS:
        case IPV6_MULTICAST_LOOP:
        case IPV6_RECVTCLASS:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

}  // namespace

Result<uint64_t> InetSocket::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  if (is_interface_ioctl(request) || request == SIOCGIFCONF) {
    return interface_ioctl(stack_, request, arg, mem);
  }
  return fail(ENOTTY);
}

Result<void> InetSocket::set_stored_option(int level, int name, std::span<const std::byte> value,
                                           Binding& binding, bool bound) {
  if (level == SOL_SOCKET && name == SO_REUSEADDR) {
    binding.reuse_addr = TRY(option_int(value)) != 0;
    return {};
  }
  if (level == SOL_SOCKET && name == SO_REUSEPORT) {
    binding.reuse_port = TRY(option_int(value)) != 0;
    return {};
  }
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
    if (family() != AF_INET6) return fail(ENOPROTOOPT);
    const int v = TRY(option_int(value));
    if (bound) return fail(EINVAL);  // only before the socket has a port
    binding.v6only = v != 0;
    return {};
  }
  if (level == IPPROTO_IPV6 && family() != AF_INET6) return fail(ENOPROTOOPT);
  if (!is_stored(level, name)) return fail(ENOPROTOOPT);
  int v = TRY(option_int(value));
  if (level == IPPROTO_IP && name == IP_TTL && (v == 0 || v < -1 || v > 255)) return fail(EINVAL);
  if (level == IPPROTO_IP && name == IP_TTL && v == -1) v = 64;
  if (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS && (v < -1 || v > 255)) {
    return fail(EINVAL);
  }
  if (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS && v == -1) v = 64;
  if (level == IPPROTO_IP && name == IP_TOS) v &= 0xfc;  // Linux keeps the ECN bits its own
  if (level == SOL_SOCKET && name == SO_RCVLOWAT && v < 1) v = 1;
  // Boolean options read back as 0 or 1.
  const bool boolean =
      !(level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL || name == IP_MTU_DISCOVER ||
                                name == IP_MULTICAST_TTL)) &&
      !(level == IPPROTO_IPV6 && (name == IPV6_TCLASS || name == IPV6_UNICAST_HOPS ||
                                  name == IPV6_MTU_DISCOVER || name == IPV6_MULTICAST_HOPS)) &&
      !(level == SOL_SOCKET && (name == SO_PRIORITY || name == SO_RCVLOWAT ||
                                name == SO_BUSY_POLL || name == SO_INCOMING_CPU));
  stored_[{level, name}] = boolean ? (v != 0 ? 1 : 0) : v;
  return {};
}

Result<std::vector<std::byte>> InetSocket::get_stored_option(int level, int name,
                                                             const Binding& binding) {
  if (level == SOL_SOCKET && name == SO_REUSEADDR) return option_bytes(int{binding.reuse_addr});
  if (level == SOL_SOCKET && name == SO_REUSEPORT) return option_bytes(int{binding.reuse_port});
  if (level == IPPROTO_IPV6 && family() != AF_INET6) return fail(ENOPROTOOPT);
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) return option_bytes(int{binding.v6only});
  if (!is_stored(level, name)) return fail(ENOPROTOOPT);
  auto it = stored_.find({level, name});
  int v = it != stored_.end() ? it->second : stored_default(level, name);
  if (level == SOL_SOCKET && name == SO_RCVLOWAT && it == stored_.end()) v = 1;
  return option_bytes(v);
}

Result<NetAddress> InetSocket::check_bind(const SockAddr& addr, const SocketCaller& caller,
                                          bool bound) {
  const NetAddress a = TRY(parse_inet_address(addr, family(), /*for_bind=*/true));
  const IpAddress wire = a.ip.unmapped();
  const bool local =
      wire.is_unspecified() || stack_.is_local(wire) || wire.is_multicast() || wire.is_broadcast();
  if (family() == AF_INET) {
    if (!local) return fail(EADDRNOTAVAIL);
    if (privileged_port(a.port) && !caller.privileged) return fail(EACCES);
    if (bound) return fail(EINVAL);
    return a;
  }
  if (privileged_port(a.port) && !caller.privileged) return fail(EACCES);
  if (bound) return fail(EINVAL);
  if (!local) return fail(EADDRNOTAVAIL);
  return a;
}

}  // namespace ms::net
