// Timeouts of the syscalls that wait on files (poll, select, epoll and their variants):
// reading them from the guest and running them as the syscall's deadline.
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "sentry/kernel/clock.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

// A struct timespec timeout (ppoll, pselect6, epoll_pwait2): nullopt for a NULL pointer
// (wait forever), EFAULT when unreadable, EINVAL when negative or tv_nsec is out of range
// (Linux's poll_select_set_timeout()).
Result<std::optional<kernel::Duration>> read_timespec_timeout(kernel::Task& t, uint64_t addr);

// Sets the syscall's deadline `timeout` from now (saturating at KTIME_MAX, as Linux does for
// absurd timeouts); none for nullopt. Later runs of the same syscall keep the first one.
void start_deadline(kernel::Task& t, std::optional<kernel::Duration> timeout);

// Time left until the syscall's deadline, zero once it has passed.
kernel::Duration time_left(kernel::Task& t);

}  // namespace ms::sys
