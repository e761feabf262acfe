// For tests of files that wait through the host poller: a waiter that records what it was
// told, and the event loop's part of polling.
#pragma once

#include <gtest/gtest.h>
#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include "sentry/kernel/host_poller.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::kernel::testing {

struct RecordingWaiter final : Waiter {
  std::vector<uint32_t> events;
  void notify(uint32_t e) override { events.push_back(e); }
};

// One non-blocking epoll_wait, each event dispatched, as the event loop does.
inline void poll_once(HostPoller& poller) {
  epoll_event events[8];
  const int n = epoll_wait(poller.epoll_fd(), events, 8, 0);
  ASSERT_GE(n, 0);
  for (int i = 0; i < n; ++i)
    poller.dispatch(events[i].data.fd, events[i].events);
}

}  // namespace ms::kernel::testing
