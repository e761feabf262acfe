#include "sentry/kernel/host_poller.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "base/unique_fd.h"

namespace ms::kernel {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// What the event loop does: one epoll_wait (no blocking), each event handed to dispatch.
// Returns the fds epoll reported.
std::vector<int> poll_once(HostPoller& poller) {
  epoll_event events[8];
  const int n = epoll_wait(poller.epoll_fd(), events, 8, 0);
  EXPECT_GE(n, 0);
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    fds.push_back(events[i].data.fd);
    EXPECT_TRUE(poller.dispatch(events[i].data.fd, events[i].events));
  }
  return fds;
}

struct Calls {
  std::vector<uint32_t> events;
  HostPoller::Callback callback() {
    return [this](uint32_t e) { events.push_back(e); };
  }
};

TEST(HostPoller, HasAnEpollFd) {
  HostPoller poller;
  EXPECT_GE(poller.epoll_fd(), 0);
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, FiresOnceWhenReadable) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls calls;
  poller.arm(p.read.get(), EPOLLIN, calls.callback());
  EXPECT_EQ(poller.armed(), 1u);
  EXPECT_TRUE(poll_once(poller).empty());  // nothing written yet
  EXPECT_TRUE(calls.events.empty());

  ASSERT_EQ(write(p.write.get(), "x", 1), 1);
  EXPECT_EQ(poll_once(poller), std::vector<int>{p.read.get()});
  ASSERT_EQ(calls.events.size(), 1u);
  EXPECT_NE(calls.events[0] & EPOLLIN, 0u);
  EXPECT_EQ(poller.armed(), 0u);

  // One-shot: the byte is still there, but nobody asked again.
  EXPECT_TRUE(poll_once(poller).empty());
  EXPECT_EQ(calls.events.size(), 1u);
  // A stale event (one already in flight) is refused rather than run twice.
  EXPECT_FALSE(poller.dispatch(p.read.get(), EPOLLIN));
  EXPECT_EQ(calls.events.size(), 1u);
}

TEST(HostPoller, RearmAfterFiringFiresAgain) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls calls;
  ASSERT_EQ(write(p.write.get(), "x", 1), 1);
  poller.arm(p.read.get(), EPOLLIN, calls.callback());
  poll_once(poller);
  ASSERT_EQ(calls.events.size(), 1u);
  poller.arm(p.read.get(), EPOLLIN, calls.callback());
  EXPECT_EQ(poller.armed(), 1u);
  EXPECT_EQ(poll_once(poller), std::vector<int>{p.read.get()});
  EXPECT_EQ(calls.events.size(), 2u);
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, ArmingTwiceReplacesTheRegistration) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls first, second;
  poller.arm(p.read.get(), EPOLLIN, first.callback());
  poller.arm(p.read.get(), EPOLLIN, second.callback());
  EXPECT_EQ(poller.armed(), 1u);
  ASSERT_EQ(write(p.write.get(), "x", 1), 1);
  EXPECT_EQ(poll_once(poller).size(), 1u);
  EXPECT_TRUE(first.events.empty());
  EXPECT_EQ(second.events.size(), 1u);
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, RearmingChangesTheEvents) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls calls;
  // A pipe's write end is writable at once, never readable.
  poller.arm(p.write.get(), EPOLLIN, calls.callback());
  EXPECT_TRUE(poll_once(poller).empty());
  poller.arm(p.write.get(), EPOLLOUT, calls.callback());
  EXPECT_EQ(poll_once(poller), std::vector<int>{p.write.get()});
  ASSERT_EQ(calls.events.size(), 1u);
  EXPECT_NE(calls.events[0] & EPOLLOUT, 0u);
}

TEST(HostPoller, DisarmStopsTheCallback) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls calls;
  poller.arm(p.read.get(), EPOLLIN, calls.callback());
  poller.disarm(p.read.get());
  EXPECT_EQ(poller.armed(), 0u);
  ASSERT_EQ(write(p.write.get(), "x", 1), 1);
  EXPECT_TRUE(poll_once(poller).empty());
  EXPECT_FALSE(poller.dispatch(p.read.get(), EPOLLIN));
  EXPECT_TRUE(calls.events.empty());
  // Disarming again, or an fd never armed, is harmless.
  poller.disarm(p.read.get());
  poller.disarm(p.write.get());
  EXPECT_EQ(poller.armed(), 0u);
  // Arming after a disarm registers the fd afresh.
  poller.arm(p.read.get(), EPOLLIN, calls.callback());
  EXPECT_EQ(poll_once(poller), std::vector<int>{p.read.get()});
  EXPECT_EQ(calls.events.size(), 1u);
}

