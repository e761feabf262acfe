// TcpEndpoint: the socket operations and connection bookkeeping.
#include "net/tcp_endpoint.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/stack.h"
#include "net/tcp_seq.h"

namespace ms::net {
namespace {

// Every public operation ends by letting the stack deliver what it queued, as Linux's
// loopback does before the syscall returns.
class DrainOnExit {
 public:
  explicit DrainOnExit(Stack& s) : stack_(s) {}
  ~DrainOnExit() { stack_.drain(); }
  DrainOnExit(const DrainOnExit&) = delete;
  DrainOnExit& operator=(const DrainOnExit&) = delete;

 private:
  Stack& stack_;
};

// Linux's net.core.somaxconn.
constexpr int kSomaxconn = 4096;
constexpr uint32_t kAllEvents =
    POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLRDHUP | POLLERR;

}  // namespace

TcpEndpoint::TcpEndpoint(Stack& stack, IpVersion family)
    : stack_(stack), family_(family), rtt_(stack.options().min_rto) {
  binding_.family = family;
  binding_.addr = IpAddress::any(family);
  bound_addr_ = binding_.addr;
}

TcpEndpoint::~TcpEndpoint() {
  if (timer_id_) stack_.timers().cancel(*timer_id_);
  stack_.tcp_ports().unbind(binding_);
}

uint32_t TcpEndpoint::send_buffer_size() const {
  return opts_.sndbuf != 0 ? opts_.sndbuf : kDefaultSendBuffer;
}

uint32_t TcpEndpoint::receive_buffer_size() const {
  return opts_.rcvbuf != 0 ? opts_.rcvbuf : kDefaultReceiveBuffer;
}

uint32_t TcpEndpoint::default_mss(IpVersion v) const {
  // RFC 9293 3.7.1 and RFC 8200 5: what to assume when the peer sends no MSS option.
  return v == IpVersion::kV4 ? 536 : 1220;
}

NetAddress TcpEndpoint::local_address() const {
  if (has_peer_) {
    const IpAddress ip = family_ == IpVersion::kV6 ? tuple_.local.ip.mapped() : tuple_.local.ip;
    return {ip, tuple_.local.port};
  }
  return {binding_.addr, binding_.registered ? binding_.port : uint16_t{0}};
}

Result<NetAddress> TcpEndpoint::peer_address() const {
  // As inet_getname: a socket that is not (or no longer) connected has no peer.
  if (!has_peer_ || state_ == TcpState::kListen || state_ == TcpState::kClosed ||
      state_ == TcpState::kSynSent || state_ == TcpState::kTimeWait) {
    return fail(ENOTCONN);
  }
  const IpAddress ip = family_ == IpVersion::kV6 ? tuple_.remote.ip.mapped() : tuple_.remote.ip;
  return NetAddress{ip, tuple_.remote.port};
}

std::optional<NetAddress> TcpEndpoint::remote_address() const {
  if (!has_peer_) return std::nullopt;
  const IpAddress ip = family_ == IpVersion::kV6 ? tuple_.remote.ip.mapped() : tuple_.remote.ip;
  return NetAddress{ip, tuple_.remote.port};
}

size_t TcpEndpoint::unsent_bytes() const {
  const uint64_t sent = std::min<uint64_t>(pos_of(snd_max_), data_end_pos());
  return sent >= data_end_pos() ? 0 : data_end_pos() - std::max(sent, una64_);
}

Result<void> TcpEndpoint::bind(const NetAddress& addr) {
  if (binding_.registered || state_ != TcpState::kClosed) return fail(EINVAL);
  const IpAddress wire = addr.ip.unmapped();
  if (family_ == IpVersion::kV6 && addr.ip.is_v4_mapped() && binding_.v6only) {
    return fail(EINVAL);
  }
  if (!wire.is_unspecified() && !stack_.is_local(wire)) return fail(EADDRNOTAVAIL);
  binding_.addr = addr.ip;
  binding_.port = addr.port;
  binding_.state = Binding::State::kBound;
  auto r = stack_.tcp_ports().bind(binding_);
  if (!r) {
    binding_.addr = IpAddress::any(family_);
    binding_.port = 0;
    return r;
  }
  bound_addr_ = addr.ip;
  // Linux's SOCK_BINDPORT_LOCK and SOCK_BINDADDR_LOCK: what bind() chose explicitly
  // survives the end of a connection.
  port_locked_ = addr.port != 0;
  addr_locked_ = !wire.is_unspecified();
  return {};
}

void TcpEndpoint::release_port() {
  stack_.tcp_ports().unbind(binding_);
  port_locked_ = addr_locked_ = false;
}

Result<void> TcpEndpoint::autobind() {
  if (binding_.registered) return {};
  binding_.port = 0;
  binding_.state = Binding::State::kBound;
  TRY(stack_.tcp_ports().bind(binding_));
  port_locked_ = false;
  return {};
}

Result<void> TcpEndpoint::listen(int backlog) {
  if (state_ != TcpState::kClosed && state_ != TcpState::kListen) return fail(EINVAL);
  if (static_cast<unsigned>(backlog) > static_cast<unsigned>(kSomaxconn)) backlog = kSomaxconn;
  if (state_ == TcpState::kListen) {
    backlog_ = backlog;
    return {};
  }
  const bool was_bound = binding_.registered;
  TRY(autobind());
  binding_.state = Binding::State::kListen;
  if (auto r = stack_.tcp_ports().check_listen(binding_); !r) {
    binding_.state = Binding::State::kBound;
    if (!was_bound) stack_.tcp_ports().unbind(binding_);
    return r;
  }
  backlog_ = backlog;
  shut_rd_ = shut_wr_ = false;
  error_ = 0;
  set_state(TcpState::kListen);
  stack_.add_listener(shared_from_this());
  in_listeners_ = true;
  return {};
}

Result<std::shared_ptr<TcpEndpoint>> TcpEndpoint::accept() {
  DrainOnExit drain(stack_);
  if (state_ != TcpState::kListen) return fail(EINVAL);
  if (accept_queue_.empty()) return fail(EAGAIN);
  auto child = std::move(accept_queue_.front());
  accept_queue_.pop_front();
  child->listener_.reset();
  return child;
}

Result<void> TcpEndpoint::connect(const NetAddress& to) {
  DrainOnExit drain(stack_);
  if (state_ == TcpState::kSynSent) return fail(EALREADY);
  if (state_ != TcpState::kClosed) return fail(EISCONN);
  if (family_ == IpVersion::kV6 && to.ip.is_v4_mapped() && binding_.v6only) {
    return fail(ENETUNREACH);
  }
  IpAddress remote = to.ip.unmapped();
  // Connecting to the wildcard address reaches this host, as on Linux.
  if (remote.is_unspecified()) {
    remote = IpAddress::loopback(remote.version());
  }
  const IpAddress bound = binding_.addr.unmapped();
  if (!bound.is_unspecified() && bound.version() != remote.version()) return fail(EINVAL);
  const Stack::Route route = TRY(stack_.route(remote));
  const IpAddress src = bound.is_unspecified() ? route.src : bound;
  const bool was_bound = binding_.registered;
  TRY(autobind());
  const FourTuple tuple{{src, binding_.port}, {remote, to.port}};
  if (stack_.has_connection(tuple)) {
    if (!was_bound) stack_.tcp_ports().unbind(binding_);
    return fail(EADDRNOTAVAIL);
  }
  binding_.addr = family_ == IpVersion::kV6 ? src.mapped() : src;
  binding_.state = Binding::State::kConnected;
  tuple_ = tuple;
  has_peer_ = true;
  error_ = 0;
  shut_rd_ = shut_wr_ = false;
  fin_received_ = fin_sent_ = false;
  max_l4_ = static_cast<uint32_t>(max_transport_len(remote.version(), route.mtu));
  adv_mss_ = max_l4_ - static_cast<uint32_t>(TcpHeader::kMinSize);
  if (opts_.user_mss != 0) adv_mss_ = std::min(adv_mss_, opts_.user_mss);
  rcv_mss_ = adv_mss_;
  uint8_t scale = 0;
  while (scale < 14 && (receive_buffer_size() >> scale) > 65535)
    ++scale;
  rcv_wscale_ = scale;
  iss_ = stack_.new_isn();
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  una64_ = 0;
  set_state(TcpState::kSynSent);
  stack_.add_connection(tuple_, shared_from_this());
  in_connections_ = true;
  send_syn(false);
  arm_retransmit();
  return {};
}

Result<size_t> TcpEndpoint::send(std::span<const std::byte> data, bool more) {
  DrainOnExit drain(stack_);
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived) {
    if (error_ == 0) return fail(EAGAIN);
  }
  if (error_ != 0) return fail(take_error());
  if (shut_wr_ || (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait)) {
    return fail(EPIPE);
  }
  const size_t buffer = send_buffer_size();
  if (send_queue_.size() >= buffer) return fail(EAGAIN);
  const size_t n = std::min(data.size(), buffer - send_queue_.size());
  send_queue_.append_copy(data.first(n));
  more_pending_ = more;
  output();
  return n;
}

