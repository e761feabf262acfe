#include "sentry/kernel/wait_queue.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <functional>
#include <memory>
#include <vector>

namespace ms::kernel {
namespace {

// Records each notification into a log shared by all waiters of a test, so that the order
// across waiters is visible.
class RecordingWaiter : public Waiter {
 public:
  RecordingWaiter(int id, std::vector<std::pair<int, uint32_t>>* log, uint32_t mask = ~0U)
      : id_(id), log_(log) {
    set_mask(mask);
  }
  void notify(uint32_t events) override {
    log_->emplace_back(id_, events);
    if (on_notify) on_notify();
  }
  std::function<void()> on_notify;

 private:
  int id_;
  std::vector<std::pair<int, uint32_t>>* log_;
};

using Log = std::vector<std::pair<int, uint32_t>>;

TEST(WaitQueue, StartsEmpty) {
  WaitQueue q;
  EXPECT_TRUE(q.empty());
  q.notify(POLLIN);  // nothing to tell: must not crash
}

TEST(WaitQueue, NotifiesInOrderAdded) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log), c(3, &log);
  WaitQueue q;
  q.add(b);
  q.add(a);
  q.add(c);
  EXPECT_FALSE(q.empty());
  EXPECT_TRUE(a.linked());
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}, {1, POLLIN}, {3, POLLIN}}));
}

TEST(WaitQueue, NotifyKeepsWaitersQueued) {
  // A woken waiter unlinks itself later; notify alone does not dequeue it.
  Log log;
  RecordingWaiter a(1, &log);
  WaitQueue q;
  q.add(a);
  q.notify(POLLIN);
  q.notify(POLLOUT);
  EXPECT_TRUE(a.linked());
  EXPECT_EQ(log, (Log{{1, POLLIN}, {1, POLLOUT}}));
}

TEST(WaitQueue, OnlyWaitersWhoseMaskIntersectAreTold) {
  Log log;
  RecordingWaiter reader(1, &log, POLLIN), writer(2, &log, POLLOUT),
      both(3, &log, POLLIN | POLLOUT), all(4, &log);
  WaitQueue q;
  q.add(reader);
  q.add(writer);
  q.add(both);
  q.add(all);
  q.notify(POLLOUT);
  // The events passed on are the notified ones, not the intersection with the mask.
  EXPECT_EQ(log, (Log{{2, POLLOUT}, {3, POLLOUT}, {4, POLLOUT}}));
  log.clear();
  q.notify(POLLIN | POLLHUP);
  EXPECT_EQ(log, (Log{{1, POLLIN | POLLHUP}, {3, POLLIN | POLLHUP}, {4, POLLIN | POLLHUP}}));
  log.clear();
  q.notify(POLLPRI);
  EXPECT_EQ(log, (Log{{4, POLLPRI}}));
}

TEST(WaitQueue, MaskChangeWhileQueuedTakesEffect) {
  Log log;
  RecordingWaiter a(1, &log, POLLIN);
  WaitQueue q;
  q.add(a);
  a.set_mask(POLLOUT);
  q.notify(POLLIN);
  EXPECT_TRUE(log.empty());
  q.notify(POLLOUT);
  EXPECT_EQ(log, (Log{{1, POLLOUT}}));
}

TEST(WaitQueue, RemoveHeadMiddleAndTailKeepsOrder) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log), c(3, &log), d(4, &log), e(5, &log);
  WaitQueue q;
  for (RecordingWaiter* w : {&a, &b, &c, &d, &e})
    q.add(*w);
  q.remove(a);  // head
  q.remove(c);  // middle
  q.remove(e);  // tail
  EXPECT_FALSE(a.linked());
  EXPECT_FALSE(c.linked());
  EXPECT_FALSE(e.linked());
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}, {4, POLLIN}}));
  // The tail pointer must have moved back: a new waiter goes after d.
  q.add(a);
  log.clear();
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}, {4, POLLIN}, {1, POLLIN}}));
  q.remove(b);
  q.remove(d);
  q.remove(a);
  EXPECT_TRUE(q.empty());
}

TEST(WaitQueue, RemoveTwiceIsHarmless) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log);
  WaitQueue q;
  q.add(a);
  q.add(b);
  q.remove(a);
  q.remove(a);
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}}));
}

TEST(WaitQueue, RemoveFromTheWrongQueueIsIgnored) {
  Log log;
  RecordingWaiter a(1, &log);
  WaitQueue q1, q2;
  q1.add(a);
  q2.remove(a);
  EXPECT_TRUE(a.linked());
  EXPECT_TRUE(q2.empty());
  q1.notify(POLLIN);
  EXPECT_EQ(log, (Log{{1, POLLIN}}));
}

