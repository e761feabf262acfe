// The terminal's job-control ioctls (TIOCGPGRP, TIOCSPGRP, TIOCSCTTY, TIOCNOTTY, TIOCGSID):
// the guest's host terminal passes its line discipline through, but which guest process
// group owns it is the sentry's business.
#pragma once

#include <cstdint>
#include <optional>

#include "sentry/syscalls/syscall_table.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

// nullopt when `request` is not a job-control request.
std::optional<SysRet> tty_job_control(kernel::Task& t, uint32_t request, uint64_t arg);

}  // namespace ms::sys
