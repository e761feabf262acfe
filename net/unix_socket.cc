#include "net/unix_socket.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>

namespace ms::net {
namespace {

constexpr int kSomaxconn = 4096;
constexpr int kSolUnix = 1;  // kSolUnix, from <linux/socket.h>
constexpr uint32_t kBufMax = 212992;
constexpr uint32_t kMinSndbuf = 4608;
constexpr uint32_t kMinRcvbuf = 2304;
constexpr uint32_t kAllEvents =
    POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLWRBAND | POLLHUP | POLLRDHUP | POLLERR;

Credentials caller_creds(const SocketCaller& c) {
  return {c.pid, c.euid, c.egid};
}

}  // namespace

UnixSocket::UnixSocket(UnixNamespace& names, int type, int flags, const Credentials& creds)
    : Socket(AF_UNIX, type, 0, flags), names_(names), creds_(creds) {}

UnixSocket::~UnixSocket() {
  // Whoever waits on this socket (a sender blocked on a full queue, say) must look again.
  queue_.notify(kAllEvents);
  if (name_ && name_->abstract) names_.unbind_abstract(name_->bytes, type(), this);
  for (Message& m : messages_)
    uncharge(m, m.charge);
  if (connection_oriented()) {
    if (auto p = peer_.lock()) p->peer_closed(!messages_.empty());
  }
  // Connections queued but never accepted: their clients see a reset (Linux's "embrion").
  for (auto& embryo : accept_queue_) {
    if (auto client = embryo->peer_.lock()) client->peer_closed(true);
    embryo->peer_.reset();
  }
}

std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> UnixSocket::pair(
    UnixNamespace& names, int type, int flags, const Credentials& creds) {
  auto a = std::make_shared<UnixSocket>(names, type, flags, creds);
  auto b = std::make_shared<UnixSocket>(names, type, flags, creds);
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    x->peer_ = y;
    x->had_peer_ = true;
    x->state_ = State::kConnected;
    x->peer_creds_ = creds;
  }
  return {a, b};
}

void UnixSocket::peer_closed(bool lost_data) {
  if (lost_data) error_ = ECONNRESET;
  shut_rd_ = shut_wr_ = true;
  queue_.notify(kAllEvents);
}

Result<void> UnixSocket::autobind() {
  std::string name = names_.autobind_name(type());
  if (name.empty()) return fail(ENOSPC);
  TRY(names_.bind_abstract(name, type(), self()));
  name_ = UnixName{true, std::move(name)};
  return {};
}

Result<void> UnixSocket::bind(const SockAddr& addr, const SocketCaller& caller) {
  if (is_autobind_request(addr)) {
    if (name_) return fail(EINVAL);
    return autobind();
  }
  UnixName n = TRY(parse_unix_address(addr));
  if (n.abstract) {
    if (name_) return fail(EINVAL);
    TRY(names_.bind_abstract(n.bytes, type(), self()));
  } else {
    if (caller.paths == nullptr) return fail(EOPNOTSUPP);
    if (name_) return fail(EINVAL);
    const std::string key = TRY(caller.paths->create(n.bytes));
    TRY(names_.bind_path(key, self()));
  }
  name_ = std::move(n);
  return {};
}

Result<void> UnixSocket::listen(int backlog, const SocketCaller& caller) {
  if (type() == SOCK_DGRAM) return fail(EOPNOTSUPP);
  if (!name_) return fail(EINVAL);
  if (state_ != State::kUnconnected && state_ != State::kListening) return fail(EINVAL);
  if (static_cast<unsigned>(backlog) > static_cast<unsigned>(kSomaxconn)) backlog = kSomaxconn;
  if (backlog > backlog_) queue_.notify(POLLOUT);  // room for connectors that waited
  backlog_ = backlog;
  state_ = State::kListening;
  creds_ = caller_creds(caller);
  return {};
}

