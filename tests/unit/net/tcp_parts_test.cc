// The TCP building blocks on their own: sequence arithmetic, reassembly, the SACK scoreboard
// and the RTT estimator.
#include <gtest/gtest.h>

#include "net/tcp_reassembly.h"
#include "net/tcp_rtt.h"
#include "net/tcp_sack_scoreboard.h"
#include "net/tcp_seq.h"
#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using namespace std::chrono_literals;
using testing::bytes;
using testing::text;

TEST(TcpSeq, ComparesAcrossWrap) {
  EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10u));
  EXPECT_TRUE(seq_gt(0x10u, 0xfffffff0u));
  EXPECT_TRUE(seq_in(0x5u, 0xfffffff0u, 0x10u));
  EXPECT_FALSE(seq_in(0x10u, 0xfffffff0u, 0x10u));
  EXPECT_EQ(seq_to_pos(0x10u, 0xfffffff0u, 100), 132u);
  EXPECT_EQ(seq_to_pos(0xffffffe0u, 0xfffffff0u, 100), 84u);
}

TEST(Reassembly, FillsHolesInOrder) {
  Reassembly r;
  ByteQueue out;
  uint64_t next = 0;
  r.insert(6, Payload::copy_of(bytes("world")), false);
  r.insert(11, Payload::copy_of(bytes("!")), true);
  EXPECT_FALSE(r.pop_contiguous(next, out));
  EXPECT_EQ(next, 0u);
  EXPECT_EQ(r.bytes(), 6u);
  // The hole is filled by the in-order path; the queue then continues the stream.
  out.append_copy(bytes("hello "));
  next = 6;
  EXPECT_TRUE(r.pop_contiguous(next, out));
  EXPECT_EQ(next, 12u);
  std::vector<std::byte> all(out.size());
  out.copy_out(all);
  EXPECT_EQ(text(all), "hello world!");
  EXPECT_TRUE(r.empty());
}

TEST(Reassembly, KeepsFirstCopyOfOverlaps) {
  Reassembly r;
  r.insert(10, Payload::copy_of(bytes("AAAAAAAAAA")), false);           // [10, 20)
  r.insert(5, Payload::copy_of(bytes("bbbbbbbbbbbbbbbbbbbb")), false);  // [5, 25)
  EXPECT_EQ(r.bytes(), 20u);
  ByteQueue out;
  uint64_t next = 5;
  r.pop_contiguous(next, out);
  std::vector<std::byte> all(out.size());
  out.copy_out(all);
  EXPECT_EQ(text(all), "bbbbbAAAAAAAAAAbbbbb");
}

TEST(Reassembly, SackRangesPutTheLatestFirst) {
  Reassembly r;
  r.insert(100, Payload::copy_of(bytes("aaaa")), false);
  r.insert(104, Payload::copy_of(bytes("bbbb")), false);  // merges with [100, 104)
  r.insert(200, Payload::copy_of(bytes("cccc")), false);
  r.insert(50, Payload::copy_of(bytes("dd")), false);
  auto ranges = r.sack_ranges(4);
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].begin, 50u);
  EXPECT_EQ(ranges[1].begin, 100u);
  EXPECT_EQ(ranges[1].end, 108u);
  EXPECT_EQ(ranges[2].begin, 200u);
  r.insert(300, Payload::copy_of(bytes("e")), false);
  EXPECT_EQ(r.sack_ranges(4)[0].begin, 300u);
}

TEST(SackScoreboard, MergesAndAdvances) {
  SackScoreboard s;
  s.add(100, 200);
  s.add(300, 400);
  s.add(200, 250);  // touches the first range
  EXPECT_EQ(s.sacked_bytes(), 250u);
  EXPECT_EQ(s.highest(), 400u);
  EXPECT_EQ(s.skip_sacked(150), 250u);
  EXPECT_EQ(s.skip_sacked(260), 260u);
  EXPECT_EQ(s.next_sacked(260), 300u);
  EXPECT_EQ(s.next_sacked(350), 350u);
  EXPECT_EQ(s.sacked_below(320), 170u);
  s.advance(320);
  EXPECT_EQ(s.sacked_bytes(), 80u);
  s.advance(1000);
  EXPECT_TRUE(s.empty());
}

TEST(RttEstimator, FollowsRfc6298) {
  RttEstimator r(200ms);
  EXPECT_EQ(r.rto(), 1s);
  r.sample(100ms);
  EXPECT_EQ(*r.srtt(), 100ms);
  EXPECT_EQ(r.rto(), 300ms);  // srtt + 4 * rttvar = 100 + 4 * 50
  for (int i = 0; i < 50; ++i)
    r.sample(10us);
  EXPECT_EQ(r.rto(), 200ms);  // clamped to the minimum
  r.backoff();
  r.backoff();
  EXPECT_EQ(r.rto(), 800ms);
  for (int i = 0; i < 20; ++i)
    r.backoff();
  EXPECT_EQ(r.rto(), RttEstimator::kMaxRto);
}

}  // namespace
}  // namespace ms::net
