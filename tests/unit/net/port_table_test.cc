// Linux's rules for sharing ports (checked against a native run: see the guest tests).
#include "net/port_table.h"

#include <gtest/gtest.h>

#include <set>

namespace ms::net {
namespace {

Binding v4(uint16_t port, const char* addr = "0.0.0.0", bool reuse = false) {
  Binding b;
  b.family = IpVersion::kV4;
  b.addr = *IpAddress::parse(addr);
  b.port = port;
  b.reuse_addr = reuse;
  return b;
}

Binding v6(uint16_t port, const char* addr = "::", bool v6only = false) {
  Binding b;
  b.family = IpVersion::kV6;
  b.addr = *IpAddress::parse(addr);
  b.port = port;
  b.v6only = v6only;
  return b;
}

class PortTableTest : public ::testing::Test {
 protected:
  Rng rng{1};
  PortTable table{rng};
};

TEST_F(PortTableTest, SamePortConflicts) {
  Binding a = v4(80, "127.0.0.1");
  Binding b = v4(80, "127.0.0.1");
  ASSERT_TRUE(table.bind(a));
  EXPECT_EQ(table.bind(b).error(), Errno{EADDRINUSE});
  table.unbind(a);
  EXPECT_TRUE(table.bind(b));
}

TEST_F(PortTableTest, DifferentAddressesShareAPort) {
  Binding a = v4(80, "127.0.0.1");
  Binding b = v4(80, "127.0.0.2");
  Binding any = v4(80);
  ASSERT_TRUE(table.bind(a));
  EXPECT_TRUE(table.bind(b));
  EXPECT_EQ(table.bind(any).error(), Errno{EADDRINUSE});  // the wildcard overlaps both
}

TEST_F(PortTableTest, ReuseAddrSharesUnlessListening) {
  Binding a = v4(80, "127.0.0.1", true);
  Binding b = v4(80, "127.0.0.1", true);
  ASSERT_TRUE(table.bind(a));
  EXPECT_TRUE(table.bind(b));
  a.state = Binding::State::kListen;
  EXPECT_TRUE(table.check_listen(a));
  b.state = Binding::State::kListen;
  EXPECT_EQ(table.check_listen(b).error(), Errno{EADDRINUSE});
  Binding c = v4(80, "127.0.0.1", true);
  EXPECT_EQ(table.bind(c).error(), Errno{EADDRINUSE});
}

TEST_F(PortTableTest, TimeWaitBlocksUnlessBothReuse) {
  Binding tw = v4(80, "127.0.0.1", false);
  ASSERT_TRUE(table.bind(tw));
  tw.state = Binding::State::kTimeWait;
  Binding n = v4(80, "127.0.0.1", true);
  EXPECT_EQ(table.bind(n).error(), Errno{EADDRINUSE});
  tw.reuse_addr = true;
  EXPECT_TRUE(table.bind(n));
}

TEST_F(PortTableTest, ReusePortSameUser) {
  Binding a = v4(80);
  a.reuse_port = true;
  a.state = Binding::State::kListen;
  ASSERT_TRUE(table.bind(a));
  Binding b = v4(80);
  b.reuse_port = true;
  b.state = Binding::State::kListen;
  EXPECT_TRUE(table.bind(b));
  Binding c = v4(80);
  c.reuse_port = true;
  c.uid = 1000;
  EXPECT_EQ(table.bind(c).error(), Errno{EADDRINUSE});
}

TEST_F(PortTableTest, DualStackWildcardCoversIpv4) {
  Binding six = v6(80);
  ASSERT_TRUE(table.bind(six));
  Binding four = v4(80, "127.0.0.1");
  EXPECT_EQ(table.bind(four).error(), Errno{EADDRINUSE});
  table.unbind(six);
  Binding only = v6(80, "::", true);
  ASSERT_TRUE(table.bind(only));
  EXPECT_TRUE(table.bind(four));
  EXPECT_TRUE(binding_accepts(only, IpAddress::loopback(IpVersion::kV6)));
  EXPECT_FALSE(binding_accepts(only, IpAddress::loopback(IpVersion::kV4)));
}

TEST_F(PortTableTest, MappedAddressIsIpv4) {
  Binding mapped = v6(80, "::ffff:127.0.0.1");
  ASSERT_TRUE(table.bind(mapped));
  Binding four = v4(80, "127.0.0.1");
  EXPECT_EQ(table.bind(four).error(), Errno{EADDRINUSE});
  Binding six = v6(80, "::1");
  EXPECT_TRUE(table.bind(six));
}

TEST_F(PortTableTest, EphemeralPortsAreFreeAndInRange) {
  std::vector<Binding> bs(2000);
  std::set<uint16_t> seen;
  for (auto& b : bs) {
    b = v4(0);
    ASSERT_TRUE(table.bind(b));
    EXPECT_GE(b.port, kEphemeralFirst);
    EXPECT_LE(b.port, kEphemeralLast);
    EXPECT_TRUE(seen.insert(b.port).second);
  }
}

}  // namespace
}  // namespace ms::net
