#include "net/host_socket.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "net/inet_address.h"

namespace ms::net {
namespace {

// Options a guest may set on or read from a host socket: none that changes routing, marks,
// filters, or anything beyond the socket itself.
bool allowed_option(int level, int name) {
  switch (level) {
    case SOL_SOCKET:
      switch (name) {
        case SO_REUSEADDR:
        case SO_REUSEPORT:
        case SO_KEEPALIVE:
        case SO_SNDBUF:
        case SO_RCVBUF:
        case SO_BROADCAST:
        case SO_OOBINLINE:
        case SO_RCVLOWAT:
        case SO_TIMESTAMP_OLD:
        case SO_TIMESTAMPNS_OLD:
        case SO_ERROR:
        case SO_TYPE:
        case SO_DOMAIN:
        case SO_PROTOCOL:
        case SO_ACCEPTCONN:
        case SO_PEERCRED:
        case SO_ZEROCOPY:
        case SO_INCOMING_CPU:
          return true;
        default:
          return false;
      }
    case IPPROTO_TCP:
      switch (name) {
        case TCP_NODELAY:
        case TCP_CORK:
        case TCP_MAXSEG:
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
        case TCP_INFO:
        case TCP_QUICKACK:
        case TCP_USER_TIMEOUT:
        case TCP_CONGESTION:
        case TCP_DEFER_ACCEPT:
        case TCP_FASTOPEN:
        case TCP_FASTOPEN_CONNECT:
        case TCP_NOTSENT_LOWAT:
        case TCP_SYNCNT:
        case TCP_LINGER2:
        case TCP_WINDOW_CLAMP:
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
        case IP_MTU:
        case IP_MULTICAST_TTL:
        case IP_MULTICAST_LOOP:
        case IP_ADD_MEMBERSHIP:
        case IP_DROP_MEMBERSHIP:
        case IP_BIND_ADDRESS_NO_PORT:
          return true;
        default:
          return false;
      }
    case IPPROTO_IPV6:
      switch (name) {
        case IPV6_V6ONLY:
        case IPV6_TCLASS:
        case IPV6_UNICAST_HOPS:
        case IPV6_RECVERR:
        case IPV6_RECVPKTINFO:
        case IPV6_MTU_DISCOVER:
        case IPV6_MTU:
        case IPV6_MULTICAST_HOPS:
        case IPV6_MULTICAST_LOOP:
        case IPV6_ADD_MEMBERSHIP:
        case IPV6_DROP_MEMBERSHIP:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

Result<size_t> host_result(ssize_t r) {
  if (r < 0) return fail(errno);
  return static_cast<size_t>(r);
}

// Flags a guest may pass to send and receive calls.
constexpr int kSendFlags = MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE;
constexpr int kRecvFlags = MSG_OOB | MSG_PEEK | MSG_TRUNC | MSG_WAITALL;

}  // namespace

Result<std::shared_ptr<HostSocket>> HostSocket::create(kernel::HostPoller& poller, int family,
                                                       int type, int protocol, int flags) {
  UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!fd) return fail(errno);
  return std::make_shared<HostSocket>(std::move(fd), poller, family, type, protocol, flags);
}

HostSocket::HostSocket(UniqueFd fd, kernel::HostPoller& poller, int family, int type, int protocol,
                       int flags)
    : Socket(family, type, protocol, flags),
      fd_(std::move(fd)),
      poller_(poller),
      queue_(&HostSocket::on_wait, this),
      watch_(poller, fd_.get(), queue_) {}

HostSocket::~HostSocket() {
  queue_.notify(~0U);
}

void HostSocket::on_wait(void* self, uint32_t events) {
  static_cast<HostSocket*>(self)->watch_.want(events);
}

uint32_t HostSocket::readiness() {
  pollfd p{fd_.get(),
           static_cast<short>(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) < 0) return POLLERR;
  return static_cast<uint32_t>(p.revents);
}

size_t HostSocket::readable_bytes() const {
  int n = 0;
  if (::ioctl(fd_.get(), SIOCINQ, &n) != 0) return 0;
  return static_cast<size_t>(n);
}

bool HostSocket::read_finished() const {
  pollfd p{fd_.get(), static_cast<short>(POLLIN | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) < 0) return true;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

Result<void> HostSocket::check_address(const SockAddr& addr) const {
  // Only the socket's own families travel to the host (AF_UNSPEC disconnects; an AF_INET6
  // UDP socket also takes AF_INET, as Linux's udpv6 does).
  const int f = addr.family();
  if (f == AF_UNSPEC || f == family()) return {};
  if (family() == AF_INET6 && f == AF_INET) return {};
  return fail(family() == AF_INET ? EAFNOSUPPORT : EINVAL);
}

Result<void> HostSocket::bind(const SockAddr& addr, const SocketCaller& caller) {
  const NetAddress a = TRY(parse_inet_address(addr, family(), /*for_bind=*/true));
  // The sentry may be root; the guest binds a privileged host port only if it is.
  if (privileged_port(a.port) && !caller.privileged) return fail(EACCES);
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(addr.bytes.data()), addr.len) != 0) {
    return fail(errno);
  }
  return {};
}

Result<void> HostSocket::listen(int backlog, const SocketCaller& /*caller*/) {
  if (::listen(fd_.get(), backlog) != 0) return fail(errno);
  return {};
}

Result<std::shared_ptr<Socket>> HostSocket::accept(int flags) {
  UniqueFd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    watch_.rearm_if_waited(EPOLLIN);
    return fail(EAGAIN);
  }
  if (!fd) return fail(errno);
  return std::make_shared<HostSocket>(std::move(fd), poller_, family(), type(), protocol(), flags);
}

Result<void> HostSocket::connect(const SockAddr& addr, const SocketCaller& /*caller*/) {
  if (addr.len < sizeof(sa_family_t)) return fail(EINVAL);
  TRY(check_address(addr));
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(addr.bytes.data()), addr.len) == 0) {
    connecting_ = false;
    return {};
  }
  const int err = errno;
  if (err == EINPROGRESS) {
    connecting_ = true;
    watch_.rearm_if_waited(EPOLLOUT);
  }
  return fail(err);
}

