#include "fs/epoll.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fs/eventfd.h"
#include "tests/unit/wait/fakes.h"

namespace ms::fs {
namespace {

using testing::FakeFile;
using testing::OneShotFile;
using testing::RecordingWaiter;

// One epoll_wait: collects and commits everything.
std::vector<epoll_event> harvest(EpollFile& ep, size_t max = 16) {
  const auto got = ep.collect(max);
  std::vector<epoll_event> out(got.begin(), got.end());
  ep.commit(out.size());
  return out;
}

std::vector<uint64_t> data_of(const std::vector<epoll_event>& events) {
  std::vector<uint64_t> out;
  out.reserve(events.size());
  for (const auto& e : events)
    out.push_back(e.data.u64);
  return out;
}

TEST(Epoll, LevelTriggeredReportsUntilNoLongerReady) {
  EpollFile ep;
  FakeFile f;
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN, 30));
  EXPECT_TRUE(harvest(ep).empty());
  f.set(POLLIN);
  auto got = harvest(ep);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].events, static_cast<uint32_t>(EPOLLIN));
  EXPECT_EQ(got[0].data.u64, 30U);
  EXPECT_EQ(harvest(ep).size(), 1U) << "still readable: reported again";
  f.ready = 0;
  EXPECT_TRUE(harvest(ep).empty());
  EXPECT_TRUE(harvest(ep).empty());
}

TEST(Epoll, EdgeTriggeredReportsOncePerEvent) {
  EpollFile ep;
  FakeFile f;
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN | EPOLLET, 1));
  f.set(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
  EXPECT_TRUE(harvest(ep).empty()) << "still readable, but no new event";
  f.set(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
}

TEST(Epoll, AddReportsAFileThatIsAlreadyReady) {
  EpollFile ep;
  FakeFile f;
  f.ready = POLLOUT;
  ASSERT_TRUE(ep.add(f, 3, EPOLLOUT | EPOLLET, 1));
  EXPECT_EQ(harvest(ep).size(), 1U);
}

TEST(Epoll, OnlyAskedForEventsPlusErrorsAndHangups) {
  EpollFile ep;
  FakeFile f;
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN, 1));
  f.set(POLLOUT);
  EXPECT_TRUE(harvest(ep).empty());
  f.set(POLLOUT | POLLHUP);
  auto got = harvest(ep);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].events, static_cast<uint32_t>(EPOLLHUP));
}

TEST(Epoll, OneShotIsDisabledUntilModified) {
  EpollFile ep;
  FakeFile f;
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN | EPOLLONESHOT, 1));
  f.set(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
  EXPECT_TRUE(harvest(ep).empty());
  f.set(POLLIN);
  EXPECT_TRUE(harvest(ep).empty()) << "disabled: new events are ignored";
  ASSERT_TRUE(ep.modify(f, 3, EPOLLIN | EPOLLONESHOT, 2));
  auto got = harvest(ep);
  ASSERT_EQ(got.size(), 1U) << "rearmed, and the file is ready";
  EXPECT_EQ(got[0].data.u64, 2U);
}

TEST(Epoll, LevelTriggeredItemsTakeTurnsWithSmallBuffers) {
  EpollFile ep;
  FakeFile a, b, c;
  ASSERT_TRUE(ep.add(a, 1, EPOLLIN, 1));
  ASSERT_TRUE(ep.add(b, 2, EPOLLIN, 2));
  ASSERT_TRUE(ep.add(c, 3, EPOLLIN, 3));
  a.set(POLLIN);
  b.set(POLLIN);
  c.set(POLLIN);
  EXPECT_EQ(data_of(harvest(ep, 1)), std::vector<uint64_t>{1});
  EXPECT_EQ(data_of(harvest(ep, 1)), std::vector<uint64_t>{2});
  EXPECT_EQ(data_of(harvest(ep, 2)), (std::vector<uint64_t>{3, 1}));
}

TEST(Epoll, AFailedCopyLosesNoEvent) {
  EpollFile ep;
  FakeFile a, b;
  ASSERT_TRUE(ep.add(a, 1, EPOLLIN | EPOLLET, 1));
  ASSERT_TRUE(ep.add(b, 2, EPOLLIN | EPOLLONESHOT, 2));
  a.set(POLLIN);
  b.set(POLLIN);
  EXPECT_EQ(ep.collect(8).size(), 2U);
  ep.commit(0);  // the guest buffer was not writable
  EXPECT_EQ(ep.collect(8).size(), 2U);
  ep.commit(1);  // only the first fitted
  EXPECT_EQ(data_of(harvest(ep)), std::vector<uint64_t>{2});
}

