#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sentry/kernel/clock.h"

namespace ms::kernel {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TimerQueue, EmptyHasNoDeadline) {
  TimerQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.next_deadline().has_value());
  q.fire_due(seconds(1000));  // nothing to fire
}

TEST(TimerQueue, FiresInDeadlineOrderNotScheduleOrder) {
  TimerQueue q;
  std::string fired;
  q.schedule(milliseconds(30), [&] { fired += 'c'; });
  q.schedule(milliseconds(10), [&] { fired += 'a'; });
  q.schedule(milliseconds(20), [&] { fired += 'b'; });
  EXPECT_EQ(q.next_deadline(), milliseconds(10));
  q.fire_due(milliseconds(100));
  EXPECT_EQ(fired, "abc");
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, TiesFireInScheduleOrder) {
  TimerQueue q;
  std::string fired;
  for (char c : std::string("zyxwv"))
    q.schedule(milliseconds(5), [&fired, c] { fired += c; });
  q.fire_due(milliseconds(5));
  EXPECT_EQ(fired, "zyxwv");
}

TEST(TimerQueue, FiresOnlyWhatIsDueIncludingExactlyNow) {
  TimerQueue q;
  std::string fired;
  q.schedule(milliseconds(10), [&] { fired += 'a'; });
  q.schedule(milliseconds(20), [&] { fired += 'b'; });
  q.fire_due(milliseconds(9));
  EXPECT_EQ(fired, "");
  q.fire_due(milliseconds(10));  // a deadline equal to now is due
  EXPECT_EQ(fired, "a");
  EXPECT_EQ(q.next_deadline(), milliseconds(20));
  EXPECT_FALSE(q.empty());
  q.fire_due(milliseconds(19));
  EXPECT_EQ(fired, "a");
}

TEST(TimerQueue, EachTimerFiresOnce) {
  TimerQueue q;
  int n = 0;
  q.schedule(milliseconds(1), [&] { ++n; });
  q.fire_due(milliseconds(1));
  q.fire_due(milliseconds(2));
  EXPECT_EQ(n, 1);
}

TEST(TimerQueue, IdsAreDistinct) {
  TimerQueue q;
  const auto a = q.schedule(milliseconds(1), [] {});
  const auto b = q.schedule(milliseconds(1), [] {});
  const auto c = q.schedule(milliseconds(0), [] {});
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
}

TEST(TimerQueue, CancelledTimerDoesNotFire) {
  TimerQueue q;
  std::string fired;
  q.schedule(milliseconds(10), [&] { fired += 'a'; });
  const auto b = q.schedule(milliseconds(5), [&] { fired += 'b'; });
  q.schedule(milliseconds(5), [&] { fired += 'c'; });
  q.cancel(b);
  EXPECT_EQ(q.next_deadline(), milliseconds(5));  // c still holds that deadline
  q.fire_due(milliseconds(100));
  EXPECT_EQ(fired, "ca");
}

TEST(TimerQueue, CancellingTheEarliestMovesNextDeadline) {
  TimerQueue q;
  const auto a = q.schedule(milliseconds(5), [] {});
  q.schedule(milliseconds(50), [] {});
  q.cancel(a);
  EXPECT_EQ(q.next_deadline(), milliseconds(50));
}

TEST(TimerQueue, CancelOfFiredUnknownOrCancelledIsHarmless) {
  TimerQueue q;
  int n = 0;
  const auto a = q.schedule(milliseconds(1), [&] { ++n; });
  q.fire_due(milliseconds(1));
  q.cancel(a);        // already fired
  q.cancel(a + 100);  // never existed
  const auto b = q.schedule(milliseconds(2), [&] { ++n; });
  q.cancel(b);
  q.cancel(b);  // twice
  EXPECT_TRUE(q.empty());
  // A later timer is not disturbed by the stale cancels.
  q.schedule(milliseconds(3), [&] { ++n; });
  q.cancel(a);
  q.fire_due(milliseconds(3));
  EXPECT_EQ(n, 2);
}

TEST(TimerQueue, CallbackMayScheduleATimerThatIsAlreadyDue) {
  TimerQueue q;
  std::string fired;
  q.schedule(milliseconds(10), [&] {
    fired += 'a';
    q.schedule(milliseconds(5), [&] { fired += 'b'; });   // in the past: due now
    q.schedule(milliseconds(10), [&] { fired += 'c'; });  // exactly now: due
    q.schedule(milliseconds(11), [&] { fired += 'd'; });  // later
  });
  q.fire_due(milliseconds(10));
  EXPECT_EQ(fired, "abc");
  EXPECT_EQ(q.next_deadline(), milliseconds(11));
  q.fire_due(milliseconds(11));
  EXPECT_EQ(fired, "abcd");
}

TEST(TimerQueue, CallbackMayCancelAnotherDueTimer) {
  TimerQueue q;
  std::string fired;
  TimerQueue::TimerId victim = 0;
  q.schedule(milliseconds(1), [&] {
    fired += 'a';
    q.cancel(victim);
  });
  victim = q.schedule(milliseconds(2), [&] { fired += 'v'; });
  q.schedule(milliseconds(3), [&] { fired += 'c'; });
  q.fire_due(milliseconds(3));
  EXPECT_EQ(fired, "ac");
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, CallbackMayCancelItself) {
  TimerQueue q;
  int n = 0;
  TimerQueue::TimerId self = 0;
  self = q.schedule(milliseconds(1), [&] {
    ++n;
    q.cancel(self);
  });
  q.schedule(milliseconds(1), [&] { ++n; });
  q.fire_due(milliseconds(1));
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, PeriodicTimerRearmingItself) {
  // A periodic timer re-arms itself one period ahead: each fire_due runs it once.
  TimerQueue q;
  int n = 0;
  std::function<void()> tick = [&] {
    ++n;
    q.schedule(milliseconds(10 * (n + 1)), tick);
  };
  q.schedule(milliseconds(10), tick);
  q.fire_due(milliseconds(10));
  EXPECT_EQ(n, 1);
  q.fire_due(milliseconds(15));
  EXPECT_EQ(n, 1);
  q.fire_due(milliseconds(20));
  EXPECT_EQ(n, 2);
  // Far behind: each overdue period fires in the same pass, none twice.
  q.fire_due(milliseconds(50));
  EXPECT_EQ(n, 5);
  EXPECT_EQ(q.next_deadline(), milliseconds(60));
}

TEST(HostClock, MonotonicAdvancesAndUntilIsRemainingTime) {
  HostClock clock;
  const Duration a = clock.monotonic();
  const Duration b = clock.monotonic();
  EXPECT_LE(a, b);
  EXPECT_EQ(clock.until(a - seconds(1)), Duration::zero());
  const Duration left = clock.until(clock.monotonic() + seconds(10));
  EXPECT_GT(left, seconds(9));
  EXPECT_LE(left, seconds(10));
  // Since the epoch: later than 2020-01-01.
  EXPECT_GT(clock.realtime(), seconds(1577836800));
}

}  // namespace
}  // namespace ms::kernel
