// Process and thread identity and ending: exit(2), exit_group(2), getpid(2), gettid(2),
// getppid(2), set_tid_address(2), set_robust_list(2).
#include <linux/futex.h>
#include <sys/wait.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {

SysRet sys_exit(kernel::Task& t, const SyscallArgs& a) {
  t.kernel().exit_task(t, static_cast<int>(a[0] & 0xff));
  return 0;
}

SysRet sys_exit_group(kernel::Task& t, const SyscallArgs& a) {
  t.kernel().exit_thread_group(t.thread_group(), W_EXITCODE(static_cast<int>(a[0] & 0xff), 0));
  return 0;
}

SysRet sys_getpid(kernel::Task& t, const SyscallArgs& /*a*/) { return t.pid(); }

SysRet sys_gettid(kernel::Task& t, const SyscallArgs& /*a*/) { return t.tid(); }

SysRet sys_getppid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.thread_group().parent_tgid();
}

SysRet sys_set_tid_address(kernel::Task& t, const SyscallArgs& a) {
  t.clear_child_tid = a[0];
  return t.tid();
}

SysRet sys_set_robust_list(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] != sizeof(robust_list_head)) return fail(EINVAL);
  t.robust_list_head = a[0];
  t.robust_list_len = a[1];
  return 0;
}

}  // namespace ms::sys
