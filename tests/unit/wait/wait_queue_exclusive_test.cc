#include <gtest/gtest.h>
#include <poll.h>

#include "sentry/kernel/wait_queue.h"
#include "tests/unit/wait/fakes.h"

namespace ms::kernel {
namespace {

using testing::RecordingWaiter;

TEST(WaitQueueExclusive, OnlyTheFirstExclusiveWaiterThatWokeSomeoneIsTold) {
  WaitQueue q;
  RecordingWaiter plain, first, second;
  first.set_exclusive(true);
  second.set_exclusive(true);
  q.add(first);
  q.add(plain);
  q.add(second);
  q.notify(POLLIN);
  EXPECT_EQ(first.count, 1);
  EXPECT_EQ(second.count, 0);
  EXPECT_EQ(plain.count, 1) << "non-exclusive waiters are always told";
}

TEST(WaitQueueExclusive, AnExclusiveWaiterThatWokeNobodyPassesTheWakeupOn) {
  WaitQueue q;
  RecordingWaiter idle, busy, last;
  for (auto* w : {&idle, &busy, &last}) {
    w->set_exclusive(true);
    q.add(*w);
  }
  idle.wakes = false;
  q.notify(POLLIN);
  EXPECT_EQ(idle.count, 1);
  EXPECT_EQ(busy.count, 1);
  EXPECT_EQ(last.count, 0);
}

// A waiter whose notify removes another waiter of the same queue, as a task does when it
// wakes (it leaves every queue it waited on).
class RemovingWaiter final : public Waiter {
 public:
  explicit RemovingWaiter(Waiter& victim) : victim_(victim) {}
  void notify(uint32_t /*events*/) override {
    ++count;
    victim_.unlink();
  }
  int count = 0;

 private:
  Waiter& victim_;
};

TEST(WaitQueueExclusive, ANotifyMayRemoveTheNextWaiter) {
  WaitQueue q;
  RecordingWaiter victim, after;
  RemovingWaiter remover(victim);
  q.add(remover);
  q.add(victim);
  q.add(after);
  q.notify(POLLIN);
  EXPECT_EQ(remover.count, 1);
  EXPECT_EQ(victim.count, 0) << "removed before its turn";
  EXPECT_EQ(after.count, 1) << "the waiters after the removed one are still told";
  EXPECT_FALSE(victim.linked());
}

}  // namespace
}  // namespace ms::kernel