TEST(WaitQueue, AddingToAnotherQueueLeavesTheFirst) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log);
  WaitQueue q1, q2;
  q1.add(a);
  q1.add(b);
  q2.add(a);
  q1.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}}));
  log.clear();
  q2.notify(POLLOUT);
  EXPECT_EQ(log, (Log{{1, POLLOUT}}));
  q1.remove(b);
  EXPECT_TRUE(q1.empty());
  EXPECT_FALSE(q2.empty());
}

TEST(WaitQueue, AddingAgainMovesToTheBack) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log);
  WaitQueue q;
  q.add(a);
  q.add(b);
  q.add(a);
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{2, POLLIN}, {1, POLLIN}}));
}

TEST(WaitQueue, WaiterMayRemoveItselfDuringNotify) {
  Log log;
  WaitQueue q;
  RecordingWaiter a(1, &log), b(2, &log), c(3, &log);
  b.on_notify = [&] { b.unlink(); };
  q.add(a);
  q.add(b);
  q.add(c);
  q.notify(POLLIN);
  // The waiters after the one that left are still told.
  EXPECT_EQ(log, (Log{{1, POLLIN}, {2, POLLIN}, {3, POLLIN}}));
  EXPECT_FALSE(b.linked());
  log.clear();
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{1, POLLIN}, {3, POLLIN}}));
}

TEST(WaitQueue, OnlyWaiterRemovingItselfEmptiesTheQueue) {
  Log log;
  WaitQueue q;
  RecordingWaiter a(1, &log);
  a.on_notify = [&] { q.remove(a); };
  q.add(a);
  q.notify(POLLIN);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(a.linked());
}

TEST(WaitQueue, DestroyedWaiterUnlinks) {
  Log log;
  WaitQueue q;
  RecordingWaiter a(1, &log), c(3, &log);
  q.add(a);
  {
    RecordingWaiter b(2, &log);
    q.add(b);
    q.add(c);
  }
  q.notify(POLLIN);
  EXPECT_EQ(log, (Log{{1, POLLIN}, {3, POLLIN}}));
}

TEST(WaitQueue, DestroyedQueueUnlinksItsWaiters) {
  Log log;
  RecordingWaiter a(1, &log), b(2, &log);
  {
    WaitQueue q;
    q.add(a);
    q.add(b);
  }
  EXPECT_FALSE(a.linked());
  EXPECT_FALSE(b.linked());
  // Their own destructors run later and must not touch the dead queue (ASan would see it).
  WaitQueue q2;
  q2.add(a);
  q2.notify(POLLIN);
  EXPECT_EQ(log, (Log{{1, POLLIN}}));
}

struct HookCalls {
  std::vector<uint32_t> masks;
};

void record_hook(void* context, uint32_t events) {
  static_cast<HookCalls*>(context)->masks.push_back(events);
}

TEST(WaitQueue, OnWaitHookSeesEachAddWithItsMask) {
  HookCalls calls;
  Log log;
  WaitQueue q(&record_hook, &calls);
  RecordingWaiter reader(1, &log, POLLIN), writer(2, &log, POLLOUT);
  q.add(reader);
  q.add(writer);
  EXPECT_EQ(calls.masks, (std::vector<uint32_t>{POLLIN, POLLOUT}));
  // Removing and notifying are not waits.
  q.remove(reader);
  q.notify(POLLOUT);
  EXPECT_EQ(calls.masks.size(), 2u);
  // Waiting again (after being woken) is a new wait: the hook re-arms host watches.
  q.add(reader);
  EXPECT_EQ(calls.masks, (std::vector<uint32_t>{POLLIN, POLLOUT, POLLIN}));
}

TEST(WaitQueue, OnWaitHookRunsWithTheWaiterAlreadyQueued) {
  // A hook for an always-ready source may notify at once; the new waiter must hear it.
  struct Context {
    WaitQueue* q = nullptr;
  } ctx;
  Log log;
  WaitQueue q([](void* c, uint32_t events) { static_cast<Context*>(c)->q->notify(events); }, &ctx);
  ctx.q = &q;
  RecordingWaiter a(1, &log, POLLIN);
  q.add(a);
  EXPECT_EQ(log, (Log{{1, POLLIN}}));
}

}  // namespace
}  // namespace ms::kernel