Result<void> HostSocket::finish_connect() {
  if (!connecting_) return {};
  pollfd p{fd_.get(), POLLOUT, 0};
  if (::poll(&p, 1, 0) == 0) {
    watch_.rearm_if_waited(EPOLLOUT);
    return fail(EINPROGRESS);
  }
  connecting_ = false;
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(err);
  return {};
}

Result<size_t> HostSocket::send(std::span<const std::byte> data, SendOptions& opts) {
  if (opts.to) TRY(check_address(*opts.to));
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (opts.to) {
    m.msg_name = opts.to->bytes.data();
    m.msg_namelen = opts.to->len;
  }
  const int flags = (opts.flags & kSendFlags) | MSG_DONTWAIT | MSG_NOSIGNAL;
  auto r = host_result(::sendmsg(fd_.get(), &m, flags));
  if (!r && r.error() == Errno{EWOULDBLOCK}) {
    watch_.rearm_if_waited(EPOLLOUT);
    return fail(EAGAIN);
  }
  return r;
}

Result<RecvResult> HostSocket::recv(std::span<std::byte> dst, int flags) {
  iovec iov{dst.data(), dst.size()};
  sockaddr_storage from{};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_name = &from;
  m.msg_namelen = sizeof(from);
  // MSG_TRUNC makes the host report a datagram's full length; MSG_WAITALL is the syscall
  // layer's loop.
  int host_flags = (flags & kRecvFlags & ~MSG_WAITALL) | MSG_DONTWAIT;
  if (type() != SOCK_STREAM) host_flags |= MSG_TRUNC;
  const ssize_t n = ::recvmsg(fd_.get(), &m, host_flags);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    watch_.rearm_if_waited(EPOLLIN | EPOLLRDHUP);
    return fail(EAGAIN);
  }
  if (n < 0) return fail(errno);
  RecvResult r;
  r.length = static_cast<size_t>(n);
  r.copied = std::min(r.length, dst.size());
  r.msg_flags = m.msg_flags & (MSG_TRUNC | MSG_EOR | MSG_OOB);
  if (m.msg_namelen > 0) r.from = SockAddr::of(&from, m.msg_namelen);
  return r;
}

Result<void> HostSocket::shutdown(int how) {
  if (::shutdown(fd_.get(), how) != 0) return fail(errno);
  return {};
}

Result<SockAddr> HostSocket::local_name() {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail(errno);
  return SockAddr::of(&ss, len);
}

Result<SockAddr> HostSocket::peer_name() {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail(errno);
  return SockAddr::of(&ss, len);
}

Result<void> HostSocket::setsockopt(int level, int name, std::span<const std::byte> value,
                                    const SocketCaller& caller) {
  if (level == SOL_SOCKET) {
    auto r = set_common_option(name, value);  // timeouts stay in the sentry
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
    if (name == SO_LINGER) {
      if (value.size() < sizeof(linger)) return fail(EINVAL);
      linger l;
      std::memcpy(&l, value.data(), sizeof(l));
      linger_ = l;
      // An abortive close (a zero timeout) is safe to pass on; a lingering one would block
      // the sentry's close.
      if (l.l_onoff != 0 && l.l_linger == 0) {
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      }
      return {};
    }
    if ((name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE) && !caller.privileged) {
      return fail(EPERM);
    }
  }
  if (!allowed_option(level, name)) return fail(ENOPROTOOPT);
  if (::setsockopt(fd_.get(), level, name, value.data(), static_cast<socklen_t>(value.size())) !=
      0) {
    return fail(errno);
  }
  return {};
}

Result<std::vector<std::byte>> HostSocket::getsockopt(int level, int name) {
  if (level == SOL_SOCKET) {
    auto r = get_common_option(name);
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
    if (name == SO_LINGER) {
      linger l{};
      if (linger_) l = *linger_;
      return option_bytes(l);
    }
  }
  if (!allowed_option(level, name)) return fail(ENOPROTOOPT);
  std::vector<std::byte> v(512);
  socklen_t len = static_cast<socklen_t>(v.size());
  if (::getsockopt(fd_.get(), level, name, v.data(), &len) != 0) return fail(errno);
  v.resize(len);
  return v;
}

Result<uint64_t> HostSocket::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  switch (request) {
    case SIOCINQ:
    case SIOCOUTQ:
    case SIOCOUTQNSD:
    case SIOCATMARK: {
      int v = 0;
      if (::ioctl(fd_.get(), request, &v) != 0) return fail(errno);
      TRY(mem.write(mm::GuestPtr<int>(arg), v));
      return 0;
    }
    default:
      return fail(ENOTTY);
  }
}

}  // namespace ms::net