TEST(Epoll, CtlErrors) {
  EpollFile ep;
  FakeFile f;
  EXPECT_EQ(ep.modify(f, 3, EPOLLIN, 0).error(), Errno{ENOENT});
  EXPECT_EQ(ep.remove(f, 3).error(), Errno{ENOENT});
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN, 0));
  EXPECT_EQ(ep.add(f, 3, EPOLLOUT, 0).error(), Errno{EEXIST});
  ASSERT_TRUE(ep.add(f, 4, EPOLLIN, 0)) << "another descriptor for the same file";
  ASSERT_TRUE(ep.remove(f, 3));
  EXPECT_EQ(ep.size(), 1U);
  FakeFile g;
  ASSERT_TRUE(ep.add(g, 5, EPOLLIN | EPOLLEXCLUSIVE, 0));
  EXPECT_EQ(ep.modify(g, 5, EPOLLIN, 0).error(), Errno{EINVAL});
}

TEST(Epoll, DestroyingTheFileRemovesItsItems) {
  EpollFile ep;
  auto f = std::make_unique<FakeFile>();
  ASSERT_TRUE(ep.add(*f, 3, EPOLLIN, 0));
  ASSERT_TRUE(ep.add(*f, 4, EPOLLIN, 0));
  f->set(POLLIN);
  f.reset();
  EXPECT_EQ(ep.size(), 0U);
  EXPECT_TRUE(harvest(ep).empty());
}

TEST(Epoll, DestroyingTheInstanceLeavesTheFileUsable) {
  FakeFile f;
  {
    EpollFile ep;
    ASSERT_TRUE(ep.add(f, 3, EPOLLIN, 0));
  }
  EXPECT_TRUE(f.epoll_links().empty());
  f.set(POLLIN);
}

TEST(Epoll, WakesTasksInEpollWaitAndPollers) {
  EpollFile ep;
  FakeFile f;
  RecordingWaiter task, poller;
  ep.waiters().add(task);
  ep.wait_queue()->add(poller);
  ASSERT_TRUE(ep.add(f, 3, EPOLLIN, 0));
  EXPECT_EQ(task.count, 0);
  f.set(POLLIN);
  EXPECT_EQ(task.count, 1);
  EXPECT_EQ(poller.count, 1);
  EXPECT_EQ(ep.readiness(), static_cast<uint32_t>(POLLIN | POLLRDNORM));
  f.ready = 0;
  EXPECT_EQ(ep.readiness(), 0U);
}

TEST(Epoll, ExclusiveWakesOneInstanceWithAWaiter) {
  EventFd counter(0, false, 0);
  EpollFile first, second, third;
  RecordingWaiter waiting_on_second, waiting_on_third;
  second.waiters().add(waiting_on_second);
  third.waiters().add(waiting_on_third);
  for (EpollFile* ep : {&first, &second, &third}) {
    ASSERT_TRUE(ep->add(counter, 3, EPOLLIN | EPOLLEXCLUSIVE, 0));
  }
  std::byte one[8] = {std::byte{1}};
  ASSERT_TRUE(counter.write(one));
  // Nobody waits on the first instance: it takes the event but passes the wakeup on; the
  // second has a waiter and keeps it; the third never hears of it.
  EXPECT_EQ(waiting_on_second.count, 1);
  EXPECT_EQ(waiting_on_third.count, 0);
  EXPECT_EQ(harvest(first).size(), 1U);
  EXPECT_EQ(harvest(second).size(), 1U);
  EXPECT_TRUE(harvest(third).empty());
}

TEST(Epoll, NestedInstancesPropagateReadiness) {
  EpollFile outer, inner;
  FakeFile f;
  RecordingWaiter task;
  outer.waiters().add(task);
  ASSERT_TRUE(inner.add(f, 3, EPOLLIN, 7));
  ASSERT_TRUE(outer.add(inner, 4, EPOLLIN, 8));
  EXPECT_TRUE(harvest(outer).empty());
  f.set(POLLIN);
  EXPECT_EQ(task.count, 1);
  auto got = harvest(outer);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].data.u64, 8U);
  EXPECT_EQ(got[0].events, static_cast<uint32_t>(EPOLLIN));
  EXPECT_EQ(data_of(harvest(inner)), std::vector<uint64_t>{7}) << "the inner event is intact";
  f.ready = 0;
  EXPECT_TRUE(harvest(outer).empty());
}

