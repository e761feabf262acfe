#include "net/tcp_socket.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "net/inet_address.h"
#include "net/linux_tcp_info.h"

namespace ms::net {
namespace {

// Linux's tcp_wmem[1] and tcp_rmem[1]: what SO_SNDBUF / SO_RCVBUF report before they are
// set; net.core.wmem_max / rmem_max cap what can be set; SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF.
constexpr uint32_t kReportedSndbuf = 16384;
constexpr uint32_t kReportedRcvbuf = 131072;
constexpr uint32_t kBufMax = 212992;
constexpr uint32_t kMinSndbuf = 4608;
constexpr uint32_t kMinRcvbuf = 2304;
// TCP_MAXSEG bounds (TCP_MIN_MSS, MAX_TCP_WINDOW).
constexpr int kMinMss = 88;
constexpr int kMaxMss = 32767;

}  // namespace

TcpSocket::TcpSocket(Stack& stack, int family, int flags)
    : InetSocket(stack, family, SOCK_STREAM, IPPROTO_TCP, flags),
      ep_(std::make_shared<TcpEndpoint>(stack, version_of(family))),
      sndbuf_reported_(kReportedSndbuf),
      rcvbuf_reported_(kReportedRcvbuf) {}

TcpSocket::TcpSocket(Stack& stack, int family, int flags, std::shared_ptr<TcpEndpoint> accepted,
                     uint32_t sndbuf_reported, uint32_t rcvbuf_reported)
    : InetSocket(stack, family, SOCK_STREAM, IPPROTO_TCP, flags),
      ep_(std::move(accepted)),
      sock_state_(SockState::kConnected),
      sndbuf_reported_(sndbuf_reported),
      rcvbuf_reported_(rcvbuf_reported) {}

TcpSocket::~TcpSocket() {
  ep_->close();
}

bool TcpSocket::read_finished() const {
  return ep_->peer_closed() || ep_->read_shut() || ep_->pending_error() != 0 ||
         ep_->state() == TcpState::kClosed;
}

void TcpSocket::disconnect() {
  auto fresh = std::make_shared<TcpEndpoint>(stack_, ep_->family());
  fresh->options() = ep_->options();
  Binding& nb = fresh->binding();
  const Binding& ob = ep_->binding();
  nb.reuse_addr = ob.reuse_addr;
  nb.reuse_port = ob.reuse_port;
  nb.v6only = ob.v6only;
  nb.uid = ob.uid;
  const bool keep = ep_->bound() && ep_->port_locked();
  const NetAddress bound = ep_->bound_address();
  auto old = std::move(ep_);
  old->abort();  // a reset for a live connection; nothing for one already over
  old->release_port();
  ep_ = std::move(fresh);
  if (keep) (void)ep_->bind(bound);
  sock_state_ = SockState::kUnconnected;
}

Result<void> TcpSocket::bind(const SockAddr& addr, const SocketCaller& caller) {
  const NetAddress a = TRY(check_bind(addr, caller, ep_->bound()));
  if (ep_->state() != TcpState::kClosed) return fail(EINVAL);
  ep_->binding().uid = caller.euid;
  return ep_->bind(a);
}

Result<void> TcpSocket::listen(int backlog, const SocketCaller& caller) {
  if (sock_state_ != SockState::kUnconnected) return fail(EINVAL);
  if (!ep_->bound()) ep_->binding().uid = caller.euid;
  return ep_->listen(backlog);
}

Result<std::shared_ptr<Socket>> TcpSocket::accept(int flags) {
  if (sock_state_ != SockState::kUnconnected) return fail(EINVAL);
  auto child = TRY(ep_->accept());
  return std::make_shared<TcpSocket>(stack_, family(), flags, std::move(child), sndbuf_reported_,
                                     rcvbuf_reported_);
}

Result<void> TcpSocket::connect(const SockAddr& addr, const SocketCaller& caller) {
  if (addr.len < sizeof(sa_family_t)) return fail(EINVAL);
  if (addr.family() == AF_UNSPEC) {
    disconnect();
    return {};
  }
  switch (sock_state_) {
    case SockState::kConnected:
      return fail(EISCONN);
    case SockState::kConnecting:
      if (ep_->state() == TcpState::kSynSent) return fail(EALREADY);
      return finish_connect();
    case SockState::kUnconnected:
      break;
  }
  if (ep_->state() != TcpState::kClosed) return fail(EISCONN);
  const NetAddress to = TRY(parse_inet_address(addr, family(), /*for_bind=*/false));
  if (!ep_->bound()) ep_->binding().uid = caller.euid;
  TRY(ep_->connect(to));
  sock_state_ = SockState::kConnecting;
  // On Linux even a loopback connect reports EINPROGRESS: the handshake is the peer's to
  // finish. Here it may already have finished; finish_connect() tells.
  return fail(EINPROGRESS);
}

Result<void> TcpSocket::finish_connect() {
  if (sock_state_ != SockState::kConnecting) return {};
  const TcpState s = ep_->state();
  if (s == TcpState::kSynSent || s == TcpState::kSynReceived) return fail(EINPROGRESS);
  if (s == TcpState::kClosed) {
    // Refused, reset or timed out: report it once and start over, as inet_stream_connect.
    int err = ep_->take_error();
    if (err == 0) err = ECONNABORTED;
    disconnect();
    return fail(err);
  }
  sock_state_ = SockState::kConnected;
  return {};
}

Result<size_t> TcpSocket::send(std::span<const std::byte> data, SendOptions& opts) {
  // Urgent data is not supported: refuse it rather than send it in line.
  if ((opts.flags & MSG_OOB) != 0) return fail(EOPNOTSUPP);
  return ep_->send(data, (opts.flags & MSG_MORE) != 0);
}

Result<RecvResult> TcpSocket::recv(std::span<std::byte> dst, int flags) {
  // No urgent data ever arrives in line or out of it: Linux's answer when there is none.
  if ((flags & MSG_OOB) != 0) return fail(EINVAL);
  if ((flags & MSG_ERRQUEUE) != 0) return fail(EAGAIN);
  RecvResult r;
  if ((flags & MSG_TRUNC) != 0 && (flags & MSG_PEEK) == 0) {
    // MSG_TRUNC on a stream discards the bytes instead of copying them.
    std::vector<std::byte> sink(std::min<size_t>(dst.size(), 1 << 20));
    r.copied = TRY(ep_->recv(sink, false));
  } else {
    r.copied = TRY(ep_->recv(dst, (flags & MSG_PEEK) != 0));
  }
  r.length = r.copied;
  return r;
}

Result<void> TcpSocket::shutdown(int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return fail(EINVAL);
  return ep_->shutdown(how);
}

Result<SockAddr> TcpSocket::local_name() {
  return make_inet_address(ep_->local_address(), family());
}

Result<SockAddr> TcpSocket::peer_name() {
  return make_inet_address(TRY(ep_->peer_address()), family());
}

Result<void> TcpSocket::setsockopt(int level, int name, std::span<const std::byte> value,
                                   const SocketCaller& caller) {
  TcpSocketOptions& o = ep_->options();
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_KEEPALIVE:
        o.keepalive = TRY(option_int(value)) != 0;
        ep_->options_changed();
        return {};
      case SO_SNDBUF:
      case SO_SNDBUFFORCE: {
        if (name == SO_SNDBUFFORCE && !caller.privileged) return fail(EPERM);
        const int v = TRY(option_int(value));
        const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)),
                                                 name == SO_SNDBUF ? kBufMax : 0x7fffffff / 2);
        sndbuf_reported_ = std::max(want * 2, kMinSndbuf);
        o.sndbuf = sndbuf_reported_;
        return {};
      }
      case SO_RCVBUF:
      case SO_RCVBUFFORCE: {
        if (name == SO_RCVBUFFORCE && !caller.privileged) return fail(EPERM);
        const int v = TRY(option_int(value));
        const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)),
                                                 name == SO_RCVBUF ? kBufMax : 0x7fffffff / 2);
        rcvbuf_reported_ = std::max(want * 2, kMinRcvbuf);
        // About half of Linux's doubled value holds data; the rest is its overhead.
        o.rcvbuf = rcvbuf_reported_ / 2;
        return {};
      }
      case SO_LINGER: {
        if (value.size() < sizeof(linger)) return fail(EINVAL);
        linger l;
        std::memcpy(&l, value.data(), sizeof(l));
        o.linger = l.l_onoff != 0;
        o.linger_s = std::max(l.l_linger, 0);
        return {};
      }
      case SO_REUSEADDR:
      case SO_REUSEPORT:
        return set_stored_option(level, name, value, ep_->binding(), ep_->bound());
      default:
        break;
    }
    auto r = set_common_option(name, value);
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
    return set_stored_option(level, name, value, ep_->binding(), ep_->bound());
  }
  if (level == IPPROTO_TCP) {
    if (name == TCP_CONGESTION) {
      const std::string algo(reinterpret_cast<const char*>(value.data()),
                             strnlen(reinterpret_cast<const char*>(value.data()), value.size()));
      if (algo != "reno" && algo != "cubic") return fail(ENOENT);
      return {};
    }
    const int v = TRY(option_int(value));
    switch (name) {
      case TCP_NODELAY:
        o.nodelay = v != 0;
        ep_->options_changed();
        return {};
      case TCP_CORK:
        o.cork = v != 0;
        ep_->options_changed();
        return {};
      case TCP_MAXSEG:
        if (v != 0 && (v < kMinMss || v > kMaxMss)) return fail(EINVAL);
        o.user_mss = static_cast<uint32_t>(v);
        return {};
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL:
        if (v < 1 || v > 32767) return fail(EINVAL);
        (name == TCP_KEEPIDLE ? o.keepidle_s : o.keepintvl_s) = v;
        ep_->options_changed();
        return {};
      case TCP_KEEPCNT:
        if (v < 1 || v > 127) return fail(EINVAL);
        o.keepcnt = v;
        return {};
      case TCP_SYNCNT:
        if (v < 1 || v > 127) return fail(EINVAL);
        stored_[{level, name}] = v;
        return {};
      case TCP_USER_TIMEOUT:
        if (v < 0) return fail(EINVAL);
        stored_[{level, name}] = v;
        return {};
      case TCP_QUICKACK:
        stored_[{level, name}] = v != 0 ? 1 : 0;
        return {};
      case TCP_DEFER_ACCEPT:
      case TCP_LINGER2:
      case TCP_WINDOW_CLAMP:
      case TCP_NOTSENT_LOWAT:
      case TCP_FASTOPEN:
      case TCP_FASTOPEN_CONNECT:
        stored_[{level, name}] = v;
        return {};
      default:
        return fail(ENOPROTOOPT);
    }
  }
  return set_stored_option(level, name, value, ep_->binding(), ep_->bound());
}

