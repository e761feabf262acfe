// Readiness of one host fd (guest stdio, --net=host sockets) for the waiters of a wait queue.
// The host poller's registrations fire once; this keeps armed what waiters still want: new
// waiters add their events, and interests that did not fire stay registered when others
// did (a reader's while a writer's event fired).
#pragma once

#include <cstdint>

#include "sentry/kernel/host_poller.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::kernel {

class HostFdWatch {
 public:
  HostFdWatch(HostPoller& poller, int fd, WaitQueue& queue)
      : poller_(poller), fd_(fd), queue_(queue) {}
  ~HostFdWatch() { poller_.disarm(fd_); }
  HostFdWatch(const HostFdWatch&) = delete;
  HostFdWatch& operator=(const HostFdWatch&) = delete;

  // A waiter wants `events` (poll bits; the NORM/BAND variants count as IN and OUT).
  void want(uint32_t events);
  // An operation found nothing to do (EAGAIN): waiters that stay on the queue (epoll) want
  // the next such event.
  void rearm_if_waited(uint32_t events);

 private:
  void arm();

  HostPoller& poller_;
  int fd_;
  WaitQueue& queue_;
  uint32_t armed_ = 0;  // EPOLL* bits registered and not yet fired
};

}  // namespace ms::kernel
