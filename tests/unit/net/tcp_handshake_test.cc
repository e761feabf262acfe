// TCP connection establishment and teardown over a scripted link: the three-way handshake,
// lost SYN / SYN-ACK / ACK, refused and timed-out connects, the listen backlog, dual stack,
// FIN exchanges, TIME_WAIT.
#include <poll.h>
#include <sys/socket.h>

#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using namespace std::chrono_literals;
using namespace tcp_flags;
using testing::loopback;
using testing::NetFixture;
using testing::ScriptedLink;
using Verdict = ScriptedLink::Verdict;

using TcpHandshake = NetFixture;

TEST_F(TcpHandshake, ThreeWayHandshakeNegotiatesOptions) {
  auto p = connect_pair(IpVersion::kV4);
  ASSERT_TRUE(p.server);
  ASSERT_GE(link->log.size(), 3u);
  const auto& syn = link->log[0];
  const auto& synack = link->log[1];
  const auto& ack = link->log[2];
  EXPECT_EQ(syn.flags, kSyn) << syn.str();
  EXPECT_EQ(synack.flags, kSyn | kAck) << synack.str();
  EXPECT_EQ(ack.flags, kAck) << ack.str();
  EXPECT_EQ(synack.ack, syn.seq + 1);
  EXPECT_EQ(ack.seq, syn.seq + 1);
  EXPECT_EQ(ack.ack, synack.seq + 1);
  EXPECT_EQ(syn.options.mss, 65495);
  EXPECT_EQ(synack.options.mss, 65495);
  EXPECT_TRUE(syn.options.sack_permitted);
  EXPECT_TRUE(synack.options.sack_permitted);
  EXPECT_EQ(syn.options.window_scale, 7);  // room for the 6 MiB receive buffer
  EXPECT_EQ(p.client->state(), TcpState::kEstablished);
  EXPECT_EQ(p.server->state(), TcpState::kEstablished);
  EXPECT_EQ(p.client->mss(), 65495u);
  EXPECT_EQ(p.server->peer_address()->port, p.client->local_address().port);
  EXPECT_EQ(p.client->peer_address()->port, 5000);
  const auto info = p.client->info();
  EXPECT_TRUE(info.sack);
  EXPECT_TRUE(info.wscale);
  EXPECT_EQ(info.snd_cwnd, 10u);
}

TEST_F(TcpHandshake, Ipv6UsesItsOwnMss) {
  auto p = connect_pair(IpVersion::kV6);
  ASSERT_TRUE(p.server);
  EXPECT_EQ(link->log[0].options.mss, 65476);
  EXPECT_EQ(p.server->local_address().ip, IpAddress::loopback(IpVersion::kV6));
}

TEST_F(TcpHandshake, DualStackListenerAcceptsIpv4) {
  auto l = tcp(IpVersion::kV6);
  ASSERT_TRUE(l->bind({IpAddress::any(IpVersion::kV6), 7000}));
  ASSERT_TRUE(l->listen(4));
  auto c = tcp(IpVersion::kV4);
  ASSERT_TRUE(c->connect(loopback(IpVersion::kV4, 7000)));
  ASSERT_TRUE(run_until([&] { return l->accept_queue_length() > 0; }));
  auto s = *l->accept();
  EXPECT_EQ(s->local_address().ip, *IpAddress::parse("::ffff:127.0.0.1"));
  EXPECT_EQ(s->peer_address()->ip, *IpAddress::parse("::ffff:127.0.0.1"));
  // A v6-only listener does not see IPv4.
  auto only = tcp(IpVersion::kV6);
  only->binding().v6only = true;
  ASSERT_TRUE(only->bind({IpAddress::any(IpVersion::kV6), 7001}));
  ASSERT_TRUE(only->listen(4));
  auto c2 = tcp(IpVersion::kV4);
  ASSERT_TRUE(c2->connect(loopback(IpVersion::kV4, 7001)));
  EXPECT_EQ(c2->state(), TcpState::kClosed);
  EXPECT_EQ(c2->take_error(), ECONNREFUSED);
}