Result<size_t> TcpEndpoint::recv(std::span<std::byte> dst, bool peek) {
  DrainOnExit drain(stack_);
  if (state_ == TcpState::kListen) return fail(ENOTCONN);
  if (!recv_queue_.empty()) {
    if (dst.empty()) return 0;
    const size_t n = recv_queue_.copy_out(dst);
    if (!peek) {
      recv_queue_.consume(n);
      maybe_window_update();
    }
    return n;
  }
  if (dst.empty() && state_ != TcpState::kClosed) return 0;
  if (fin_received_) return 0;
  if (error_ != 0) return fail(take_error());
  if (shut_rd_) return 0;
  if (state_ == TcpState::kClosed) return fail(ENOTCONN);
  return fail(EAGAIN);
}

Result<void> TcpEndpoint::shutdown(int how) {
  DrainOnExit drain(stack_);
  const bool rd = how == SHUT_RD || how == SHUT_RDWR;
  const bool wr = how == SHUT_WR || how == SHUT_RDWR;
  switch (state_) {
    case TcpState::kClosed:
      shut_rd_ |= rd;
      shut_wr_ |= wr;
      return fail(ENOTCONN);
    case TcpState::kListen:
      if (!rd) return {};
      abort();
      shut_rd_ = shut_wr_ = false;
      return {};
    case TcpState::kSynSent:
      abort();
      shut_rd_ = shut_wr_ = false;
      return {};
    default:
      break;
  }
  if (rd && !shut_rd_) {
    shut_rd_ = true;
    notify(POLLIN | POLLRDNORM | POLLRDHUP);
  }
  if (wr && !shut_wr_) start_close(true);
  return {};
}

