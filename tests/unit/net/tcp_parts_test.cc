// The TCP building blocks on their own: sequence arithmetic, reassembly, the in-flight record
// with RACK loss detection, and the RTT estimator.
#include <gtest/gtest.h>

#include "net/tcp_flight.h"
#include "net/tcp_reassembly.h"
#include "net/tcp_rtt.h"
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

TEST(TcpFlight, TracksWhatIsInFlight) {
  TcpFlight f;
  const kernel::Duration t0{1000000};
  f.sent(0, 100, t0, false);
  f.sent(100, 200, t0, false);
  f.sent(200, 300, t0, false);
  EXPECT_EQ(f.bytes(), 300u);
  EXPECT_EQ(f.pipe(), 300u);
  f.sacked(150, 250, t0 + 10us);  // splits two segments
  EXPECT_EQ(f.bytes(), 200u);
  EXPECT_EQ(f.delivered_bytes(), 100u);
  f.acked(120, t0 + 20us);
  EXPECT_EQ(f.bytes(), 80u);  // [120, 150) and [250, 300)
  EXPECT_EQ(f.segments(), 2u);
  f.acked(300, t0 + 30us);
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.delivered_bytes(), 300u);
}

TEST(TcpFlight, RackMarksSegmentsSentBeforeADeliveredOne) {
  TcpFlight f;
  const kernel::Duration t0{1000000};
  f.sent(0, 100, t0, false);
  f.sent(100, 200, t0 + 1us, false);
  f.sent(200, 300, t0 + 2us, false);
  // The third arrives (SACK) 50 us after it was sent; the first two did not.
  f.sacked(200, 300, t0 + 52us);
  EXPECT_EQ(*f.rack_rtt(), 50us);
  // Not yet: a reordered packet gets the reordering window to show up.
  auto next = f.detect_losses(t0 + 60us, 1ms);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, t0 + 50us + 1ms);
  EXPECT_FALSE(f.has_lost());
  f.detect_losses(t0 + 2ms, 1ms);
  EXPECT_TRUE(f.has_lost());
  EXPECT_EQ(f.pipe(), 0u);
  auto lost = f.next_lost(0);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->first, 0u);
  EXPECT_EQ(f.next_lost(100)->first, 100u);
}

TEST(TcpFlight, RackFindsALostRetransmission) {
  TcpFlight f;
  const kernel::Duration t0{1000000};
  f.sent(0, 100, t0, false);
  f.sent(100, 200, t0, false);
  f.sacked(100, 200, t0 + 50us);
  f.detect_losses(t0 + 2ms, 1ms);
  ASSERT_TRUE(f.has_lost());
  // The hole is resent; the retransmission is lost too, but new data sent after it arrives.
  f.sent(0, 100, t0 + 2ms, true);
  EXPECT_FALSE(f.has_lost());
  f.sent(200, 300, t0 + 3ms, false);
  f.sacked(200, 300, t0 + 3ms + 50us);
  f.detect_losses(t0 + 5ms, 1ms);
  EXPECT_TRUE(f.has_lost());
  EXPECT_EQ(f.next_lost(0)->first, 0u);
}

TEST(TcpFlight, TimeoutMarksEverythingLost) {
  TcpFlight f;
  f.sent(0, 100, kernel::Duration{1}, false);
  f.sent(100, 200, kernel::Duration{2}, false);
  f.mark_all_lost();
  EXPECT_EQ(f.pipe(), 0u);
  f.sent(0, 100, kernel::Duration{3}, true);
  EXPECT_EQ(f.pipe(), 100u);
  EXPECT_EQ(f.last()->first, 100u);
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
