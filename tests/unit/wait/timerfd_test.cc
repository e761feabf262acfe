#include "fs/timerfd.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <cstring>
#include <map>

#include "tests/unit/wait/fakes.h"

namespace ms::fs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;
using testing::RecordingWaiter;

Result<uint64_t> read_ticks(TimerFd& t) {
  std::byte buf[8];
  TRY(t.read(buf));
  uint64_t v = 0;
  std::memcpy(&v, buf, 8);
  return v;
}

struct TimerFdTest : ::testing::Test {
  FakeClock clock;
  kernel::TimerQueue timers;
  void advance(kernel::Duration d) { clock.advance(d, timers); }
};

TEST_F(TimerFdTest, OneShotExpiresOnce) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  RecordingWaiter w;
  t.wait_queue()->add(w);
  t.set(milliseconds(100), {}, false);
  advance(milliseconds(99));
  EXPECT_EQ(t.readiness(), 0U);
  EXPECT_EQ(read_ticks(t).error(), Errno{EAGAIN});
  advance(milliseconds(1));
  EXPECT_EQ(w.count, 1);
  EXPECT_EQ(t.readiness(), static_cast<uint32_t>(POLLIN));
  EXPECT_EQ(*read_ticks(t), 1U);
  advance(seconds(10));
  EXPECT_EQ(read_ticks(t).error(), Errno{EAGAIN});
  EXPECT_EQ(t.get().value, kernel::Duration::zero());
}

TEST_F(TimerFdTest, PeriodicCountsMissedPeriodsWhenRead) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  t.set(milliseconds(10), milliseconds(10), false);
  advance(milliseconds(10));
  // The expiry itself counted one tick and did not rearm: the timer moves on when read.
  EXPECT_TRUE(timers.empty());
  advance(milliseconds(45));  // 55 ms: periods ended at 10, 20, 30, 40, 50
  EXPECT_EQ(*read_ticks(t), 5U);
  EXPECT_FALSE(timers.empty()) << "rearmed for 60 ms";
  EXPECT_EQ(t.get().value, milliseconds(5));
  advance(milliseconds(5));
  EXPECT_EQ(*read_ticks(t), 1U);
}

TEST_F(TimerFdTest, ReadingExactlyOnAPeriodBoundaryCountsIt) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  t.set(milliseconds(10), milliseconds(10), false);
  advance(milliseconds(30));
  EXPECT_EQ(*read_ticks(t), 3U);
  EXPECT_EQ(t.get().value, milliseconds(10));
}

TEST_F(TimerFdTest, GettimeMovesAnExpiredPeriodicTimerOnAndKeepsTheTicks) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  t.set(milliseconds(10), milliseconds(10), false);
  advance(milliseconds(35));
  const auto s = t.get();
  EXPECT_EQ(s.value, milliseconds(5));
  EXPECT_EQ(s.interval, milliseconds(10));
  EXPECT_EQ(*read_ticks(t), 3U);
}

TEST_F(TimerFdTest, AbsoluteRealtimeInThePastFiresAtOnceWithOverruns) {
  TimerFd t(clock, timers, CLOCK_REALTIME, 0);
  const kernel::Duration now = clock.realtime();
  t.set(now - milliseconds(10500), seconds(1), true);
  advance(kernel::Duration::zero());
  EXPECT_EQ(*read_ticks(t), 11U) << "the expiry at -10.5 s and the ten periods after it";
  EXPECT_EQ(t.get().value, milliseconds(500));
}

TEST_F(TimerFdTest, BoottimeDeadlinesRunOnTheMonotonicQueue) {
  TimerFd t(clock, timers, CLOCK_BOOTTIME, 0);
  t.set(clock.boottime() + milliseconds(20), {}, true);
  advance(milliseconds(19));
  EXPECT_EQ(t.readiness(), 0U);
  advance(milliseconds(1));
  EXPECT_EQ(*read_ticks(t), 1U);
}

TEST_F(TimerFdTest, SettingReportsTheOldSettingAndDropsUnreadTicks) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  t.set(milliseconds(10), milliseconds(10), false);
  advance(milliseconds(25));
  const auto old = t.set(seconds(3), {}, false);
  EXPECT_EQ(old.value, milliseconds(5)) << "moved on to its next period first";
  EXPECT_EQ(old.interval, milliseconds(10));
  EXPECT_EQ(read_ticks(t).error(), Errno{EAGAIN});
  const auto disarmed = t.set({}, {}, false);
  EXPECT_EQ(disarmed.value, seconds(3));
  EXPECT_TRUE(timers.empty());
  EXPECT_EQ(t.get().value, kernel::Duration::zero());
}

TEST_F(TimerFdTest, HugeTimeoutsSaturateInsteadOfWrapping) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  t.set(kernel::Duration(std::numeric_limits<int64_t>::max() - 5), {}, false);
  advance(seconds(1'000'000));
  EXPECT_EQ(t.readiness(), 0U);
  EXPECT_GT(t.get().value, seconds(1'000'000'000));
}

TEST_F(TimerFdTest, DestroyingCancelsTheTimer) {
  {
    TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
    t.set(milliseconds(10), {}, false);
    EXPECT_FALSE(timers.empty());
  }
  EXPECT_TRUE(timers.empty());
  advance(seconds(1));
}

// Guest memory for the ioctl argument: a map of address to u64.
class FakeMemory final : public mm::GuestMemory {
 public:
  Result<void> copy_in(uint64_t addr, std::span<std::byte> dst) override {
    auto it = words.find(addr);
    if (it == words.end() || dst.size() != 8) return fail(EFAULT);
    std::memcpy(dst.data(), &it->second, 8);
    return {};
  }
  Result<void> copy_out(uint64_t, std::span<const std::byte>) override { return fail(EFAULT); }
  Result<size_t> copy_in_partial(uint64_t, std::span<std::byte>) override { return fail(EFAULT); }
  Result<size_t> copy_out_partial(uint64_t, std::span<const std::byte>) override {
    return fail(EFAULT);
  }
  Result<std::string> copy_in_string(uint64_t, size_t) override { return fail(EFAULT); }
  std::map<uint64_t, uint64_t> words;
};

TEST_F(TimerFdTest, SetTicksIoctl) {
  TimerFd t(clock, timers, CLOCK_MONOTONIC, 0);
  FakeMemory mem;
  mem.words[0x1000] = 7;
  mem.words[0x2000] = 0;
  const uint32_t set_ticks = _IOW('T', 0, uint64_t);
  EXPECT_EQ(t.ioctl(set_ticks, 0x3000, mem).error(), Errno{EFAULT});
  EXPECT_EQ(t.ioctl(set_ticks, 0x2000, mem).error(), Errno{EINVAL});
  EXPECT_EQ(t.ioctl(0x5401, 0x1000, mem).error(), Errno{ENOTTY});
  ASSERT_TRUE(t.ioctl(set_ticks, 0x1000, mem));
  EXPECT_EQ(*read_ticks(t), 7U);
}

}  // namespace
}  // namespace ms::fs