TEST_F(TcpHandshake, ClosedPortRefuses) {
  auto c = tcp();
  ASSERT_TRUE(c->connect(loopback(IpVersion::kV4, 1)));
  // The RST came back before connect() returned, as on Linux's loopback.
  EXPECT_EQ(c->state(), TcpState::kClosed);
  EXPECT_EQ(c->take_error(), ECONNREFUSED);
  ASSERT_EQ(link->log.size(), 2u);
  EXPECT_EQ(link->log[1].flags, kRst | kAck);
  EXPECT_EQ(link->log[1].ack, link->log[0].seq + 1);
  // The ephemeral port went back to the pool.
  EXPECT_FALSE(c->bound());
}

TEST_F(TcpHandshake, LostSynIsRetransmittedAfterOneSecond) {
  int syns = 0;
  link->filter = [&](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    if (s && s->flags == kSyn && syns++ == 0) return Verdict::kDrop;
    return Verdict::kPass;
  };
  const auto start = clock.now;
  auto p = connect_pair();
  ASSERT_TRUE(p.server);
  EXPECT_EQ(syns, 2);
  EXPECT_EQ(clock.now - start, 1s);  // RFC 6298's initial RTO
}

TEST_F(TcpHandshake, LostSynAckIsRetransmitted) {
  int synacks = 0;
  link->filter = [&](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    if (s && s->flags == (kSyn | kAck) && synacks++ == 0) return Verdict::kDrop;
    return Verdict::kPass;
  };
  auto p = connect_pair();
  ASSERT_TRUE(p.server);
  EXPECT_GE(synacks, 2);
  EXPECT_EQ(p.client->state(), TcpState::kEstablished);
}

