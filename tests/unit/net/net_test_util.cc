#include "tests/unit/net/net_test_util.h"

#include <fmt/format.h>

namespace ms::net::testing {

std::string Seg::str() const {
  TcpHeader h;
  h.flags = flags;
  return fmt::format("{}->{} [{}] seq={} ack={} len={} win={}", src_port, dst_port, h.flag_names(),
                     seq, ack, len, window);
}

std::optional<Seg> decode_tcp(const Packet& p) {
  auto ip = parse_ip_header(p);
  if (!ip || ip->protocol != kProtoTcp) return std::nullopt;
  size_t hl = 0;
  auto h = TcpHeader::decode(p.headers().subspan(ip->header_len), &hl);
  if (!h) return std::nullopt;
  Seg s;
  s.src_port = h->src_port;
  s.dst_port = h->dst_port;
  s.seq = h->seq;
  s.ack = h->ack;
  s.flags = h->flags;
  s.window = h->window;
  s.len = p.payload.size();
  s.options = h->options;
  return s;
}

void ScriptedLink::transmit(Packet packet) {
  ++stats_.transmitted;
  if (auto s = decode_tcp(packet)) log.push_back(*s);
  const Verdict v = filter ? filter(packet) : Verdict::kPass;
  switch (v) {
    case Verdict::kPass:
      due_.push_back(std::move(packet));
      break;
    case Verdict::kDrop:
      ++stats_.dropped;
      break;
    case Verdict::kHold:
      held_.push_back(std::move(packet));
      break;
    case Verdict::kDuplicate: {
      ++stats_.duplicated;
      Packet copy;
      copy.header = packet.header;
      copy.header_len = packet.header_len;
      copy.payload = packet.payload;
      due_.push_back(std::move(copy));
      due_.push_back(std::move(packet));
      break;
    }
  }
}

bool ScriptedLink::pop(Packet& out) {
  if (due_.empty()) return false;
  out = std::move(due_.front());
  due_.pop_front();
  ++stats_.delivered;
  return true;
}

void ScriptedLink::release_held(bool reverse) {
  auto held = std::move(held_);
  held_.clear();
  if (reverse) std::reverse(held.begin(), held.end());
  for (auto& p : held)
    due_.push_back(std::move(p));
  if (receiver_ != nullptr) receiver_->link_ready();
}

void ScriptedLink::release_one(size_t index) {
  due_.push_back(std::move(held_.at(index)));
  held_.erase(held_.begin() + static_cast<ptrdiff_t>(index));
  if (receiver_ != nullptr) receiver_->link_ready();
}

NetFixture::NetFixture() : NetFixture(StackOptions{}) {}

NetFixture::NetFixture(const StackOptions& options) {
  auto l = std::make_unique<ScriptedLink>();
  link = l.get();
  stack = std::make_unique<Stack>(clock, timers, options, std::move(l));
}

bool NetFixture::run_until(const std::function<bool()>& done, kernel::Duration limit) {
  const kernel::Duration end = clock.now + limit;
  stack->drain();
  while (!done()) {
    auto next = timers.next_deadline();
    if (!next || *next > end) return done();
    if (*next > clock.now) clock.now = *next;
    timers.fire_due(clock.now);
    stack->drain();
  }
  return true;
}

void NetFixture::advance(kernel::Duration d) {
  const kernel::Duration end = clock.now + d;
  for (;;) {
    auto next = timers.next_deadline();
    if (!next || *next > end) break;
    if (*next > clock.now) clock.now = *next;
    timers.fire_due(clock.now);
    stack->drain();
  }
  clock.now = end;
}

NetFixture::Pair NetFixture::connect_pair(IpVersion v, uint16_t port) {
  Pair p;
  p.listener = tcp(v);
  EXPECT_TRUE(p.listener->bind(loopback(v, port)));
  EXPECT_TRUE(p.listener->listen(16));
  p.client = tcp(v);
  EXPECT_TRUE(p.client->connect(loopback(v, port)));
  EXPECT_TRUE(run_until([&] { return p.listener->accept_queue_length() > 0; }));
  auto accepted = p.listener->accept();
  EXPECT_TRUE(accepted);
  if (accepted) p.server = *accepted;
  EXPECT_TRUE(run_until([&] { return p.client->state() == TcpState::kEstablished; }));
  return p;
}

NetAddress loopback(IpVersion v, uint16_t port) {
  return {IpAddress::loopback(v), port};
}

std::vector<std::byte> pattern(size_t n, uint64_t seed) {
  std::vector<std::byte> v(n);
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 12345;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v[i] = static_cast<std::byte>(x);
  }
  return v;
}

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

size_t read_all(TcpEndpoint& ep, std::vector<std::byte>& out) {
  size_t total = 0;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    auto n = ep.recv(buf);
    if (!n || *n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
    total += *n;
  }
  return total;
}

}  // namespace ms::net::testing