Result<std::shared_ptr<Socket>> UnixSocket::accept(int flags) {
  if (type() == SOCK_DGRAM) return fail(EOPNOTSUPP);
  if (state_ != State::kListening) return fail(EINVAL);
  if (accept_queue_.empty()) return fail(EAGAIN);
  auto s = std::move(accept_queue_.front());
  accept_queue_.pop_front();
  s->set_status_flags(flags & O_NONBLOCK);
  queue_.notify(POLLOUT);  // a connector blocked on the backlog may go on
  return std::static_pointer_cast<Socket>(s);
}

Result<std::shared_ptr<UnixSocket>> UnixSocket::find(const SockAddr& addr,
                                                     const SocketCaller& caller) {
  const UnixName n = TRY(parse_unix_address(addr));
  if (n.abstract) return names_.find_abstract(n.bytes, type());
  if (caller.paths == nullptr) return fail(ENOENT);
  const std::string key = TRY(caller.paths->lookup(n.bytes));
  return names_.find_path(key);
}

Result<void> UnixSocket::connect(const SockAddr& addr, const SocketCaller& caller) {
  if (connection_oriented()) return connect_stream(addr, caller);
  if (addr.len < sizeof(sa_family_t)) return fail(EINVAL);
  if (addr.family() == AF_UNSPEC) {
    peer_.reset();
    state_ = State::kUnconnected;
    return {};
  }
  auto target = TRY(find(addr, caller));
  if (target->type() != type()) return fail(EPROTOTYPE);
  if (passcred_ && !name_) TRY(autobind());
  auto target_peer = target->peer_.lock();
  if (target_peer && target_peer.get() != this) return fail(EPERM);
  peer_ = target;
  peer_name_ = target->name_;
  had_peer_ = true;
  state_ = State::kConnected;
  return {};
}

Result<void> UnixSocket::connect_stream(const SockAddr& addr, const SocketCaller& caller) {
  TRY(parse_unix_address(addr));
  if (passcred_ && !name_) TRY(autobind());
  if (state_ == State::kConnected) return fail(EISCONN);
  if (state_ == State::kListening) return fail(EINVAL);
  auto target = TRY(find(addr, caller));
  if (target->type() != type()) return fail(EPROTOTYPE);
  if (target->state_ != State::kListening || target->shut_rd_) return fail(ECONNREFUSED);
  if (target->accept_queue_.size() > static_cast<size_t>(target->backlog_)) {
    blocked_on_ = target;  // the syscall layer waits on the listener
    return fail(EAGAIN);
  }
  // The server's end exists from now on: the client is connected before accept().
  auto embryo = std::make_shared<UnixSocket>(names_, type(), 0, target->creds_);
  embryo->state_ = State::kConnected;
  embryo->name_ = target->name_;
  embryo->peer_ = self();
  embryo->had_peer_ = true;
  embryo->peer_creds_ = caller_creds(caller);
  embryo->sndbuf_ = target->sndbuf_;
  embryo->rcvbuf_ = target->rcvbuf_;
  embryo->passcred_ = target->passcred_;
  embryo->peer_name_ = name_;
  peer_ = embryo;
  peer_name_ = target->name_;
  had_peer_ = true;
  state_ = State::kConnected;
  peer_creds_ = target->creds_;
  target->accept_queue_.push_back(std::move(embryo));
  target->queue_.notify(POLLIN | POLLRDNORM);
  queue_.notify(POLLOUT | POLLWRNORM);
  return {};
}

void UnixSocket::enqueue(Message m, UnixSocket* sender) {
  const size_t n = m.data.size();
  if (sender != nullptr) {
    m.sender = sender->self();
    m.charge = n + kMessageOverhead;
    sender->charged_ += m.charge;
  }
  queue_bytes_ += n;
  messages_.push_back(std::move(m));
  queue_.notify(POLLIN | POLLRDNORM);
}

void UnixSocket::uncharge(Message& m, size_t n) {
  n = std::min(n, m.charge);
  m.charge -= n;
  auto s = m.sender.lock();
  if (!s || n == 0) return;
  s->charged_ -= std::min(n, s->charged_);
  s->queue_.notify(POLLOUT | POLLWRNORM | POLLWRBAND);
}

