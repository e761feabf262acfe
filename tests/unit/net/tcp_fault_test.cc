// Many megabytes through the simulated link with random loss, reordering, duplication and
// delay: every byte must arrive, once, in order. Seeded, so a failure replays exactly.
#include <sys/socket.h>

#include "net/sim_link.h"
#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using namespace std::chrono_literals;

struct FaultCase {
  double loss;
  double reorder;
  double dup;
  kernel::Duration delay;
  uint64_t seed;
  size_t megabytes;
};

class TcpFaultTest : public ::testing::TestWithParam<FaultCase> {
 protected:
  void SetUp() override {
    const FaultCase& c = GetParam();
    StackOptions o;
    o.seed = c.seed;
    o.loopback_faults.loss = c.loss;
    o.loopback_faults.reorder = c.reorder;
    o.loopback_faults.dup = c.dup;
    o.loopback_faults.delay = c.delay;
    o.loopback_faults.seed = c.seed;
    stack = std::make_unique<Stack>(clock, timers, o);
  }
  // Fires the next timer; false if none is pending.
  bool step() {
    auto next = timers.next_deadline();
    if (!next) return false;
    if (*next > clock.now) clock.now = *next;
    timers.fire_due(clock.now);
    stack->drain();
    return true;
  }
  std::shared_ptr<TcpEndpoint> connected(std::shared_ptr<TcpEndpoint>& server, IpVersion v) {
    auto l = std::make_shared<TcpEndpoint>(*stack, v);
    EXPECT_TRUE(l->bind(testing::loopback(v, 9000)));
    EXPECT_TRUE(l->listen(8));
    auto c = std::make_shared<TcpEndpoint>(*stack, v);
    EXPECT_TRUE(c->connect(testing::loopback(v, 9000)));
    while (l->accept_queue_length() == 0 || c->state() != TcpState::kEstablished) {
      if (!step()) break;
    }
    auto s = l->accept();
    EXPECT_TRUE(s);
    if (s) server = *s;
    l->close();
    return c;
  }

  testing::FakeClock clock;
  kernel::TimerQueue timers;
  std::unique_ptr<Stack> stack;
};

// Both directions at once: the client streams `a` while the server streams `b`; each side
// half-closes when done and reads to end of stream.
TEST_P(TcpFaultTest, BothDirectionsArriveInOrder) {
  const FaultCase& fc = GetParam();
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    std::shared_ptr<TcpEndpoint> server;
    auto client = connected(server, v);
    ASSERT_TRUE(server);
    ASSERT_EQ(client->state(), TcpState::kEstablished);
    const auto a = testing::pattern(fc.megabytes << 20, fc.seed);
    const auto b = testing::pattern((fc.megabytes << 20) / 3, fc.seed + 1);
    struct Side {
      TcpEndpoint* ep;
      const std::vector<std::byte>* out;
      size_t sent = 0;
      bool shut = false;
      std::vector<std::byte> in;
      bool eof = false;
    };
    Side sides[2] = {{client.get(), &a}, {server.get(), &b}};
    std::vector<std::byte> buf(256 * 1024);
    int stalls = 0;
    while (!(sides[0].eof && sides[1].eof)) {
      bool progress = false;
      for (Side& s : sides) {
        if (s.sent < s.out->size()) {
          auto n = s.ep->send(
              std::span(*s.out).subspan(s.sent, std::min<size_t>(s.out->size() - s.sent, 300000)));
          if (n) {
            s.sent += *n;
            progress = true;
          } else {
            ASSERT_EQ(n.error(), Errno{EAGAIN});
          }
        } else if (!s.shut) {
          ASSERT_TRUE(s.ep->shutdown(SHUT_WR));
          s.shut = true;
          progress = true;
        }
        while (!s.eof) {
          auto n = s.ep->recv(buf);
          if (!n) {
            ASSERT_EQ(n.error(), Errno{EAGAIN});
            break;
          }
          if (*n == 0) {
            s.eof = true;
          } else {
            s.in.insert(s.in.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
          }
          progress = true;
        }
      }
      if (!progress) {
        ASSERT_TRUE(step()) << "stuck with no timer pending";
        ASSERT_LT(++stalls, 200000);
      }
    }
    // Compare sizes first so that a failure does not print megabytes.
    ASSERT_EQ(sides[1].in.size(), a.size());
    ASSERT_EQ(sides[0].in.size(), b.size());
    EXPECT_TRUE(sides[1].in == a) << "client-to-server bytes differ";
    EXPECT_TRUE(sides[0].in == b) << "server-to-client bytes differ";
    client->close();
    server->close();
    const auto& stats = stack->loopback().link->stats();
    if (fc.loss > 0) {
      EXPECT_GT(stats.dropped, 0u);
      EXPECT_GT(stack->stats().tcp_retransmits, 0u);
    }
    if (fc.dup > 0) {
      EXPECT_GT(stats.duplicated, 0u);
    }
    if (fc.reorder > 0) {
      EXPECT_GT(stats.reordered, 0u);
    }
    EXPECT_EQ(stack->stats().malformed, 0u);  // every packet the stack built was valid
  }
}

INSTANTIATE_TEST_SUITE_P(
    Links, TcpFaultTest,
    ::testing::Values(FaultCase{0, 0, 0, 0us, 1, 16},            // clean
                      FaultCase{0.1, 0.2, 0.05, 0us, 7, 16},     // the example
                      FaultCase{0.1, 0.2, 0.01, 1ms, 7, 8},      // with delay
                      FaultCase{0.3, 0, 0, 100us, 3, 2},         // heavy loss
                      FaultCase{0, 0.5, 0, 200us, 11, 8},        // heavy reordering
                      FaultCase{0, 0, 0.5, 0us, 13, 8},          // heavy duplication
                      FaultCase{0.05, 0.1, 0.05, 2ms, 17, 4}));  // everything, slowly

}  // namespace
}  // namespace ms::net
