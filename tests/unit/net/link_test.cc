// LinkFaults parsing and the simulated link's fault model.
#include <gtest/gtest.h>

#include "net/link_faults.h"
#include "net/sim_link.h"
#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using namespace std::chrono_literals;

TEST(LinkFaults, ParsesTheIssueExample) {
  auto f = parse_link_faults("loss=0.1,reorder=0.2,dup=0.01,delay=1ms,seed=7");
  ASSERT_TRUE(f) << f.error();
  EXPECT_DOUBLE_EQ(f->loss, 0.1);
  EXPECT_DOUBLE_EQ(f->reorder, 0.2);
  EXPECT_DOUBLE_EQ(f->dup, 0.01);
  EXPECT_EQ(f->delay, 1ms);
  EXPECT_EQ(f->seed, 7u);
  EXPECT_FALSE(f->clean());
}

TEST(LinkFaults, RejectsBadInput) {
  EXPECT_FALSE(parse_link_faults("loss=1.5"));
  EXPECT_FALSE(parse_link_faults("loss=-0.1"));
  EXPECT_FALSE(parse_link_faults("loss=abc"));
  EXPECT_FALSE(parse_link_faults("delay=5"));  // no unit
  EXPECT_FALSE(parse_link_faults("delay=5h"));
  EXPECT_FALSE(parse_link_faults("jitter=1ms"));
  EXPECT_FALSE(parse_link_faults("loss"));
  EXPECT_FALSE(parse_link_faults("seed=x"));
  auto empty = parse_link_faults("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->clean());
  auto us = parse_link_faults("delay=250us");
  ASSERT_TRUE(us);
  EXPECT_EQ(us->delay, 250us);
}

class Collect final : public LinkReceiver {
 public:
  void link_ready() override { ++ready; }
  int ready = 0;
};

Packet numbered(uint16_t n) {
  Packet p;
  p.header_len = 2;
  p.header[0] = static_cast<std::byte>(n >> 8);
  p.header[1] = static_cast<std::byte>(n);
  return p;
}

uint16_t number(const Packet& p) {
  return static_cast<uint16_t>(static_cast<unsigned>(p.header[0]) << 8 |
                               static_cast<unsigned>(p.header[1]));
}

std::vector<uint16_t> run(const LinkFaults& f, int count) {
  testing::FakeClock clock;
  kernel::TimerQueue timers;
  SimLink link(clock, timers, f);
  Collect rx;
  link.set_receiver(&rx);
  std::vector<uint16_t> got;
  Packet p;
  for (int i = 0; i < count; ++i) {
    link.transmit(numbered(static_cast<uint16_t>(i)));
    clock.now += 10us;
    timers.fire_due(clock.now);
    while (link.pop(p))
      got.push_back(number(p));
  }
  while (auto next = timers.next_deadline()) {
    clock.now = *next;
    timers.fire_due(clock.now);
  }
  while (link.pop(p))
    got.push_back(number(p));
  return got;
}

TEST(SimLink, CleanLinkDeliversEverythingInOrder) {
  auto got = run(LinkFaults{}, 1000);
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(got[i], i);
}

TEST(SimLink, FaultsMatchTheirProbabilities) {
  LinkFaults f;
  f.loss = 0.1;
  f.dup = 0.05;
  f.reorder = 0.2;
  f.seed = 42;
  const int n = 20000;
  auto got = run(f, n);
  // Delivered = sent - lost + duplicated.
  const double expected = n * (1 - f.loss) * (1 + f.dup);
  EXPECT_NEAR(static_cast<double>(got.size()), expected, expected * 0.03);
  int inversions = 0;
  for (size_t i = 1; i < got.size(); ++i)
    inversions += got[i] < got[i - 1] ? 1 : 0;
  EXPECT_GT(inversions, n / 50);
}

TEST(SimLink, SameSeedSameRun) {
  LinkFaults f;
  f.loss = 0.2;
  f.reorder = 0.3;
  f.dup = 0.1;
  f.delay = 50us;
  f.seed = 9;
  EXPECT_EQ(run(f, 3000), run(f, 3000));
  LinkFaults g = f;
  g.seed = 10;
  EXPECT_NE(run(f, 3000), run(g, 3000));
}

TEST(SimLink, DelayHoldsPacketsUntilDue) {
  testing::FakeClock clock;
  kernel::TimerQueue timers;
  LinkFaults f;
  f.delay = 1ms;
  SimLink link(clock, timers, f);
  Collect rx;
  link.set_receiver(&rx);
  link.transmit(numbered(1));
  Packet p;
  EXPECT_FALSE(link.pop(p));
  clock.now += 999us;
  timers.fire_due(clock.now);
  EXPECT_FALSE(link.pop(p));
  clock.now += 1us;
  timers.fire_due(clock.now);
  EXPECT_EQ(rx.ready, 1);
  ASSERT_TRUE(link.pop(p));
  EXPECT_EQ(number(p), 1);
}

}  // namespace
}  // namespace ms::net