void TcpEndpoint::start_close(bool send_fin) {
  shut_wr_ = true;
  switch (state_) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      set_state(TcpState::kFinWait1);
      break;
    case TcpState::kCloseWait:
      set_state(TcpState::kLastAck);
      break;
    default:
      return;
  }
  if (send_fin) output();
  notify(POLLOUT | POLLWRNORM | POLLHUP);
}

void TcpEndpoint::close() {
  DrainOnExit drain(stack_);
  auto self = shared_from_this();
  orphaned_ = true;
  switch (state_) {
    case TcpState::kClosed:
      stack_.tcp_ports().unbind(binding_);
      return;
    case TcpState::kListen:
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
      abort();
      return;
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      // RFC 2525: closing with unread data tells the peer with a reset, as Linux does.
      if (!recv_queue_.empty() || (opts_.linger && opts_.linger_s == 0)) {
        abort();
        return;
      }
      start_close(true);
      break;
    case TcpState::kFinWait2:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
    case TcpState::kTimeWait:
      if (opts_.linger && opts_.linger_s == 0 && state_ != TcpState::kTimeWait) {
        abort();
        return;
      }
      break;
  }
  if (state_ == TcpState::kFinWait2 && !close_at_) {
    close_at_ = stack_.clock().monotonic() + stack_.options().time_wait;
    update_timer();
  }
}