std::optional<UnixName> UnixSocket::sender_name(const Message& m) {
  // Linux reads the sender's address when the message is received, not when it was sent.
  if (auto s = m.sender.lock()) return s->name_;
  return m.from;
}

bool UnixSocket::queue_full() const {
  return messages_.size() > kMaxDatagramQueue;
}

Result<size_t> UnixSocket::send(std::span<const std::byte> data, SendOptions& opts) {
  if (opts.rights.size() > kMaxRights) return fail(EINVAL);
  if (opts.creds && !opts.caller.privileged) {
    // SCM_CREDENTIALS may only tell the truth (scm_check_creds).
    const Credentials& c = *opts.creds;
    if (c.pid != opts.caller.pid || (c.uid != opts.caller.uid && c.uid != opts.caller.euid) ||
        (c.gid != opts.caller.gid && c.gid != opts.caller.egid)) {
      return fail(EPERM);
    }
  }
  if (type() == SOCK_DGRAM) return send_datagram(data, opts);
  return send_stream(data, opts);
}

Result<size_t> UnixSocket::send_stream(std::span<const std::byte> data, SendOptions& opts) {
  if ((opts.flags & MSG_OOB) != 0) return fail(EOPNOTSUPP);
  if (type() == SOCK_STREAM && opts.to) {
    return fail(state_ == State::kConnected ? EISCONN : EOPNOTSUPP);
  }
  if (state_ != State::kConnected) return fail(ENOTCONN);
  if (shut_wr_) return fail(EPIPE);
  auto peer = peer_.lock();
  if (!peer || peer->shut_rd_) return fail(EPIPE);
  size_t n = data.size();
  if (type() == SOCK_SEQPACKET) {
    if (n > sndbuf_ - 32) return fail(EMSGSIZE);
    if (charged_ >= sndbuf_) return fail(EAGAIN);
  } else {
    if (n == 0) return 0;
    if (charged_ >= sndbuf_) return fail(EAGAIN);
    n = std::min<size_t>(n, sndbuf_ - charged_);
  }
  Message m;
  m.data = Payload::copy_of(data.first(n));
  m.rights = std::move(opts.rights);
  m.creds = opts.creds.value_or(caller_creds(opts.caller));
  m.from = name_;
  peer->enqueue(std::move(m), this);
  return n;
}

Result<size_t> UnixSocket::send_datagram(std::span<const std::byte> data, SendOptions& opts) {
  if ((opts.flags & MSG_OOB) != 0) return fail(EOPNOTSUPP);
  std::shared_ptr<UnixSocket> target;
  if (opts.to) {
    TRY(parse_unix_address(*opts.to));
  } else {
    target = peer_.lock();
    if (!target) {
      if (state_ == State::kConnected) {
        // The connected peer is gone.
        peer_.reset();
        state_ = State::kUnconnected;
        return fail(ECONNREFUSED);
      }
      return fail(ENOTCONN);
    }
  }
  if (passcred_ && !name_) TRY(autobind());
  if (data.size() > sndbuf_ - 32) return fail(EMSGSIZE);
  if (opts.to) target = TRY(find(*opts.to, opts.caller));
  if (target->type() != type()) return fail(EPROTOTYPE);
  auto target_peer = target->peer_.lock();
  if (target_peer && target_peer.get() != this) return fail(EPERM);
  if (target->shut_rd_) return fail(EPIPE);
  if (shut_wr_) return fail(EPIPE);
  if (charged_ >= sndbuf_) return fail(EAGAIN);
  if (target_peer.get() != this && target->queue_full()) {
    blocked_on_ = target;
    return fail(EAGAIN);
  }
  Message m;
  m.data = Payload::copy_of(data);
  m.rights = std::move(opts.rights);
  m.creds = opts.creds.value_or(caller_creds(opts.caller));
  m.from = name_;
  target->enqueue(std::move(m), this);
  return data.size();
}

