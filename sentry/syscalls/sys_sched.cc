// Scheduling: sched_yield(2), sched_getaffinity(2), sched_setaffinity(2), sched_getparam(2),
// sched_setparam(2), sched_getscheduler(2), sched_setscheduler(2),
// sched_get_priority_max(2), sched_get_priority_min(2), sched_rr_get_interval(2),
// getpriority(2), setpriority(2), getcpu(2). The host schedules guest threads; the sentry
// keeps what guests set and refuses what it cannot honour.
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

// The CPUs the host lets minisentry use, as the kernel's cpumask: whole longs.
std::vector<uint64_t> host_cpus() {
  cpu_set_t set{};
  sched_getaffinity(0, sizeof(set), &set);
  int last = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) last = cpu;
  }
  std::vector<uint64_t> mask(static_cast<size_t>(last / 64 + 1));
  for (int cpu = 0; cpu <= last; ++cpu) {
    if (CPU_ISSET(cpu, &set)) mask[static_cast<size_t>(cpu / 64)] |= 1ULL << (cpu % 64);
  }
  return mask;
}

Result<kernel::Task*> task_or_self(kernel::Task& t, int pid) {
  if (pid < 0) return fail(EINVAL);
  if (pid == 0) return &t;
  kernel::Task* target = t.kernel().find_task(pid);
  if (target == nullptr || target->state() == kernel::Task::State::kDead) return fail(ESRCH);
  return target;
}

}  // namespace

SysRet sys_sched_yield(kernel::Task& /*t*/, const SyscallArgs& /*a*/) {
  return 0;
}

SysRet sys_sched_getaffinity(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t len = a[1];
  const std::vector<uint64_t> host = host_cpus();
  const uint64_t mask_size = host.size() * sizeof(uint64_t);
  if (len < mask_size || (len & (sizeof(uint64_t) - 1)) != 0) return fail(EINVAL);
  kernel::Task* target = TRY(task_or_self(t, static_cast<int>(a[0])));
  const std::vector<uint64_t>& mask = target->cpu_affinity.empty() ? host : target->cpu_affinity;
  TRY(t.mm().copy_out(a[2], std::as_bytes(std::span(mask))));
  return mask_size;
}

SysRet sys_sched_setaffinity(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t len = std::min<uint64_t>(a[1], 1024);
  std::vector<uint64_t> wanted((len + 7) / 8);
  TRY(t.mm().copy_in(a[2], std::as_writable_bytes(std::span(wanted)).first(len)));
  kernel::Task* target = TRY(task_or_self(t, static_cast<int>(a[0])));
  std::vector<uint64_t> allowed = host_cpus();
  bool any = false;
  for (size_t i = 0; i < allowed.size(); ++i) {
    allowed[i] &= i < wanted.size() ? wanted[i] : 0;
    any |= allowed[i] != 0;
  }
  if (!any) return fail(EINVAL);
  target->cpu_affinity = std::move(allowed);
  return 0;
}

SysRet sys_sched_getscheduler(kernel::Task& t, const SyscallArgs& a) {
  TRY(task_or_self(t, static_cast<int>(a[0])));
  return SCHED_OTHER;
}

SysRet sys_sched_setscheduler(kernel::Task& t, const SyscallArgs& a) {
  const int policy = static_cast<int>(a[1]);
  if (a[2] == 0) return fail(EINVAL);
  const sched_param param = TRY(t.mm().read(mm::GuestPtr<sched_param>(a[2])));
  TRY(task_or_self(t, static_cast<int>(a[0])));
  switch (policy & ~SCHED_RESET_ON_FORK) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
      return param.sched_priority == 0 ? SysRet(0) : fail(EINVAL);
    case SCHED_FIFO:
    case SCHED_RR:
      if (param.sched_priority < 1 || param.sched_priority > 99) return fail(EINVAL);
      return fail(EPERM);  // real-time scheduling is not granted inside the sandbox
    default:
      return fail(EINVAL);
  }
}