void TcpEndpoint::abort() {
  DrainOnExit drain(stack_);
  auto self = shared_from_this();
  switch (state_) {
    case TcpState::kListen: {
      // Connections nobody accepted are reset, as Linux's inet_csk_listen_stop does.
      auto pending = std::move(accept_queue_);
      accept_queue_.clear();
      for (auto& child : pending) {
        child->listener_.reset();
        child->orphaned_ = true;
        child->abort();
      }
      break;
    }
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      send_reset(snd_max_);
      break;
    default:
      break;
  }
  // Like tcp_disconnect, a connection abandoned while connecting reports ECONNRESET.
  finish(state_ == TcpState::kSynSent ? ECONNRESET : 0);
}

int TcpEndpoint::take_error() {
  return std::exchange(error_, 0);
}

uint32_t TcpEndpoint::readiness() const {
  if (state_ == TcpState::kListen) return accept_queue_.empty() ? 0 : POLLIN | POLLRDNORM;
  uint32_t mask = 0;
  if ((shut_rd_ && shut_wr_) || state_ == TcpState::kClosed) mask |= POLLHUP;
  if (shut_rd_) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (state_ != TcpState::kSynSent && state_ != TcpState::kSynReceived) {
    if (!recv_queue_.empty()) mask |= POLLIN | POLLRDNORM;
    // Writable while the free space is at least half of what is queued (sk_stream_wspace
    // >= sk_stream_min_wspace), or always once writing is shut down.
    const size_t queued = send_queue_.size();
    const size_t buffer = send_buffer_size();
    if (shut_wr_ || (queued < buffer && buffer - queued >= queued / 2)) {
      mask |= POLLOUT | POLLWRNORM;
    }
  }
  if (error_ != 0) mask |= POLLERR;
  return mask;
}

void TcpEndpoint::options_changed() {
  DrainOnExit drain(stack_);
  if (!opts_.cork) more_pending_ = false;
  if (tcp_synchronized(state_)) output();
  arm_keepalive();
}

void TcpEndpoint::set_state(TcpState s) {
  state_ = s;
  switch (s) {
    case TcpState::kListen:
      binding_.state = Binding::State::kListen;
      break;
    case TcpState::kTimeWait:
      binding_.state = Binding::State::kTimeWait;
      break;
    case TcpState::kClosed:
      binding_.state = Binding::State::kBound;
      break;
    default:
      binding_.state = Binding::State::kConnected;
      break;
  }
}

void TcpEndpoint::enter_time_wait() {
  set_state(TcpState::kTimeWait);
  shut_rd_ = shut_wr_ = true;
  rto_at_.reset();
  reorder_at_.reset();
  probe_at_.reset();
  persist_at_.reset();
  keepalive_at_.reset();
  close_at_ = stack_.clock().monotonic() + stack_.options().time_wait;
  update_timer();
  notify(kAllEvents);
}

void TcpEndpoint::finish(int error) {
  auto self = shared_from_this();
  if (error != 0) error_ = error;
  set_state(TcpState::kClosed);
  shut_rd_ = shut_wr_ = true;
  rto_at_.reset();
  reorder_at_.reset();
  probe_at_.reset();
  persist_at_.reset();
  keepalive_at_.reset();
  close_at_.reset();
  update_timer();
  send_queue_.clear();
  ooo_.clear();
  flight_.clear();
  if (in_connections_) {
    in_connections_ = false;
    stack_.remove_connection(tuple_, this);
  }
  if (in_listeners_) {
    in_listeners_ = false;
    stack_.remove_listener(this);
  }
  // A port bind() named stays with the socket while it is open; any other goes back to the
  // pool (tcp_set_state(TCP_CLOSE) with SOCK_BINDPORT_LOCK unset).
  if (orphaned_ || !port_locked_) {
    stack_.tcp_ports().unbind(binding_);
    port_locked_ = addr_locked_ = false;
    binding_.addr = IpAddress::any(family_);
  } else {
    binding_.addr = addr_locked_ ? bound_addr_ : IpAddress::any(family_);
  }
  notify(kAllEvents);
}