Result<RecvResult> UnixSocket::recv(std::span<std::byte> dst, int flags) {
  if ((flags & MSG_OOB) != 0) return fail(type() == SOCK_STREAM ? EINVAL : EOPNOTSUPP);
  if ((flags & MSG_ERRQUEUE) != 0) return fail(EAGAIN);
  if (type() == SOCK_STREAM) return recv_stream(dst, flags);
  return recv_message(dst, flags);
}

Result<RecvResult> UnixSocket::recv_stream(std::span<std::byte> dst, int flags) {
  if (state_ != State::kConnected) return fail(EINVAL);
  if (messages_.empty()) {
    if (error_ != 0) return fail(std::exchange(error_, 0));
    if (shut_rd_) return RecvResult{};
    return fail(EAGAIN);
  }
  const bool peek = (flags & MSG_PEEK) != 0;
  RecvResult r;
  if (auto from = sender_name(messages_.front())) r.from = make_unix_address(from);
  r.creds = messages_.front().creds;
  size_t i = 0;
  while (i < messages_.size() && r.copied < dst.size()) {
    Message& m = messages_[i];
    // Never glue data from different writers when credentials are passed (unix_skb_scm_eq).
    if (r.copied > 0 && passcred_ && (m.creds.pid != r.creds->pid || m.creds.uid != r.creds->uid)) {
      break;
    }
    const size_t n = m.data.copy_to(dst.subspan(r.copied));
    r.copied += n;
    const bool had_rights = !m.rights.empty();
    if (had_rights) {
      r.rights = peek ? m.rights : std::move(m.rights);
      m.rights.clear();
    }
    if (peek) {
      ++i;
    } else {
      queue_bytes_ -= n;
      if (n == m.data.size()) {
        uncharge(m, m.charge);
        messages_.pop_front();
      } else {
        uncharge(m, n);
        m.data = m.data.sub(n, m.data.size() - n);
      }
    }
    if (had_rights) break;  // descriptors come from one message, which ends the read
  }
  r.length = r.copied;
  if (!passcred_) r.creds.reset();
  return r;
}

Result<RecvResult> UnixSocket::recv_message(std::span<std::byte> dst, int flags) {
  if (type() == SOCK_SEQPACKET && state_ != State::kConnected) return fail(ENOTCONN);
  if (messages_.empty()) {
    if (error_ != 0) return fail(std::exchange(error_, 0));
    if (shut_rd_) return RecvResult{};
    return fail(EAGAIN);
  }
  const bool peek = (flags & MSG_PEEK) != 0;
  Message& m = messages_.front();
  RecvResult r;
  r.copied = m.data.copy_to(dst);
  r.length = m.data.size();
  if (r.copied < r.length) r.msg_flags |= MSG_TRUNC;
  if (auto from = sender_name(m)) r.from = make_unix_address(from);
  if (passcred_) r.creds = m.creds;
  if (peek) {
    r.rights = m.rights;
  } else {
    r.rights = std::move(m.rights);
    uncharge(m, m.charge);
    queue_bytes_ -= m.data.size();
    messages_.pop_front();
    queue_.notify(POLLOUT | POLLWRNORM | POLLWRBAND);  // room for blocked senders
  }
  return r;
}

Result<void> UnixSocket::shutdown(int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return fail(EINVAL);
  const bool rd = how != SHUT_WR;
  const bool wr = how != SHUT_RD;
  shut_rd_ |= rd;
  shut_wr_ |= wr;
  queue_.notify(kAllEvents);
  if (connection_oriented()) {
    if (auto p = peer_.lock()) {
      // The peer sees the other half: no more reading here means no more writing there.
      p->shut_wr_ |= rd;
      p->shut_rd_ |= wr;
      p->queue_.notify(kAllEvents);
    }
  }
  return {};
}

Result<SockAddr> UnixSocket::local_name() {
  return make_unix_address(name_);
}

Result<SockAddr> UnixSocket::peer_name() {
  if (state_ != State::kConnected || !had_peer_) return fail(ENOTCONN);
  auto p = peer_.lock();
  if (!p) {
    if (!connection_oriented()) return fail(ENOTCONN);
    return make_unix_address(peer_name_);
  }
  return make_unix_address(p->name_);
}