TEST_F(TcpHandshake, LostFinalAckIsCarriedByData) {
  bool dropped = false;
  link->filter = [&](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    if (s && s->flags == kAck && s->len == 0 && !dropped) {
      dropped = true;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  auto l = tcp();
  ASSERT_TRUE(l->bind(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(4));
  auto c = tcp();
  ASSERT_TRUE(c->connect(loopback(IpVersion::kV4, 5000)));
  EXPECT_EQ(c->state(), TcpState::kEstablished);
  EXPECT_EQ(l->accept_queue_length(), 0u);  // the server still waits in SYN_RECV
  ASSERT_TRUE(c->send(testing::bytes("hi")));
  ASSERT_EQ(l->accept_queue_length(), 1u);
  auto s = *l->accept();
  std::vector<std::byte> got;
  testing::read_all(*s, got);
  EXPECT_EQ(testing::text(got), "hi");
}

TEST_F(TcpHandshake, ConnectTimesOutAfterSynRetries) {
  link->filter = [](const Packet&) { return Verdict::kDrop; };
  auto c = tcp();
  const auto start = clock.now;
  ASSERT_TRUE(c->connect(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(run_until([&] { return c->state() == TcpState::kClosed; }));
  EXPECT_EQ(c->take_error(), ETIMEDOUT);
  // 1 + 2 + 4 + 8 + 16 + 32 + 64 seconds: Linux's 127 s with tcp_syn_retries = 6.
  EXPECT_EQ(clock.now - start, 127s);
  EXPECT_EQ(link->log.size(), 7u);
}

TEST_F(TcpHandshake, FullBacklogHoldsConnectionsBack) {
  auto l = tcp();
  ASSERT_TRUE(l->bind(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(0));  // Linux still queues one connection
  auto c1 = tcp();
  auto c2 = tcp();
  ASSERT_TRUE(c1->connect(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(c2->connect(loopback(IpVersion::kV4, 5000)));
  EXPECT_EQ(c1->state(), TcpState::kEstablished);
  EXPECT_EQ(c2->state(), TcpState::kSynSent);  // its SYN was dropped
  EXPECT_EQ(l->accept_queue_length(), 1u);
  ASSERT_TRUE(l->accept());
  // The retransmitted SYN finds room.
  ASSERT_TRUE(run_until([&] { return c2->state() == TcpState::kEstablished; }));
  EXPECT_EQ(l->accept_queue_length(), 1u);
}

TEST_F(TcpHandshake, ListenerCloseResetsUnacceptedConnections) {
  auto l = tcp();
  ASSERT_TRUE(l->bind(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(4));
  auto c = tcp();
  ASSERT_TRUE(c->connect(loopback(IpVersion::kV4, 5000)));
  ASSERT_EQ(l->accept_queue_length(), 1u);
  l->close();
  EXPECT_EQ(c->state(), TcpState::kClosed);
  EXPECT_EQ(c->take_error(), ECONNRESET);
  EXPECT_EQ(stack->connection_count(), 0u);
  // The port is free again.
  auto l2 = tcp();
  EXPECT_TRUE(l2->bind(loopback(IpVersion::kV4, 5000)));
}

TEST_F(TcpHandshake, OrderlyCloseAndTimeWait) {
  auto p = connect_pair();
  const uint16_t client_port = p.client->local_address().port;
  p.client->close();  // active close: FIN_WAIT_1 -> FIN_WAIT_2
  EXPECT_EQ(p.client->state(), TcpState::kFinWait2);
  EXPECT_EQ(p.server->state(), TcpState::kCloseWait);
  EXPECT_NE(p.server->readiness() & POLLRDHUP, 0u);
  std::vector<std::byte> buf(10);
  EXPECT_EQ(*p.server->recv(buf), 0u);  // end of stream
  p.server->close();                    // LAST_ACK -> CLOSED
  EXPECT_EQ(p.server->state(), TcpState::kClosed);
  EXPECT_EQ(p.client->state(), TcpState::kTimeWait);
  // TIME_WAIT holds the client's port for 60 s.
  auto again = tcp();
  EXPECT_EQ(again->bind(loopback(IpVersion::kV4, client_port)).error(), Errno{EADDRINUSE});
  advance(59s);
  EXPECT_EQ(p.client->state(), TcpState::kTimeWait);
  advance(1s);
  EXPECT_EQ(p.client->state(), TcpState::kClosed);
  EXPECT_TRUE(again->bind(loopback(IpVersion::kV4, client_port)));
  EXPECT_EQ(stack->connection_count(), 0u);
}

TEST_F(TcpHandshake, SimultaneousCloseGoesThroughClosing) {
  auto p = connect_pair();
  link->filter = [](const Packet&) { return Verdict::kHold; };
  ASSERT_TRUE(p.client->shutdown(SHUT_WR));
  ASSERT_TRUE(p.server->shutdown(SHUT_WR));
  EXPECT_EQ(p.client->state(), TcpState::kFinWait1);
  EXPECT_EQ(p.server->state(), TcpState::kFinWait1);
  link->filter = nullptr;
  link->release_held();
  ASSERT_TRUE(run_until([&] {
    return p.client->state() == TcpState::kTimeWait && p.server->state() == TcpState::kTimeWait;
  }));
}

TEST_F(TcpHandshake, LostFinIsRetransmitted) {
  auto p = connect_pair();
  int fins = 0;
  link->filter = [&](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    if (s && s->has(kFin) && fins++ == 0) return Verdict::kDrop;
    return Verdict::kPass;
  };
  ASSERT_TRUE(p.client->shutdown(SHUT_WR));
  EXPECT_EQ(p.server->state(), TcpState::kEstablished);
  ASSERT_TRUE(run_until([&] { return p.server->state() == TcpState::kCloseWait; }));
  EXPECT_EQ(fins, 2);
  EXPECT_EQ(p.client->state(), TcpState::kFinWait2);
}

TEST_F(TcpHandshake, ConnectToWildcardReachesLoopback) {
  auto l = tcp();
  ASSERT_TRUE(l->bind(loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(1));
  auto c = tcp();
  ASSERT_TRUE(c->connect({IpAddress::any(IpVersion::kV4), 5000}));
  EXPECT_EQ(c->state(), TcpState::kEstablished);
}

TEST_F(TcpHandshake, UnreachableNetwork) {
  auto c = tcp();
  EXPECT_EQ(c->connect({*IpAddress::parse("8.8.8.8"), 53}).error(), Errno{ENETUNREACH});
  auto b = tcp();
  EXPECT_EQ(b->bind({*IpAddress::parse("10.1.2.3"), 80}).error(), Errno{EADDRNOTAVAIL});
}

}  // namespace
}  // namespace ms::net