SysRet sys_sched_getparam(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] == 0) return fail(EINVAL);
  TRY(task_or_self(t, static_cast<int>(a[0])));
  TRY(t.mm().write(mm::GuestPtr<sched_param>(a[1]), sched_param{0}));
  return 0;
}

SysRet sys_sched_setparam(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] == 0) return fail(EINVAL);
  const sched_param param = TRY(t.mm().read(mm::GuestPtr<sched_param>(a[1])));
  TRY(task_or_self(t, static_cast<int>(a[0])));
  return param.sched_priority == 0 ? SysRet(0) : fail(EINVAL);
}

SysRet sys_sched_get_priority_max(kernel::Task& /*t*/, const SyscallArgs& a) {
  switch (static_cast<int>(a[0])) {
    case SCHED_FIFO:
    case SCHED_RR:
      return 99;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_DEADLINE:
      return 0;
    default:
      return fail(EINVAL);
  }
}

SysRet sys_sched_get_priority_min(kernel::Task& /*t*/, const SyscallArgs& a) {
  switch (static_cast<int>(a[0])) {
    case SCHED_FIFO:
    case SCHED_RR:
      return 1;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_DEADLINE:
      return 0;
    default:
      return fail(EINVAL);
  }
}

SysRet sys_sched_rr_get_interval(kernel::Task& t, const SyscallArgs& a) {
  TRY(task_or_self(t, static_cast<int>(a[0])));
  // SCHED_OTHER threads report 0: no fixed round-robin slice.
  TRY(t.mm().write(mm::GuestPtr<timespec>(a[1]), timespec{0, 0}));
  return 0;
}

SysRet sys_getpriority(kernel::Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a[0]);
  const int who = static_cast<int>(a[1]);
  int best = -1;
  for (kernel::ThreadGroup* g : t.kernel().processes()) {
    if (g->zombie()) continue;
    bool match = false;
    switch (which) {
      case PRIO_PROCESS:
        match = g->tgid() == (who == 0 ? t.pid() : who);
        break;
      case PRIO_PGRP:
        match = g->pgid() == (who == 0 ? t.thread_group().pgid() : who);
        break;
      case PRIO_USER:
        match =
            g->creds().ruid == (who == 0 ? t.thread_group().creds().ruid : static_cast<uid_t>(who));
        break;
      default:
        return fail(EINVAL);
    }
    if (match) best = std::max(best, 20 - g->nice);
  }
  if (best < 0) return fail(ESRCH);
  return static_cast<uint64_t>(best);
}

SysRet sys_setpriority(kernel::Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a[0]);
  const int who = static_cast<int>(a[1]);
  const int nice = std::clamp(static_cast<int>(a[2]), -20, 19);
  if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER) return fail(EINVAL);
  bool found = false;
  const kernel::Credentials& me = t.thread_group().creds();
  for (kernel::ThreadGroup* g : t.kernel().processes()) {
    if (g->zombie()) continue;
    const bool match =
        (which == PRIO_PROCESS && g->tgid() == (who == 0 ? t.pid() : who)) ||
        (which == PRIO_PGRP && g->pgid() == (who == 0 ? t.thread_group().pgid() : who)) ||
        (which == PRIO_USER && g->creds().ruid == (who == 0 ? me.ruid : static_cast<uid_t>(who)));
    if (!match) continue;
    found = true;
    if (me.euid != 0 && me.euid != g->creds().euid && me.euid != g->creds().ruid) {
      return fail(EPERM);
    }
    if (nice < g->nice && me.euid != 0) return fail(EACCES);
    g->nice = nice;
  }
  return found ? SysRet(0) : fail(ESRCH);
}

SysRet sys_getcpu(kernel::Task& t, const SyscallArgs& a) {
  // Where the host last ran this thread: real, if not very meaningful.
  const unsigned cpu = t.thread().last_cpu();
  if (a[0] != 0) TRY(t.mm().write(mm::GuestPtr<unsigned>(a[0]), cpu));
  if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<unsigned>(a[1]), 0U));
  return 0;
}

}  // namespace ms::sys
