#include "net/udp_endpoint.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/stack.h"
#include "net/udp_header.h"

namespace ms::net {

UdpEndpoint::UdpEndpoint(Stack& stack, IpVersion family) : stack_(stack), family_(family) {
  binding_.family = family;
  binding_.addr = IpAddress::any(family);
}

UdpEndpoint::~UdpEndpoint() {
  if (binding_.registered) {
    stack_.remove_udp(this);
    stack_.udp_ports().unbind(binding_);
  }
}

NetAddress UdpEndpoint::to_family(const NetAddress& wire) const {
  return {family_ == IpVersion::kV6 ? wire.ip.mapped() : wire.ip, wire.port};
}

NetAddress UdpEndpoint::local_address() const {
  if (!binding_.registered) return {IpAddress::any(family_), 0};
  if (binding_.addr.is_unspecified() && peer_ && !source_.is_unspecified()) {
    return to_family({source_, binding_.port});
  }
  return {binding_.addr, binding_.port};
}

Result<NetAddress> UdpEndpoint::peer_address() const {
  if (!peer_) return fail(ENOTCONN);
  return to_family(*peer_);
}

Result<void> UdpEndpoint::bind(const NetAddress& addr) {
  if (binding_.registered) return fail(EINVAL);
  if (family_ == IpVersion::kV6 && addr.ip.is_v4_mapped() && binding_.v6only) {
    return fail(EINVAL);
  }
  const IpAddress wire = addr.ip.unmapped();
  if (!wire.is_unspecified() && !stack_.is_local(wire)) return fail(EADDRNOTAVAIL);
  binding_.addr = addr.ip;
  binding_.port = addr.port;
  if (auto r = stack_.udp_ports().bind(binding_); !r) {
    binding_.addr = IpAddress::any(family_);
    binding_.port = 0;
    return r;
  }
  stack_.add_udp(this);
  port_locked_ = addr.port != 0;
  addr_locked_ = !wire.is_unspecified();
  return {};
}

Result<void> UdpEndpoint::autobind() {
  if (binding_.registered) return {};
  binding_.port = 0;
  TRY(stack_.udp_ports().bind(binding_));
  stack_.add_udp(this);
  return {};
}

Result<void> UdpEndpoint::connect(const NetAddress& to) {
  if (family_ == IpVersion::kV6 && to.ip.is_v4_mapped() && binding_.v6only) {
    return fail(ENETUNREACH);
  }
  IpAddress remote = to.ip.unmapped();
  if (remote.is_unspecified()) remote = IpAddress::loopback(remote.version());
  const Stack::Route route = TRY(stack_.route(remote));
  const IpAddress bound = binding_.addr.unmapped();
  if (!bound.is_unspecified() && bound.version() != remote.version()) return fail(EINVAL);
  TRY(autobind());
  peer_ = NetAddress{remote, to.port};
  source_ = bound.is_unspecified() ? route.src : bound;
  error_ = 0;
  return {};
}

void UdpEndpoint::disconnect() {
  // udp_disconnect: what bind() did not name explicitly is given up, the port included.
  peer_.reset();
  source_ = IpAddress();
  error_ = 0;
  if (!addr_locked_) binding_.addr = IpAddress::any(family_);
  if (!port_locked_ && binding_.registered) {
    stack_.remove_udp(this);
    stack_.udp_ports().unbind(binding_);
    binding_.port = 0;
  }
}

Result<size_t> UdpEndpoint::send_to(std::span<const std::byte> data,
                                    const std::optional<NetAddress>& to) {
  struct DrainOnExit {
    Stack& s;
    ~DrainOnExit() { s.drain(); }
  } drain{stack_};
  if (shut_wr_) return fail(EPIPE);
  NetAddress dst;
  IpAddress src;
  if (to) {
    if (family_ == IpVersion::kV6 && to->ip.is_v4_mapped() && binding_.v6only) {
      return fail(ENETUNREACH);
    }
    dst = {to->ip.unmapped(), to->port};
    if (dst.ip.is_unspecified()) dst.ip = IpAddress::loopback(dst.ip.version());
    if (dst.port == 0) return fail(EINVAL);
  } else {
    if (!peer_) return fail(EDESTADDRREQ);
    if (error_ != 0) return fail(take_error());
    dst = *peer_;
  }
  const size_t max = dst.ip.is_v4()
                         ? Ipv4Header::kMaxTotalLength - Ipv4Header::kSize - UdpHeader::kSize
                         : Ipv6Header::kMaxPayloadLength - UdpHeader::kSize;
  if (data.size() > max) return fail(EMSGSIZE);
  const Stack::Route route = TRY(stack_.route(dst.ip));
  const IpAddress bound = binding_.addr.unmapped();
  if (!bound.is_unspecified() && bound.version() != dst.ip.version()) return fail(EINVAL);
  TRY(autobind());
  if (!bound.is_unspecified()) {
    src = bound;
  } else if (peer_ && !to) {
    src = source_;
  } else {
    src = route.src;
  }
  stack_.send_udp({src, binding_.port}, dst, Payload::copy_of(data));
  return data.size();
}

Result<UdpEndpoint::Received> UdpEndpoint::recv(std::span<std::byte> dst, bool peek) {
  if (datagrams_.empty()) {
    if (error_ != 0) return fail(take_error());
    if (shut_rd_) return Received{};
    return fail(EAGAIN);
  }
  const Datagram& d = datagrams_.front();
  Received r;
  r.length = d.data.size();
  r.copied = d.data.copy_to(dst);
  r.from = to_family(d.from);
  if (!peek) {
    queue_bytes_ -= d.data.size();
    datagrams_.pop_front();
  }
  return r;
}

Result<void> UdpEndpoint::shutdown(int how) {
  // Linux lets a UDP socket shut down only when connected.
  const bool rd = how == SHUT_RD || how == SHUT_RDWR;
  const bool wr = how == SHUT_WR || how == SHUT_RDWR;
  if (!peer_) return fail(ENOTCONN);
  shut_rd_ |= rd;
  shut_wr_ |= wr;
  queue_.notify(POLLIN | POLLRDNORM | POLLOUT | POLLHUP | POLLRDHUP);
  return {};
}

uint32_t UdpEndpoint::readiness() const {
  uint32_t mask = 0;
  if (!datagrams_.empty() || shut_rd_) mask |= POLLIN | POLLRDNORM;
  if (shut_rd_) mask |= POLLRDHUP;
  if (shut_rd_ && shut_wr_) mask |= POLLHUP;
  mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
  if (error_ != 0) mask |= POLLERR;
  return mask;
}

int UdpEndpoint::match_score(const NetAddress& local, const NetAddress& remote) const {
  if (!binding_.registered || binding_.port != local.port) return -1;
  if (!binding_accepts(binding_, local.ip)) return -1;
  int score = 0;
  if (!binding_.addr.unmapped().is_unspecified()) score += 4;
  if (peer_) {
    if (*peer_ != remote) return -1;
    score += 4;
  }
  if ((family_ == IpVersion::kV4) == local.ip.is_v4()) score += 1;
  return score;
}

void UdpEndpoint::on_datagram(const NetAddress& from, const IpAddress& /*to*/,
                              const Payload& data) {
  const size_t buffer = rcvbuf != 0 ? rcvbuf : kDefaultBuffer;
  // Linux charges each datagram's buffer overhead too; a small constant stands for it, so
  // that floods of empty datagrams are bounded as well.
  constexpr size_t kOverhead = 256;
  if (shut_rd_ || queue_bytes_ + data.size() + kOverhead * datagrams_.size() > buffer) {
    ++stack_.stats().udp_receive_drops;
    return;
  }
  datagrams_.push_back({from, data});
  queue_bytes_ += data.size();
  queue_.notify(POLLIN | POLLRDNORM);
}

void UdpEndpoint::on_unreachable() {
  if (!peer_) return;
  error_ = ECONNREFUSED;
  queue_.notify(POLLERR);
}

}  // namespace ms::net
