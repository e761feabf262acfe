// Credentials: getuid(2), geteuid(2), getgid(2), getegid(2).
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {

SysRet sys_getuid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.thread_group().creds().ruid;
}
SysRet sys_geteuid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.thread_group().creds().euid;
}
SysRet sys_getgid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.thread_group().creds().rgid;
}
SysRet sys_getegid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.thread_group().creds().egid;
}

}  // namespace ms::sys
