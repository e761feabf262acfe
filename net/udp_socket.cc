#include "net/udp_socket.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include <algorithm>

#include "net/inet_address.h"

namespace ms::net {
namespace {

constexpr uint32_t kDefaultBuf = 212992;  // net.core.{r,w}mem_default
constexpr uint32_t kBufMax = 212992;
constexpr uint32_t kMinSndbuf = 4608;
constexpr uint32_t kMinRcvbuf = 2304;

}  // namespace

UdpSocket::UdpSocket(Stack& stack, int family, int flags)
    : InetSocket(stack, family, SOCK_DGRAM, IPPROTO_UDP, flags),
      ep_(stack, version_of(family)),
      sndbuf_reported_(kDefaultBuf),
      rcvbuf_reported_(kDefaultBuf) {}

Result<void> UdpSocket::bind(const SockAddr& addr, const SocketCaller& caller) {
  const NetAddress a = TRY(check_bind(addr, caller, ep_.binding().registered));
  ep_.binding().uid = caller.euid;
  return ep_.bind(a);
}

Result<void> UdpSocket::connect(const SockAddr& addr, const SocketCaller& caller) {
  if (addr.len < sizeof(sa_family_t)) return fail(EINVAL);
  if (addr.family() == AF_UNSPEC) {
    ep_.disconnect();
    return {};
  }
  NetAddress to;
  if (family() == AF_INET6 && addr.family() == AF_INET) {
    // udpv6 takes an IPv4 address as its mapped form, unless v6-only.
    if (ep_.binding().v6only) return fail(EAFNOSUPPORT);
    to = TRY(parse_inet_address(addr, AF_INET, false));
    to.ip = to.ip.mapped();
  } else {
    to = TRY(parse_inet_address(addr, family(), false));
  }
  if (!ep_.binding().registered) ep_.binding().uid = caller.euid;
  return ep_.connect(to);
}

Result<size_t> UdpSocket::send(std::span<const std::byte> data, SendOptions& opts) {
  if ((opts.flags & MSG_OOB) != 0) return fail(EOPNOTSUPP);
  if (data.size() > 0xffff) return fail(EMSGSIZE);
  std::optional<NetAddress> to;
  if (opts.to) {
    const SockAddr& a = *opts.to;
    if (family() == AF_INET) {
      if (a.len < sizeof(sockaddr_in)) return fail(EINVAL);
      const auto sin = a.as<sockaddr_in>();
      if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC) return fail(EAFNOSUPPORT);
      SockAddr fixed = a;
      const sa_family_t f = AF_INET;
      std::memcpy(fixed.bytes.data(), &f, sizeof(f));
      to = TRY(parse_inet_address(fixed, AF_INET, false));
    } else {
      if (a.family() == AF_INET && a.len >= sizeof(sockaddr_in)) {
        if (ep_.binding().v6only) return fail(ENETUNREACH);
        to = TRY(parse_inet_address(a, AF_INET, false));
        to->ip = to->ip.mapped();
      } else {
        to = TRY(parse_inet_address(a, AF_INET6, false));
      }
    }
  }
  return ep_.send_to(data, to);
}

Result<RecvResult> UdpSocket::recv(std::span<std::byte> dst, int flags) {
  if ((flags & MSG_OOB) != 0) return fail(EOPNOTSUPP);
  if ((flags & MSG_ERRQUEUE) != 0) return fail(EAGAIN);
  const auto got = TRY(ep_.recv(dst, (flags & MSG_PEEK) != 0));
  RecvResult r;
  r.copied = got.copied;
  r.length = got.length;
  if (got.copied < got.length) r.msg_flags |= MSG_TRUNC;
  r.from = make_inet_address(got.from, family());
  return r;
}

Result<void> UdpSocket::shutdown(int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return fail(EINVAL);
  return ep_.shutdown(how);
}

Result<SockAddr> UdpSocket::local_name() {
  return make_inet_address(ep_.local_address(), family());
}

Result<SockAddr> UdpSocket::peer_name() {
  return make_inet_address(TRY(ep_.peer_address()), family());
}

Result<void> UdpSocket::setsockopt(int level, int name, std::span<const std::byte> value,
                                   const SocketCaller& caller) {
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_SNDBUF:
      case SO_SNDBUFFORCE: {
        if (name == SO_SNDBUFFORCE && !caller.privileged) return fail(EPERM);
        const int v = TRY(option_int(value));
        const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)), kBufMax);
        sndbuf_reported_ = std::max(want * 2, kMinSndbuf);
        ep_.sndbuf = sndbuf_reported_;
        return {};
      }
      case SO_RCVBUF:
      case SO_RCVBUFFORCE: {
        if (name == SO_RCVBUFFORCE && !caller.privileged) return fail(EPERM);
        const int v = TRY(option_int(value));
        const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)), kBufMax);
        rcvbuf_reported_ = std::max(want * 2, kMinRcvbuf);
        ep_.rcvbuf = rcvbuf_reported_;
        return {};
      }
      case SO_KEEPALIVE:
        stored_[{level, name}] = TRY(option_int(value)) != 0 ? 1 : 0;
        return {};
      default:
        break;
    }
    auto r = set_common_option(name, value);
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
  }
  if (level == IPPROTO_UDP) return fail(ENOPROTOOPT);
  return set_stored_option(level, name, value, ep_.binding(), ep_.binding().registered);
}

Result<std::vector<std::byte>> UdpSocket::getsockopt(int level, int name) {
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_ERROR:
        return option_bytes(ep_.take_error());
      case SO_ACCEPTCONN:
        return option_bytes(0);
      case SO_SNDBUF:
        return option_bytes(static_cast<int>(sndbuf_reported_));
      case SO_RCVBUF:
        return option_bytes(static_cast<int>(rcvbuf_reported_));
      case SO_KEEPALIVE: {
        auto it = stored_.find({level, name});
        return option_bytes(it != stored_.end() ? it->second : 0);
      }
      default:
        break;
    }
    auto r = get_common_option(name);
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
  }
  if (level == IPPROTO_UDP) return fail(ENOPROTOOPT);
  return get_stored_option(level, name, ep_.binding());
}

Result<uint64_t> UdpSocket::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  switch (request) {
    case SIOCINQ:
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(ep_.next_datagram_size())));
      return 0;
    case SIOCOUTQ:
      TRY(mem.write(mm::GuestPtr<int>(arg), 0));
      return 0;
    default:
      return InetSocket::ioctl(request, arg, mem);
  }
}

}  // namespace ms::net
