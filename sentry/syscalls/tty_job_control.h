// The terminal's job-control ioctls (TIOCGPGRP, TIOCSPGRP, TIOCSCTTY, TIOCNOTTY, TIOCGSID):
// the guest's host terminal passes its line discipline through, but which guest process
// group owns it is the sentry's business.
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "sentry/syscalls/syscall_table.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

// nullopt when `request` is not a job-control request.
std::optional<SysRet> tty_job_control(kernel::Task& t, uint32_t request, uint64_t arg);

// Linux's tty_check_change, before a read (SIGTTIN) or a TOSTOP write (SIGTTOU) of the
// terminal: a process of its session outside the foreground process group stops its group
// instead (the signal is sent, ERESTARTSYS: the call runs again after SIGCONT). With the
// signal ignored or blocked a read is EIO and a write goes on; an orphaned group, which
// nobody could continue, gets EIO.
Result<void> tty_background_check(kernel::Task& t, int sig);
// Whether t's process is in its terminal's session but not in the foreground group: the
// cheap part of the check, before the host is asked for the terminal's TOSTOP.
bool in_tty_background(kernel::Task& t);

}  // namespace ms::sys
