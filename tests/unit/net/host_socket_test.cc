// A host socket (--net=host) wakes its waiters through the sentry's one-shot host poller.
#include "net/host_socket.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "sentry/kernel/host_poller.h"
#include "tests/unit/kernel/host_poll_util.h"

namespace ms::net {
namespace {

using kernel::testing::poll_once;
using kernel::testing::RecordingWaiter;

TEST(HostSocket, AReaderStillWakesAfterAWritersEventFired) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd peer(fds[1]);
  kernel::HostPoller poller;
  HostSocket sock(UniqueFd(fds[0]), poller, AF_UNIX, SOCK_STREAM, 0, 0);
  RecordingWaiter reader;
  RecordingWaiter writer;
  reader.set_mask(POLLIN);
  writer.set_mask(POLLOUT);
  sock.wait_queue()->add(reader);
  sock.wait_queue()->add(writer);

  poll_once(poller);  // writable at once: the writer's interest fires
  ASSERT_FALSE(writer.events.empty());
  EXPECT_TRUE(reader.events.empty());

  ASSERT_EQ(write(peer.get(), "x", 1), 1);
  poll_once(poller);  // the reader's interest was registered again and fires now
  ASSERT_FALSE(reader.events.empty());
  EXPECT_NE(reader.events.back() & POLLIN, 0u);
  reader.unlink();
  writer.unlink();
}

}  // namespace
}  // namespace ms::net