std::shared_ptr<TcpEndpoint> TcpEndpoint::make_child(const IpAddress& local,
                                                     const IpAddress& remote, uint16_t local_port,
                                                     uint16_t remote_port) {
  auto child = std::make_shared<TcpEndpoint>(stack_, family_);
  child->opts_ = opts_;
  child->opts_.linger = false;
  child->binding_ = binding_;
  child->binding_.registered = false;
  child->binding_.addr = family_ == IpVersion::kV6 ? local.mapped() : local;
  child->binding_.state = Binding::State::kConnected;
  stack_.tcp_ports().inherit(child->binding_);
  child->tuple_ = {{local, local_port}, {remote, remote_port}};
  child->has_peer_ = true;
  child->listener_ = weak_from_this();
  return child;
}

bool TcpEndpoint::accept_queue_full() const {
  return accept_queue_.size() > static_cast<size_t>(backlog_);
}

void TcpEndpoint::child_established(const std::shared_ptr<TcpEndpoint>& child) {
  auto listener = listener_.lock();
  if (!listener || listener->state_ != TcpState::kListen) {
    orphaned_ = true;
    abort();
    return;
  }
  listener->accept_queue_.push_back(child);
  listener->notify(POLLIN | POLLRDNORM);
}

TcpInfo TcpEndpoint::info() const {
  TcpInfo i;
  i.state = state_;
  i.ca_state = in_recovery_ ? 3 : loss_state_ ? 4 : 0;
  i.retransmits = static_cast<uint8_t>(std::min(timeouts_, 255));
  i.backoff = static_cast<uint8_t>(std::min(rtt_.backoffs(), 255));
  i.sack = sack_ok_;
  i.wscale = wscale_ok_;
  i.snd_wscale = snd_wscale_;
  i.rcv_wscale = rcv_wscale_;
  i.rto_us = static_cast<uint32_t>(rtt_.rto().count() / 1000);
  i.snd_mss = snd_mss_;
  i.rcv_mss = rcv_mss_;
  const uint32_t mss = std::max<uint32_t>(snd_mss_, 1);
  i.unacked = (snd_max_ - snd_una_ + mss - 1) / mss;
  i.sacked =
      static_cast<uint32_t>((seq_gt(snd_max_, snd_una_) ? snd_max_ - snd_una_ : 0) > flight_.bytes()
                                ? ((snd_max_ - snd_una_) - flight_.bytes()) / mss
                                : 0);
  if (auto s = rtt_.srtt()) i.rtt_us = static_cast<uint32_t>(s->count() / 1000);
  i.rttvar_us = static_cast<uint32_t>(rtt_.rttvar().count() / 1000);
  i.snd_ssthresh = ssthresh_ >= 0x7fffffff ? 0x7fffffff : ssthresh_ / mss;
  i.snd_cwnd = cwnd_ / mss;
  i.advmss = adv_mss_;
  i.rcv_space = receive_space();
  i.total_retrans = total_retrans_;
  i.snd_wnd = snd_wnd_;
  i.rcv_wnd = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  i.bytes_acked = bytes_acked_;
  i.bytes_received = bytes_received_;
  i.segs_out = segs_out_;
  i.segs_in = segs_in_;
  i.notsent_bytes = static_cast<uint32_t>(unsent_bytes());
  return i;
}

}  // namespace ms::net
