// Readiness of host fds (stdio, host sockets) for the event loop: one-shot registrations
// on an epoll instance, so that the loop only pays for epoll while somebody waits.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "base/unique_fd.h"

namespace ms::kernel {

class HostPoller {
 public:
  using Callback = std::function<void(uint32_t events)>;

  HostPoller();
  // Calls `ready` once, from the event loop, when fd reports one of events (EPOLLIN,
  // EPOLLOUT...; errors and hang-ups are always reported). Arming again replaces the
  // previous registration.
  void arm(int fd, uint32_t events, Callback ready);
  void disarm(int fd);
  // Registrations waiting to fire.
  size_t armed() const { return armed_; }
  int epoll_fd() const { return epoll_.get(); }
  // Runs the callback for one epoll event; false if the event is not one of ours.
  bool dispatch(int fd, uint32_t events);

 private:
  struct Entry {
    Callback ready;
    bool armed = false;
    bool registered = false;
  };
  UniqueFd epoll_;
  std::unordered_map<int, Entry> entries_;
  size_t armed_ = 0;
};

}  // namespace ms::kernel
