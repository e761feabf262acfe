#include "net/stack.h"

#include <net/if.h>

#include <algorithm>

#include "base/log.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/sim_link.h"
#include "net/tcp_endpoint.h"
#include "net/udp_endpoint.h"
#include "net/udp_header.h"

namespace ms::net {

Stack::Stack(kernel::Clock& clock, kernel::TimerQueue& timers, const StackOptions& options)
    : Stack(clock, timers, options,
            std::make_unique<SimLink>(clock, timers, options.loopback_faults)) {}

Stack::Stack(kernel::Clock& clock, kernel::TimerQueue& timers, const StackOptions& options,
             std::unique_ptr<Link> loopback_link)
    : clock_(clock),
      timers_(timers),
      options_(options),
      rng_(options.seed),
      tcp_ports_(rng_),
      udp_ports_(rng_) {
  add_interface(
      "lo", options.loopback_mtu, IFF_UP | IFF_LOOPBACK | IFF_RUNNING,
      {{IpAddress::loopback(IpVersion::kV4), 8}, {IpAddress::loopback(IpVersion::kV6), 128}},
      std::move(loopback_link));
}

Stack::~Stack() {
  // Endpoints the stack still owns (TIME_WAIT, orphans finishing) go first, while the
  // tables they unregister from still exist.
  pending_acks_.clear();
  auto connections = std::move(connections_);
  connections_.clear();
  auto listeners = std::move(listeners_);
  listeners_.clear();
}

NetInterface& Stack::add_interface(std::string name, size_t mtu, uint32_t flags,
                                   std::vector<InterfaceAddress> addresses,
                                   std::unique_ptr<Link> link) {
  auto iface = std::make_unique<NetInterface>();
  iface->index = static_cast<int>(interfaces_.size()) + 1;
  iface->name = std::move(name);
  iface->mtu = mtu;
  iface->flags = flags;
  iface->addresses = std::move(addresses);
  iface->link = std::move(link);
  iface->link->set_receiver(this);
  interfaces_.push_back(std::move(iface));
  return *interfaces_.back();
}

bool Stack::is_local(const IpAddress& addr) const {
  const IpAddress a = addr.unmapped();
  for (const auto& iface : interfaces_) {
    for (const auto& ia : iface->addresses) {
      if (ia.address == a) return true;
      // Linux routes a whole loopback prefix (127.0.0.0/8) to lo.
      if ((iface->flags & IFF_LOOPBACK) != 0 && a.in_prefix(ia.address, ia.prefix_len)) {
        return true;
      }
    }
  }
  return false;
}

Result<Stack::Route> Stack::route(const IpAddress& dst_in) const {
  const IpAddress dst = dst_in.unmapped();
  if (is_local(dst)) {
    // Local destinations go through lo; the source is the destination itself when it is an
    // interface's address, else lo's address (127.0.0.2 is reached from 127.0.0.1).
    NetInterface& lo = *interfaces_.front();
    Route r{&lo, dst, lo.mtu};
    bool exact = false;
    for (const auto& iface : interfaces_) {
      for (const auto& ia : iface->addresses)
        exact = exact || ia.address == dst;
    }
    if (!exact) {
      if (const InterfaceAddress* a = lo.first_address(dst.version())) r.src = a->address;
    }
    return r;
  }
  for (const auto& iface : interfaces_) {
    if ((iface->flags & IFF_LOOPBACK) != 0 || (iface->flags & IFF_UP) == 0) continue;
    for (const auto& ia : iface->addresses) {
      if (dst.in_prefix(ia.address, ia.prefix_len))
        return Route{iface.get(), ia.address, iface->mtu};
    }
  }
  return fail(ENETUNREACH);
}

void Stack::transmit(const Route& r, Packet packet) {
  r.iface->link->transmit(std::move(packet));
}

void Stack::send_tcp(const FourTuple& tuple, const TcpHeader& header, const Payload& payload) {
  auto r = route(tuple.remote.ip);
  if (!r) return;
  Packet p;
  const size_t l4 = header.size() + payload.size();
  const size_t ip_len =
      write_ip_header(p, tuple.local.ip, tuple.remote.ip, kProtoTcp, l4, next_ip_id());
  header.encode(p.header.data() + ip_len);
  p.header_len = static_cast<uint16_t>(ip_len + header.size());
  p.payload = payload;
  ++stats_.tcp_segments_out;
  transmit(*r, std::move(p));
}

void Stack::send_udp(const NetAddress& from, const NetAddress& to, const Payload& payload) {
  auto r = route(to.ip);
  if (!r) return;
  Packet p;
  UdpHeader h;
  h.src_port = from.port;
  h.dst_port = to.port;
  h.length = static_cast<uint16_t>(UdpHeader::kSize + payload.size());
  const size_t ip_len = write_ip_header(p, from.ip, to.ip, kProtoUdp,
                                        UdpHeader::kSize + payload.size(), next_ip_id());
  h.encode(p.header.data() + ip_len);
  p.header_len = static_cast<uint16_t>(ip_len + UdpHeader::kSize);
  p.payload = payload;
  ++stats_.udp_datagrams_out;
  transmit(*r, std::move(p));
}

void Stack::drain() {
  if (draining_) return;
  draining_ = true;
  for (;;) {
    bool any = false;
    for (const auto& iface : interfaces_) {
      Packet p;
      while (iface->link->pop(p)) {
        receive(p);
        any = true;
      }
    }
    if (!pending_acks_.empty()) {
      flush_acks();
      any = true;
    }
    if (!any) break;
  }
  draining_ = false;
}

void Stack::flush_acks() {
  auto pending = std::move(pending_acks_);
  pending_acks_.clear();
  for (auto& ep : pending)
    ep->flush_ack();
}

void Stack::want_ack(std::shared_ptr<TcpEndpoint> ep) {
  pending_acks_.push_back(std::move(ep));
}

void Stack::receive(const Packet& packet) {
  auto ip = parse_ip_header(packet);
  if (!ip || !is_local(ip->dst)) {
    ++stats_.malformed;
    return;
  }
  switch (ip->protocol) {
    case kProtoTcp:
      receive_tcp(*ip, packet);
      return;
    case kProtoUdp:
      receive_udp(*ip, packet);
      return;
    case kProtoIcmp:
    case kProtoIcmpV6:
      if ((ip->protocol == kProtoIcmp) == (ip->version == IpVersion::kV4))
        receive_icmp(*ip, packet);
      return;
    default:
      return;
  }
}

void Stack::receive_tcp(const IpInfo& ip, const Packet& packet) {
  size_t hl = 0;
  auto h = TcpHeader::decode(packet.headers().subspan(ip.header_len), &hl);
  if (!h || ip.header_len + hl != packet.header_len ||
      ip.transport_len != hl + packet.payload.size()) {
    ++stats_.malformed;
    return;
  }
  ++stats_.tcp_segments_in;
  const FourTuple t{{ip.dst, h->dst_port}, {ip.src, h->src_port}};
  if (auto it = connections_.find(t); it != connections_.end()) {
    auto ep = it->second;
    if (ep->on_segment(*h, packet.payload, ip.dst, ip.src)) return;
  }
  if (auto listener = find_listener(t)) {
    listener->on_segment(*h, packet.payload, ip.dst, ip.src);
    return;
  }
  send_reset_for(ip, *h, packet.payload.size());
}

std::shared_ptr<TcpEndpoint> Stack::find_listener(const FourTuple& t) const {
  auto it = listeners_.find(t.local.port);
  if (it == listeners_.end()) return nullptr;
  std::vector<const std::shared_ptr<TcpEndpoint>*> best;
  int best_score = -1;
  for (const auto& l : it->second) {
    const Binding& b = l->binding();
    if (l->state() != TcpState::kListen || !binding_accepts(b, t.local.ip)) continue;
    // Linux's compute_score: a specific address beats a wildcard, the packet's own family
    // beats a dual-stack socket.
    int score = b.addr.unmapped().is_unspecified() ? 1 : 4;
    if ((b.family == IpVersion::kV4) == t.local.ip.is_v4()) score += 1;
    if (score > best_score) {
      best.clear();
      best_score = score;
    }
    if (score == best_score) best.push_back(&l);
  }
  if (best.empty()) return nullptr;
  // SO_REUSEPORT groups spread connections by a hash of the tuple.
  return *best[FourTupleHash{}(t) % best.size()];
}

void Stack::send_reset_for(const IpInfo& ip, const TcpHeader& h, size_t payload_len) {
  if (h.has(tcp_flags::kRst)) return;
  TcpHeader r;
  r.src_port = h.dst_port;
  r.dst_port = h.src_port;
  if (h.has(tcp_flags::kAck)) {
    r.seq = h.ack;
    r.flags = tcp_flags::kRst;
  } else {
    r.seq = 0;
    r.ack = h.seq + static_cast<uint32_t>(payload_len) + (h.has(tcp_flags::kSyn) ? 1 : 0) +
            (h.has(tcp_flags::kFin) ? 1 : 0);
    r.flags = tcp_flags::kRst | tcp_flags::kAck;
  }
  ++stats_.tcp_resets_sent;
  send_tcp({{ip.dst, h.dst_port}, {ip.src, h.src_port}}, r, {});
}

void Stack::receive_udp(const IpInfo& ip, const Packet& packet) {
  auto h = UdpHeader::decode(packet.headers().subspan(ip.header_len));
  if (!h || ip.header_len + UdpHeader::kSize != packet.header_len ||
      h->length != ip.transport_len ||
      ip.transport_len != UdpHeader::kSize + packet.payload.size()) {
    ++stats_.malformed;
    return;
  }
  ++stats_.udp_datagrams_in;
  const NetAddress local{ip.dst, h->dst_port};
  const NetAddress remote{ip.src, h->src_port};
  if (UdpEndpoint* ep = find_udp(local, remote)) {
    ep->on_datagram(remote, ip.dst, packet.payload);
    return;
  }
  ++stats_.udp_no_port;
  if (!ip.dst.is_broadcast() && !ip.dst.is_multicast()) send_port_unreachable(ip, packet);
}

UdpEndpoint* Stack::find_udp(const NetAddress& local, const NetAddress& remote) const {
  auto it = udp_.find(local.port);
  if (it == udp_.end()) return nullptr;
  std::vector<UdpEndpoint*> best;
  int best_score = -1;
  for (UdpEndpoint* ep : it->second) {
    const int score = ep->match_score(local, remote);
    if (score < 0) continue;
    if (score > best_score) {
      best.clear();
      best_score = score;
    }
    if (score == best_score) best.push_back(ep);
  }
  if (best.empty()) return nullptr;
  if (best.size() == 1) return best.front();
  // Several sockets share the port (SO_REUSEPORT): spread by the source.
  return best[FourTupleHash{}(FourTuple{local, remote}) % best.size()];
}

void Stack::send_port_unreachable(const IpInfo& ip, const Packet& packet) {
  auto r = route(ip.src);
  if (!r) return;
  // Quote the offending packet's IP header and its first transport bytes (the ports).
  const size_t quote_len =
      std::min<size_t>(packet.header_len, ip.header_len + IcmpUnreachable::kQuoteTransportBytes);
  Packet p;
  const uint8_t proto = ip.version == IpVersion::kV4 ? kProtoIcmp : kProtoIcmpV6;
  const size_t ip_len = write_ip_header(p, ip.dst, ip.src, proto,
                                        IcmpUnreachable::kHeaderSize + quote_len, next_ip_id());
  encode_icmp_port_unreachable(ip.version, p.header.data() + ip_len);
  p.header_len = static_cast<uint16_t>(ip_len + IcmpUnreachable::kHeaderSize);
  p.payload = Payload::copy_of(std::span(packet.header.data(), quote_len));
  transmit(*r, std::move(p));
}

void Stack::receive_icmp(const IpInfo& ip, const Packet& packet) {
  std::vector<std::byte> message(packet.headers().begin() + static_cast<ptrdiff_t>(ip.header_len),
                                 packet.headers().end());
  const auto rest = packet.payload.to_vector();
  message.insert(message.end(), rest.begin(), rest.end());
  auto u = decode_icmp_unreachable(ip.version, message);
  if (!u || !u->port_unreachable || u->protocol != kProtoUdp) return;
  // The quote is of a datagram this stack sent: its source is our socket.
  const NetAddress local{u->src, u->src_port};
  const NetAddress remote{u->dst, u->dst_port};
  auto it = udp_.find(local.port);
  if (it == udp_.end()) return;
  for (UdpEndpoint* ep : it->second) {
    if (ep->wire_peer() && *ep->wire_peer() == remote && ep->match_score(local, remote) >= 0) {
      ep->on_unreachable();
      return;
    }
  }
}

void Stack::add_connection(const FourTuple& t, std::shared_ptr<TcpEndpoint> ep) {
  connections_[t] = std::move(ep);
}

void Stack::remove_connection(const FourTuple& t, const TcpEndpoint* ep) {
  auto it = connections_.find(t);
  if (it != connections_.end() && it->second.get() == ep) connections_.erase(it);
}

void Stack::add_listener(std::shared_ptr<TcpEndpoint> ep) {
  const uint16_t port = ep->binding().port;
  listeners_[port].push_back(std::move(ep));
}

void Stack::remove_listener(const TcpEndpoint* ep) {
  auto it = listeners_.find(ep->binding().port);
  if (it == listeners_.end()) return;
  std::erase_if(it->second, [&](const auto& l) { return l.get() == ep; });
  if (it->second.empty()) listeners_.erase(it);
}

void Stack::add_udp(UdpEndpoint* ep) {
  udp_[ep->binding().port].push_back(ep);
}

void Stack::remove_udp(UdpEndpoint* ep) {
  auto it = udp_.find(ep->binding().port);
  if (it == udp_.end()) return;
  std::erase(it->second, ep);
  if (it->second.empty()) udp_.erase(it);
}

void Stack::for_each_tcp(const std::function<void(const TcpEndpoint&)>& fn) const {
  for (const auto& [port, ls] : listeners_) {
    for (const auto& l : ls)
      fn(*l);
  }
  for (const auto& [t, ep] : connections_)
    fn(*ep);
}

void Stack::for_each_udp(const std::function<void(const UdpEndpoint&)>& fn) const {
  for (const auto& [port, eps] : udp_) {
    for (const UdpEndpoint* ep : eps)
      fn(*ep);
  }
}

}  // namespace ms::net
