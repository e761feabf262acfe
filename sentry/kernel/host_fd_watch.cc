#include "sentry/kernel/host_fd_watch.h"

#include <poll.h>
#include <sys/epoll.h>

namespace ms::kernel {

void HostFdWatch::want(uint32_t events) {
  // Poll bits and epoll bits have the same values.
  if ((events & (POLLRDNORM | POLLRDBAND)) != 0) events |= EPOLLIN;
  if ((events & (POLLWRNORM | POLLWRBAND)) != 0) events |= EPOLLOUT;
  armed_ |= events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP);
  arm();
}

void HostFdWatch::rearm_if_waited(uint32_t events) {
  if (!queue_.empty()) want(events);
}

void HostFdWatch::arm() {
  poller_.arm(fd_, armed_, [this](uint32_t ready) {
    armed_ &= ~ready;
    if ((ready & (EPOLLERR | EPOLLHUP)) != 0) armed_ = 0;
    if (armed_ != 0) arm();
    queue_.notify(ready);
  });
}

}  // namespace ms::kernel
