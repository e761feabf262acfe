// UDP over the stack: message boundaries, truncation, connect filtering, port unreachable,
// buffer limits, dual stack.
#include <poll.h>
#include <sys/socket.h>

#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using testing::bytes;
using testing::loopback;
using testing::NetFixture;
using testing::text;

using Udp = NetFixture;

TEST_F(Udp, KeepsMessageBoundaries) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  UdpEndpoint b(*stack, IpVersion::kV4);
  ASSERT_TRUE(b.bind(loopback(IpVersion::kV4, 6000)));
  ASSERT_TRUE(a.send_to(bytes("one"), loopback(IpVersion::kV4, 6000)));
  ASSERT_TRUE(a.send_to(bytes("two!"), loopback(IpVersion::kV4, 6000)));
  ASSERT_TRUE(a.send_to({}, loopback(IpVersion::kV4, 6000)));  // empty datagrams count
  EXPECT_EQ(b.next_datagram_size(), 3u);
  std::vector<std::byte> buf(100);
  auto r = b.recv(buf, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 3u);
  EXPECT_EQ(text(std::span(buf).first(3)), "one");
  EXPECT_EQ(r->from.port, a.local_address().port);
  EXPECT_EQ(r->from.ip, IpAddress::loopback(IpVersion::kV4));
  r = b.recv(buf, false);
  EXPECT_EQ(r->length, 4u);
  r = b.recv(buf, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 0u);
  EXPECT_EQ(b.recv(buf, false).error(), Errno{EAGAIN});
}

TEST_F(Udp, TruncatesAndReportsTheFullLength) {
  UdpEndpoint a(*stack, IpVersion::kV6);
  UdpEndpoint b(*stack, IpVersion::kV6);
  ASSERT_TRUE(b.bind(loopback(IpVersion::kV6, 6000)));
  ASSERT_TRUE(a.send_to(bytes("0123456789"), loopback(IpVersion::kV6, 6000)));
  std::vector<std::byte> small(4);
  auto peek = b.recv(small, true);
  EXPECT_EQ(peek->length, 10u);
  EXPECT_EQ(peek->copied, 4u);
  auto r = b.recv(small, false);
  EXPECT_EQ(r->length, 10u);
  EXPECT_EQ(text(small), "0123");
  EXPECT_EQ(b.recv(small, false).error(), Errno{EAGAIN});  // the rest is gone
}

TEST_F(Udp, LargestDatagrams) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  UdpEndpoint b(*stack, IpVersion::kV4);
  ASSERT_TRUE(b.bind(loopback(IpVersion::kV4, 6000)));
  const auto big = testing::pattern(65507, 1);
  EXPECT_EQ(*a.send_to(big, loopback(IpVersion::kV4, 6000)), 65507u);
  EXPECT_EQ(a.send_to(testing::pattern(65508), loopback(IpVersion::kV4, 6000)).error(),
            Errno{EMSGSIZE});
  std::vector<std::byte> buf(70000);
  auto r = b.recv(buf, false);
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::equal(big.begin(), big.end(), buf.begin()));
}

TEST_F(Udp, ConnectedSocketFiltersAndLearnsRefusal) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  UdpEndpoint b(*stack, IpVersion::kV4);
  UdpEndpoint other(*stack, IpVersion::kV4);
  ASSERT_TRUE(b.bind(loopback(IpVersion::kV4, 6000)));
  ASSERT_TRUE(a.connect(loopback(IpVersion::kV4, 6000)));
  EXPECT_EQ(a.peer_address()->port, 6000);
  // b sends to a from its port 6000; `other` sends from elsewhere and is filtered out.
  ASSERT_TRUE(b.send_to(bytes("from b"), a.local_address()));
  ASSERT_TRUE(other.send_to(bytes("from other"), a.local_address()));
  std::vector<std::byte> buf(100);
  auto r = a.recv(buf, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(text(std::span(buf).first(r->length)), "from b");
  EXPECT_EQ(a.recv(buf, false).error(), Errno{EAGAIN});
  // Nobody listens on 6001: the ICMP port unreachable turns into ECONNREFUSED.
  UdpEndpoint c(*stack, IpVersion::kV4);
  ASSERT_TRUE(c.connect(loopback(IpVersion::kV4, 6001)));
  ASSERT_TRUE(c.send_to(bytes("hello?"), std::nullopt));
  EXPECT_NE(c.readiness() & POLLERR, 0u);
  EXPECT_EQ(c.send_to(bytes("again"), std::nullopt).error(), Errno{ECONNREFUSED});
  ASSERT_TRUE(c.send_to(bytes("and again"), std::nullopt));
  EXPECT_EQ(c.recv(buf, false).error(), Errno{ECONNREFUSED});
  // An unconnected sender is not told.
  UdpEndpoint d(*stack, IpVersion::kV4);
  ASSERT_TRUE(d.send_to(bytes("x"), loopback(IpVersion::kV4, 6001)));
  EXPECT_EQ(d.readiness() & POLLERR, 0u);
}

TEST_F(Udp, NeedsADestination) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  EXPECT_EQ(a.send_to(bytes("x"), std::nullopt).error(), Errno{EDESTADDRREQ});
}

TEST_F(Udp, ReceiveBufferDropsOverflow) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  UdpEndpoint b(*stack, IpVersion::kV4);
  b.rcvbuf = 4096;
  ASSERT_TRUE(b.bind(loopback(IpVersion::kV4, 6000)));
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(a.send_to(testing::pattern(1000), loopback(IpVersion::kV4, 6000)));
  int got = 0;
  std::vector<std::byte> buf(2000);
  while (b.recv(buf, false))
    ++got;
  EXPECT_GE(got, 2);
  EXPECT_LT(got, 10);
  EXPECT_GT(stack->stats().udp_receive_drops, 0u);
}

TEST_F(Udp, DualStackReceivesIpv4) {
  UdpEndpoint six(*stack, IpVersion::kV6);
  ASSERT_TRUE(six.bind({IpAddress::any(IpVersion::kV6), 6000}));
  UdpEndpoint four(*stack, IpVersion::kV4);
  ASSERT_TRUE(four.send_to(bytes("v4"), loopback(IpVersion::kV4, 6000)));
  std::vector<std::byte> buf(10);
  auto r = six.recv(buf, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from.ip, *IpAddress::parse("::ffff:127.0.0.1"));
  // Replying to the mapped address goes out as IPv4.
  ASSERT_TRUE(six.send_to(bytes("back"), r->from));
  auto back = four.recv(buf, false);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->from.port, 6000);
}

TEST_F(Udp, BindRules) {
  UdpEndpoint a(*stack, IpVersion::kV4);
  UdpEndpoint b(*stack, IpVersion::kV4);
  ASSERT_TRUE(a.bind(loopback(IpVersion::kV4, 6000)));
  EXPECT_EQ(a.bind(loopback(IpVersion::kV4, 6001)).error(), Errno{EINVAL});
  EXPECT_EQ(b.bind(loopback(IpVersion::kV4, 6000)).error(), Errno{EADDRINUSE});
  UdpEndpoint r1(*stack, IpVersion::kV4);
  UdpEndpoint r2(*stack, IpVersion::kV4);
  r1.binding().reuse_addr = r2.binding().reuse_addr = true;
  ASSERT_TRUE(r1.bind(loopback(IpVersion::kV4, 7000)));
  EXPECT_TRUE(r2.bind(loopback(IpVersion::kV4, 7000)));
}

}  // namespace
}  // namespace ms::net