TEST(Epoll, CyclesAreRefused) {
  EpollFile a, b, c;
  ASSERT_TRUE(a.add(b, 1, EPOLLIN, 0));
  ASSERT_TRUE(b.add(c, 2, EPOLLIN, 0));
  EXPECT_EQ(c.add(a, 3, EPOLLIN, 0).error(), Errno{ELOOP});
  EXPECT_EQ(c.add(b, 3, EPOLLIN, 0).error(), Errno{ELOOP});
  EXPECT_EQ(b.add(a, 3, EPOLLIN, 0).error(), Errno{ELOOP});
  EXPECT_EQ(a.add(b, 1, EPOLLIN, 0).error(), Errno{EEXIST});
}

TEST(Epoll, NestingDepthIsLimited) {
  // A chain e[0] <- e[1] <- ... : each instance watches the previous one.
  std::vector<std::unique_ptr<EpollFile>> e;
  e.reserve(8);
  for (int i = 0; i < 8; ++i)
    e.push_back(std::make_unique<EpollFile>());
  int ok = 0;
  for (int i = 1; i < 8; ++i) {
    if (!e[static_cast<size_t>(i)]->add(*e[static_cast<size_t>(i - 1)], i, EPOLLIN, 0)) break;
    ++ok;
  }
  // A chain of at most five instances: four links.
  EXPECT_EQ(ok, 4);
}

TEST(Epoll, NestingDepthCountsLevelsAboveToo) {
  EpollFile top, middle, bottom, a, b;
  ASSERT_TRUE(top.add(middle, 1, EPOLLIN, 0));
  ASSERT_TRUE(middle.add(bottom, 2, EPOLLIN, 0));
  ASSERT_TRUE(a.add(b, 3, EPOLLIN, 0));
  // top <- middle <- bottom <- a <- b would be five instances: allowed; one more is not.
  ASSERT_TRUE(bottom.add(a, 4, EPOLLIN, 0));
  EpollFile c;
  EXPECT_EQ(b.add(c, 5, EPOLLIN, 0).error(), Errno{ELOOP});
}

TEST(Epoll, WakeupPathsFromAFileAreLimited) {
  // One file watched through many two-level paths: at most 500 paths of length 2.
  FakeFile f;
  std::vector<std::unique_ptr<EpollFile>> inner, outer;
  int accepted = 0;
  for (int i = 0; i < 600; ++i) {
    inner.push_back(std::make_unique<EpollFile>());
    outer.push_back(std::make_unique<EpollFile>());
    ASSERT_TRUE(outer.back()->add(*inner.back(), 1, EPOLLIN, 0));
    if (inner.back()->add(f, 2, EPOLLIN, 0)) ++accepted;
  }
  EXPECT_EQ(accepted, 500);
}

TEST(Epoll, RearmsAOneShotQueueOnceTheFileIsDrained) {
  EpollFile ep;
  OneShotFile f;
  ASSERT_TRUE(ep.add(f, 0, EPOLLIN, 1));
  EXPECT_EQ(f.arms, 1);
  f.arrive(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
  EXPECT_EQ(harvest(ep).size(), 1U) << "level-triggered: still readable";
  EXPECT_EQ(f.arms, 1) << "not rearmed while the file is still ready";
  f.ready = 0;  // the guest read everything
  EXPECT_TRUE(harvest(ep).empty());
  EXPECT_EQ(f.arms, 2);
  f.arrive(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U) << "the new data is seen";
}

TEST(Epoll, EdgeTriggeredOnAOneShotQueueStaysEdgeTriggered) {
  EpollFile ep;
  OneShotFile f;
  ASSERT_TRUE(ep.add(f, 0, EPOLLIN | EPOLLET, 1));
  f.arrive(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
  EXPECT_TRUE(harvest(ep).empty()) << "unread data is not a new edge";
  EXPECT_FALSE(f.armed);
  f.ready = 0;
  EXPECT_TRUE(harvest(ep).empty());
  EXPECT_TRUE(f.armed) << "drained: watching for the next edge";
  f.arrive(POLLIN);
  EXPECT_EQ(harvest(ep).size(), 1U);
}

TEST(Epoll, PollingTheInstanceRearmsToo) {
  EpollFile ep;
  OneShotFile f;
  ASSERT_TRUE(ep.add(f, 0, EPOLLIN, 1));
  f.arrive(POLLIN);
  f.ready = 0;
  EXPECT_EQ(ep.readiness(), 0U);
  EXPECT_TRUE(f.armed);
}

}  // namespace
}  // namespace ms::fs
