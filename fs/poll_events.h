// What poll, select and epoll see of a file (Linux's vfs_poll()): its readiness, or
// DEFAULT_POLLMASK for a file that cannot be polled (a regular file is always ready).
#pragma once

#include <poll.h>

#include <cstdint>

#include "fs/file_description.h"

namespace ms::fs {

inline constexpr uint32_t kDefaultPollMask = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

inline uint32_t poll_events(FileDescription& file) {
  return file.pollable() ? file.readiness() : kDefaultPollMask;
}

}  // namespace ms::fs