Result<std::vector<std::byte>> TcpSocket::getsockopt(int level, int name) {
  const TcpSocketOptions& o = ep_->options();
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_ERROR:
        return option_bytes(ep_->take_error());
      case SO_ACCEPTCONN:
        return option_bytes(int{ep_->state() == TcpState::kListen});
      case SO_KEEPALIVE:
        return option_bytes(int{o.keepalive});
      case SO_SNDBUF:
        return option_bytes(static_cast<int>(sndbuf_reported_));
      case SO_RCVBUF:
        return option_bytes(static_cast<int>(rcvbuf_reported_));
      case SO_LINGER: {
        linger l{o.linger ? 1 : 0, o.linger_s};
        return option_bytes(l);
      }
      case SO_PEERCRED: {
        // Linux keeps no credentials for inet peers: no pid, and the overflow ids.
        ucred c{0, 65534, 65534};
        return option_bytes(c);
      }
      default:
        break;
    }
    auto r = get_common_option(name);
    if (r || r.error() != Errno{ENOPROTOOPT}) return r;
    return get_stored_option(level, name, ep_->binding());
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return option_bytes(int{o.nodelay});
      case TCP_CORK:
        return option_bytes(int{o.cork});
      case TCP_MAXSEG: {
        const bool connected = tcp_synchronized(ep_->state()) || ep_->state() == TcpState::kListen;
        uint32_t mss = connected && ep_->state() != TcpState::kListen ? ep_->mss() : 536;
        if (o.user_mss != 0 && !connected) mss = o.user_mss;
        return option_bytes(static_cast<int>(mss));
      }
      case TCP_KEEPIDLE:
        return option_bytes(o.keepidle_s);
      case TCP_KEEPINTVL:
        return option_bytes(o.keepintvl_s);
      case TCP_KEEPCNT:
        return option_bytes(o.keepcnt);
      case TCP_CONGESTION: {
        std::vector<std::byte> v(16);
        std::memcpy(v.data(), "reno", 4);
        return v;
      }
      case TCP_INFO: {
        const TcpInfo i = ep_->info();
        LinuxTcpInfo t{};
        t.state = static_cast<uint8_t>(i.state);
        t.ca_state = i.ca_state;
        t.retransmits = i.retransmits;
        t.backoff = i.backoff;
        t.options = (i.sack ? TCPI_OPT_SACK : 0) | (i.wscale ? TCPI_OPT_WSCALE : 0);
        t.wscale = static_cast<uint8_t>((i.snd_wscale & 0xf) | (i.rcv_wscale & 0xf) << 4);
        t.rto = i.rto_us;
        t.snd_mss = i.snd_mss;
        t.rcv_mss = i.rcv_mss;
        t.unacked = i.unacked;
        t.sacked = i.sacked;
        t.pmtu = 65536;
        t.rcv_ssthresh = i.rcv_space;
        t.rtt = i.rtt_us;
        t.rttvar = i.rttvar_us;
        t.snd_ssthresh = i.snd_ssthresh;
        t.snd_cwnd = i.snd_cwnd;
        t.advmss = i.advmss;
        t.reordering = 3;
        t.rcv_space = i.rcv_space;
        t.total_retrans = i.total_retrans;
        t.bytes_acked = i.bytes_acked;
        t.bytes_received = i.bytes_received;
        t.segs_out = i.segs_out;
        t.segs_in = i.segs_in;
        t.notsent_bytes = i.notsent_bytes;
        t.snd_wnd = i.snd_wnd;
        return option_bytes(t);
      }
      default: {
        auto it = stored_.find({level, name});
        if (it != stored_.end()) return option_bytes(it->second);
        switch (name) {
          case TCP_SYNCNT:
            return option_bytes(6);
          case TCP_USER_TIMEOUT:
          case TCP_QUICKACK:
          case TCP_DEFER_ACCEPT:
          case TCP_WINDOW_CLAMP:
          case TCP_NOTSENT_LOWAT:
          case TCP_FASTOPEN:
          case TCP_FASTOPEN_CONNECT:
            return option_bytes(0);
          case TCP_LINGER2:
            return option_bytes(60);
          default:
            return fail(ENOPROTOOPT);
        }
      }
    }
  }
  return get_stored_option(level, name, ep_->binding());
}

Result<uint64_t> TcpSocket::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  switch (request) {
    case SIOCINQ:  // FIONREAD
      if (ep_->state() == TcpState::kListen) return fail(EINVAL);
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(ep_->readable_bytes())));
      return 0;
    case SIOCOUTQ:
      if (ep_->state() == TcpState::kListen) return fail(EINVAL);
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(ep_->unacked_bytes())));
      return 0;
    case SIOCOUTQNSD:
      if (ep_->state() == TcpState::kListen) return fail(EINVAL);
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(ep_->unsent_bytes())));
      return 0;
    case SIOCATMARK:
      TRY(mem.write(mm::GuestPtr<int>(arg), 0));
      return 0;
    default:
      return InetSocket::ioctl(request, arg, mem);
  }
}

}  // namespace ms::net
