// Guest stdio on a host pipe: an epoll-style waiter that stays on the file's queue hears of
// every new arrival, as long as the guest reads until EAGAIN (edge-triggered use).
#include "fs/host_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <vector>

#include "sentry/kernel/host_poller.h"
#include "tests/unit/kernel/host_poll_util.h"

namespace ms::fs {
namespace {

using kernel::testing::poll_once;
using kernel::testing::RecordingWaiter;

TEST(HostFile, AWaiterThatStaysHearsEachArrivalAfterEagain) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  kernel::HostPoller poller;
  auto file = HostFile::from_stdio(p[0], poller);
  ASSERT_TRUE(file);
  RecordingWaiter waiter;
  waiter.set_mask(POLLIN);
  file->wait_queue()->add(waiter);

  std::byte buf[16];
  ASSERT_EQ(write(p[1], "a", 1), 1);
  poll_once(poller);
  ASSERT_EQ(waiter.events.size(), 1u);
  ASSERT_TRUE(file->read(buf));
  auto again = file->read(buf);  // drained: EAGAIN, and the waiter is still there
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), Errno{EAGAIN});

  ASSERT_EQ(write(p[1], "b", 1), 1);
  poll_once(poller);
  EXPECT_EQ(waiter.events.size(), 2u);
  waiter.unlink();
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace ms::fs