TEST(HostPoller, DisarmAfterFiringDoesNotUnderflowTheCount) {
  HostPoller poller;
  Pipe a = make_pipe();
  Pipe b = make_pipe();
  Calls calls;
  ASSERT_EQ(write(a.write.get(), "x", 1), 1);
  poller.arm(a.read.get(), EPOLLIN, calls.callback());
  poller.arm(b.read.get(), EPOLLIN, calls.callback());
  EXPECT_EQ(poller.armed(), 2u);
  poll_once(poller);  // a fires
  EXPECT_EQ(poller.armed(), 1u);
  poller.disarm(a.read.get());  // registered but no longer armed
  EXPECT_EQ(poller.armed(), 1u);
  poller.disarm(b.read.get());
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, HangUpIsReportedEvenIfNotAskedFor) {
  HostPoller poller;
  Pipe p = make_pipe();
  Calls calls;
  poller.arm(p.read.get(), EPOLLOUT, calls.callback());  // never true for a read end
  EXPECT_TRUE(poll_once(poller).empty());
  p.write.reset();
  EXPECT_EQ(poll_once(poller), std::vector<int>{p.read.get()});
  ASSERT_EQ(calls.events.size(), 1u);
  EXPECT_NE(calls.events[0] & EPOLLHUP, 0u);
}

TEST(HostPoller, DispatchOfAnUnknownFdIsRefused) {
  HostPoller poller;
  EXPECT_FALSE(poller.dispatch(12345, EPOLLIN));
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, RegularFileIsAlwaysReadyAtOnce) {
  HostPoller poller;
  char path[] = "/tmp/ms_host_poller_XXXXXX";
  UniqueFd file(mkstemp(path));
  ASSERT_GE(file.get(), 0);
  unlink(path);
  Calls calls;
  // epoll refuses regular files (EPERM): the callback runs right away with what was asked.
  poller.arm(file.get(), EPOLLIN | EPOLLOUT, calls.callback());
  EXPECT_EQ(calls.events, std::vector<uint32_t>{EPOLLIN | EPOLLOUT});
  EXPECT_EQ(poller.armed(), 0u);
  EXPECT_TRUE(poll_once(poller).empty());
  // And again on every arm: nothing is left registered that would block a later arm.
  poller.arm(file.get(), EPOLLIN, calls.callback());
  EXPECT_EQ(calls.events.size(), 2u);
  poller.disarm(file.get());
  EXPECT_EQ(poller.armed(), 0u);
}

TEST(HostPoller, IndependentFdsFireIndependently) {
  HostPoller poller;
  Pipe a = make_pipe();
  Pipe b = make_pipe();
  Calls ca, cb;
  poller.arm(a.read.get(), EPOLLIN, ca.callback());
  poller.arm(b.read.get(), EPOLLIN, cb.callback());
  ASSERT_EQ(write(b.write.get(), "x", 1), 1);
  EXPECT_EQ(poll_once(poller), std::vector<int>{b.read.get()});
  EXPECT_TRUE(ca.events.empty());
  EXPECT_EQ(cb.events.size(), 1u);
  EXPECT_EQ(poller.armed(), 1u);
}

TEST(HostPoller, CallbackMayRearmItsOwnFd) {
  // What HostFile does when a woken waiter waits again straight away.
  HostPoller poller;
  Pipe p = make_pipe();
  int fired = 0;
  HostPoller::Callback again = [&](uint32_t) {
    if (++fired < 3) poller.arm(p.read.get(), EPOLLIN, again);
  };
  poller.arm(p.read.get(), EPOLLIN, again);
  ASSERT_EQ(write(p.write.get(), "x", 1), 1);
  poll_once(poller);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(poller.armed(), 1u);
  poll_once(poller);
  poll_once(poller);
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(poller.armed(), 0u);
}

}  // namespace
}  // namespace ms::kernel