Result<void> UnixSocket::setsockopt(int level, int name, std::span<const std::byte> value,
                                    const SocketCaller& caller) {
  if (level != SOL_SOCKET) return fail(level == kSolUnix ? ENOPROTOOPT : EOPNOTSUPP);
  switch (name) {
    case SO_PASSCRED:
      passcred_ = TRY(option_int(value)) != 0;
      return {};
    case SO_SNDBUF:
    case SO_SNDBUFFORCE: {
      if (name == SO_SNDBUFFORCE && !caller.privileged) return fail(EPERM);
      const int v = TRY(option_int(value));
      const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)), kBufMax);
      sndbuf_ = std::max(want * 2, kMinSndbuf);
      queue_.notify(POLLOUT);
      return {};
    }
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
      if (name == SO_RCVBUFFORCE && !caller.privileged) return fail(EPERM);
      const int v = TRY(option_int(value));
      const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(std::max(v, 0)), kBufMax);
      rcvbuf_ = std::max(want * 2, kMinRcvbuf);
      return {};
    }
    case SO_REUSEADDR:
    case SO_REUSEPORT:
    case SO_KEEPALIVE:
    case SO_BROADCAST:
    case SO_PRIORITY:
    case SO_OOBINLINE:
    case SO_TIMESTAMP_OLD:
      TRY(option_int(value));
      return {};
    default:
      return set_common_option(name, value);
  }
}

Result<std::vector<std::byte>> UnixSocket::getsockopt(int level, int name) {
  if (level != SOL_SOCKET) return fail(level == kSolUnix ? ENOPROTOOPT : EOPNOTSUPP);
  switch (name) {
    case SO_ERROR:
      return option_bytes(std::exchange(error_, 0));
    case SO_PASSCRED:
      return option_bytes(int{passcred_});
    case SO_ACCEPTCONN:
      return option_bytes(int{state_ == State::kListening});
    case SO_SNDBUF:
      return option_bytes(static_cast<int>(sndbuf_));
    case SO_RCVBUF:
      return option_bytes(static_cast<int>(rcvbuf_));
    case SO_PEERCRED: {
      // No peer: Linux's empty credentials (pid 0, ids -1).
      ucred c{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
      if (peer_creds_) c = {peer_creds_->pid, peer_creds_->uid, peer_creds_->gid};
      return option_bytes(c);
    }
    case SO_REUSEADDR:
    case SO_REUSEPORT:
    case SO_KEEPALIVE:
    case SO_BROADCAST:
    case SO_OOBINLINE:
      return option_bytes(0);
    default:
      return get_common_option(name);
  }
}

Result<uint64_t> UnixSocket::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  switch (request) {
    case SIOCINQ: {
      if (state_ == State::kListening) return fail(EINVAL);
      size_t n = queue_bytes_;
      if (type() != SOCK_STREAM) n = messages_.empty() ? 0 : messages_.front().data.size();
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(n)));
      return 0;
    }
    case SIOCOUTQ:
      TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(charged_)));
      return 0;
    default:
      return fail(ENOTTY);
  }
}

kernel::WaitQueue* UnixSocket::send_wait_queue() {
  if (auto t = blocked_on_.lock()) return &t->queue_;
  return &queue_;
}

uint32_t UnixSocket::readiness() {
  uint32_t mask = 0;
  if (error_ != 0) mask |= POLLERR;
  if (shut_rd_ && shut_wr_) mask |= POLLHUP;
  if (shut_rd_) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
  if (!messages_.empty() || !accept_queue_.empty()) mask |= POLLIN | POLLRDNORM;
  if (connection_oriented() && state_ == State::kUnconnected) mask |= POLLHUP;
  bool writable = state_ != State::kListening && charged_ * 4 <= sndbuf_;
  if (!connection_oriented() && writable) {
    // A connected datagram socket is writable only while its peer has room.
    if (auto p = peer_.lock()) {
      auto pp = p->peer_.lock();
      if (pp.get() != this && p->queue_full()) writable = false;
    }
  }
  if (writable) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
  return mask;
}

}  // namespace ms::net
