// The signal mask a wait runs with: ppoll(2), pselect6(2), epoll_pwait(2) and
// epoll_pwait2(2) swap it in atomically for the duration of the wait (Linux's
// set_user_sigmask() and restore_saved_sigmask_unless()).
#pragma once

#include <cstdint>

#include "sentry/syscalls/syscall_table.h"

namespace ms::sys {

// Installs the mask at guest address `mask` (nothing when 0) and keeps the caller's in
// t.saved_mask. EINVAL unless size is 8, EFAULT for an unreadable mask. Call it on the
// syscall's first run only: reruns after a wakeup keep the swapped mask.
Result<void> set_wait_sigmask(kernel::Task& t, uint64_t mask, uint64_t size);

// The wait is over. When a signal interrupted it (`interrupted`), the kernel restores the
// caller's mask after setting up the handler, which thus runs with the wait's mask saved in
// its frame; otherwise the caller's mask comes back now, so that a signal it blocks is not
// delivered on the way out. A parked wait (EPARKED) keeps the swapped mask.
SysRet finish_wait_sigmask(kernel::Task& t, SysRet result, bool interrupted);

}  // namespace ms::sys
