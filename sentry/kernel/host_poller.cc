#include "sentry/kernel/host_poller.h"

#include <sys/epoll.h>

namespace ms::kernel {

HostPoller::HostPoller() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {}

void HostPoller::arm(int fd, uint32_t events, Callback ready) {
  Entry& e = entries_[fd];
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.fd = fd;
  const int op = e.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_.get(), op, fd, &ev) != 0) {
    // A regular file cannot be polled: it is always ready.
    ready(events);
    return;
  }
  e.registered = true;
  e.ready = std::move(ready);
  if (!e.armed) ++armed_;
  e.armed = true;
}

void HostPoller::disarm(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  if (it->second.registered) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  if (it->second.armed) --armed_;
  entries_.erase(it);
}

bool HostPoller::dispatch(int fd, uint32_t events) {
  auto it = entries_.find(fd);
  if (it == entries_.end() || !it->second.armed) return false;
  it->second.armed = false;
  --armed_;
  Callback ready = it->second.ready;
  ready(events);
  return true;
}

}  // namespace ms::kernel
