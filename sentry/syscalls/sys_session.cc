// Process groups and sessions: setpgid(2), getpgid(2), getpgrp(2), setsid(2), getsid(2).
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::ThreadGroup;

Result<ThreadGroup*> process_or_self(kernel::Task& t, int pid) {
  if (pid == 0) return &t.thread_group();
  ThreadGroup* g = t.kernel().find_process(pid);
  if (g == nullptr) return fail(ESRCH);
  return g;
}

}  // namespace

SysRet sys_setpgid(kernel::Task& t, const SyscallArgs& a) {
  ThreadGroup& me = t.thread_group();
  const int pid = static_cast<int>(a[0]) == 0 ? me.tgid() : static_cast<int>(a[0]);
  int pgid = static_cast<int>(a[1]);
  if (pgid == 0) pgid = pid;
  if (pgid < 0) return fail(EINVAL);
  ThreadGroup* target = t.kernel().find_process(pid);
  if (target == nullptr || target->zombie()) return fail(ESRCH);
  // Only the caller itself or one of its children.
  if (target != &me) {
    if (target->parent() != &me) return fail(ESRCH);
    if (target->sid() != me.sid()) return fail(EPERM);
    if (target->did_exec) return fail(EACCES);
  }
  if (target->sid() == target->tgid()) return fail(EPERM);  // a session leader
  if (pgid != target->tgid()) {
    bool exists = false;
    for (ThreadGroup* g : t.kernel().processes()) {
      if (g->pgid() == pgid && g->sid() == me.sid() && !g->zombie()) exists = true;
    }
    if (!exists) return fail(EPERM);
  }
  target->set_pgid(pgid);
  return 0;
}

SysRet sys_getpgid(kernel::Task& t, const SyscallArgs& a) {
  ThreadGroup* g = TRY(process_or_self(t, static_cast<int>(a[0])));
  return static_cast<uint64_t>(g->pgid());
}

SysRet sys_getpgrp(kernel::Task& t, const SyscallArgs& /*a*/) {
  return static_cast<uint64_t>(t.thread_group().pgid());
}

SysRet sys_setsid(kernel::Task& t, const SyscallArgs& /*a*/) {
  ThreadGroup& me = t.thread_group();
  // A process group leader cannot start a session: some process may share its group.
  for (ThreadGroup* g : t.kernel().processes()) {
    if (g->pgid() == me.tgid() && !g->zombie()) return fail(EPERM);
  }
  me.set_sid(me.tgid());
  me.set_pgid(me.tgid());
  return static_cast<uint64_t>(me.sid());
}

SysRet sys_getsid(kernel::Task& t, const SyscallArgs& a) {
  ThreadGroup* g = TRY(process_or_self(t, static_cast<int>(a[0])));
  return static_cast<uint64_t>(g->sid());
}

}  // namespace ms::sys
