// Signals: dispositions and masks (rt_sigaction(2), rt_sigprocmask(2), sigaltstack(2)),
// sending (kill(2), tkill(2), tgkill(2), rt_sigqueueinfo(2), rt_tgsigqueueinfo(2)),
// waiting (rt_sigpending(2), rt_sigsuspend(2), rt_sigtimedwait(2), pause(2)) and
// rt_sigreturn(2).
#include <signal.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::kUnblockable;
using kernel::SigSet;
using kernel::ThreadGroup;
bool valid_signal(uint64_t sig) {
  return sig <= static_cast<uint64_t>(kernel::kNumSignals);
}

// kill_ok_by_cred(): the sender's real or effective uid matches the target's real or saved
// uid, or the sender is privileged. SIGCONT within a session is always allowed.
bool may_signal(kernel::Task& sender, ThreadGroup& target, int sig) {
  const kernel::Credentials& s = sender.thread_group().creds();
  const kernel::Credentials& d = target.creds();
  if (s.euid == 0) return true;
  if (s.euid == d.suid || s.euid == d.ruid || s.ruid == d.suid || s.ruid == d.ruid) return true;
  return sig == SIGCONT && sender.thread_group().sid() == target.sid();
}

// Sends to one process after the permission check; sig 0 only checks.
Result<void> signal_process(kernel::Task& t, ThreadGroup& target, const siginfo_t& info) {
  if (!may_signal(t, target, info.si_signo)) return fail(EPERM);
  if (info.si_signo != 0) t.kernel().send_signal(target, info);
  return {};
}

// kill(2)'s targets other than a single pid: all processes (-1) or a process group.
SysRet signal_many(kernel::Task& t, int pgid, const siginfo_t& info) {
  bool found = false;
  bool permitted = false;
  for (ThreadGroup* g : t.kernel().processes()) {
    if (g->zombie()) continue;
    if (pgid == -1) {
      if (g->tgid() == 1 || g == &t.thread_group()) continue;
    } else if (g->pgid() != pgid) {
      continue;
    }
    found = true;
    if (signal_process(t, *g, info)) permitted = true;
  }
  if (!found) return fail(ESRCH);
  if (!permitted) return fail(EPERM);
  return 0;
}

// The smallest alternate stack Linux accepts (MINSIGSTKSZ).
constexpr uint64_t kMinSigStackSize = 2048;
// From linux/signal.h, which clashes with glibc's signal.h.
constexpr int SS_AUTODISARM = 1U << 31;

}  // namespace

SysRet sys_rt_sigaction(kernel::Task& t, const SyscallArgs& a) {
  const int sig = static_cast<int>(a[0]);
  if (a[3] != sizeof(uint64_t)) return fail(EINVAL);
  std::optional<kernel::KernelSigaction> act;
  if (a[1] != 0) act = TRY(t.mm().read(mm::GuestPtr<kernel::KernelSigaction>(a[1])));
  if (sig < 1 || sig > kernel::kNumSignals) return fail(EINVAL);
  if (act && (sig == SIGKILL || sig == SIGSTOP)) return fail(EINVAL);
  kernel::KernelSigaction& slot = t.signal_handlers()[sig];
  const kernel::KernelSigaction old = slot;
  if (act) {
    act->mask &= ~kUnblockable;
    slot = *act;
    // POSIX: making a pending signal ignored discards it.
    const bool now_ignored = act->handler == kernel::kSigIgn ||
                             (act->handler == kernel::kSigDfl &&
                              kernel::default_action(sig) == kernel::DefaultAction::kIgnore);
    if (now_ignored) {
      const SigSet which(SigSet::bit(sig));
      t.thread_group().shared_pending().discard(which);
      for (kernel::Task* other : t.thread_group().tasks())
        other->pending().discard(which);
    }
  }
  if (a[2] != 0) TRY(t.mm().write(mm::GuestPtr<kernel::KernelSigaction>(a[2]), old));
  return 0;
}

SysRet sys_rt_sigprocmask(kernel::Task& t, const SyscallArgs& a) {
  const int how = static_cast<int>(a[0]);
  if (a[3] != sizeof(uint64_t)) return fail(EINVAL);
  const kernel::SigSet old = t.signal_mask();
  if (a[1] != 0) {
    const uint64_t set = TRY(t.mm().read(mm::GuestPtr<uint64_t>(a[1]))) & ~kUnblockable;
    switch (how) {
      case SIG_BLOCK:
        t.signal_mask() = SigSet(old.bits() | set);
        break;
      case SIG_UNBLOCK:
        t.signal_mask() = SigSet(old.bits() & ~set);
        break;
      case SIG_SETMASK:
        t.signal_mask() = SigSet(set);
        break;
      default:
        return fail(EINVAL);
    }
  }
  if (a[2] != 0) TRY(t.mm().write(mm::GuestPtr<uint64_t>(a[2]), old.bits()));
  return 0;
}

SysRet sys_sigaltstack(kernel::Task& t, const SyscallArgs& a) {
  kernel::SignalStack& current = t.alt_stack();
  const uint64_t sp = t.thread().syscall().sp;
  const bool on_stack = current.size != 0 && sp - current.sp < current.size;
  kernel::SignalStack old = current;
  old.flags = on_stack ? SS_ONSTACK : (current.size == 0 ? SS_DISABLE : 0);
  old.flags |= current.flags & SS_AUTODISARM;
  if (a[0] != 0) {
    kernel::SignalStack next = TRY(t.mm().read(mm::GuestPtr<kernel::SignalStack>(a[0])));
    if (on_stack) return fail(EPERM);
    const int mode = next.flags & ~SS_AUTODISARM;
    if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0) return fail(EINVAL);
    if (mode == SS_DISABLE) {
      next.sp = 0;
      next.size = 0;
    } else if (next.size < kMinSigStackSize) {
      return fail(ENOMEM);
    }
    next.flags &= SS_AUTODISARM;
    current = next;
  }
  if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<kernel::SignalStack>(a[1]), old));
  return 0;
}

SysRet sys_kill(kernel::Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a[0]);
  if (!valid_signal(a[1])) return fail(EINVAL);
  const int sig = static_cast<int>(a[1]);
  const siginfo_t info = kernel::user_siginfo(sig, SI_USER, t.pid(), t.thread_group().creds().ruid);
  if (pid > 0) {
    ThreadGroup* g = t.kernel().find_process(pid);
    if (g == nullptr) return fail(ESRCH);
    TRY(signal_process(t, *g, info));
    return 0;
  }
  if (pid == -1) return signal_many(t, -1, info);
  return signal_many(t, pid == 0 ? t.thread_group().pgid() : -pid, info);
}

namespace {

SysRet signal_thread(kernel::Task& t, int tgid, int tid, const siginfo_t& info) {
  kernel::Task* target = t.kernel().find_task(tid);
  if (target == nullptr || target->state() == kernel::Task::State::kDead ||
      (tgid > 0 && target->pid() != tgid)) {
    return fail(ESRCH);
  }
  if (!may_signal(t, target->thread_group(), info.si_signo)) return fail(EPERM);
  if (info.si_signo != 0) t.kernel().send_signal(*target, info);
  return 0;
}

Result<siginfo_t> queued_info(kernel::Task& t, uint64_t addr, int sig, bool to_self) {
  siginfo_t info = TRY(t.mm().read(mm::GuestPtr<siginfo_t>(addr)));
  // A process may not forge kernel-generated or kill()-style siginfo for others.
  if ((info.si_code >= 0 || info.si_code == SI_TKILL) && !to_self) return fail(EPERM);
  info.si_signo = sig;
  return info;
}

}  // namespace

SysRet sys_tkill(kernel::Task& t, const SyscallArgs& a) {
  const int tid = static_cast<int>(a[0]);
  if (tid <= 0 || !valid_signal(a[1])) return fail(EINVAL);
  const int sig = static_cast<int>(a[1]);
  return signal_thread(t, 0, tid,
                       kernel::user_siginfo(sig, SI_TKILL, t.pid(), t.thread_group().creds().ruid));
}

SysRet sys_tgkill(kernel::Task& t, const SyscallArgs& a) {
  const int tgid = static_cast<int>(a[0]);
  const int tid = static_cast<int>(a[1]);
  if (tgid <= 0 || tid <= 0 || !valid_signal(a[2])) return fail(EINVAL);
  const int sig = static_cast<int>(a[2]);
  return signal_thread(t, tgid, tid,
                       kernel::user_siginfo(sig, SI_TKILL, t.pid(), t.thread_group().creds().ruid));
}

SysRet sys_rt_sigqueueinfo(kernel::Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a[0]);
  if (!valid_signal(a[1])) return fail(EINVAL);
  const siginfo_t info = TRY(queued_info(t, a[2], static_cast<int>(a[1]), pid == t.pid()));
  ThreadGroup* g = t.kernel().find_process(pid);
  if (g == nullptr) return fail(ESRCH);
  TRY(signal_process(t, *g, info));
  return 0;
}

SysRet sys_rt_tgsigqueueinfo(kernel::Task& t, const SyscallArgs& a) {
  const int tgid = static_cast<int>(a[0]);
  const int tid = static_cast<int>(a[1]);
  if (tgid <= 0 || tid <= 0 || !valid_signal(a[2])) return fail(EINVAL);
  const siginfo_t info = TRY(queued_info(t, a[3], static_cast<int>(a[2]), tgid == t.pid()));
  return signal_thread(t, tgid, tid, info);
}

SysRet sys_rt_sigpending(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] > sizeof(uint64_t)) return fail(EINVAL);
  const uint64_t pending =
      (t.pending().set().bits() | t.thread_group().shared_pending().set().bits()) &
      t.signal_mask().bits();
  TRY(t.mm().copy_out(a[0], std::as_bytes(std::span(&pending, 1)).first(a[1])));
  return 0;
}

SysRet sys_rt_sigsuspend(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] != sizeof(uint64_t)) return fail(EINVAL);
  if (t.syscall_progress == 0) {
    const uint64_t mask = TRY(t.mm().read(mm::GuestPtr<uint64_t>(a[0])));
    t.saved_mask = t.signal_mask();
    t.set_signal_mask(SigSet(mask));
    t.syscall_progress = 1;
  }
  auto parked = t.park();
  if (parked.error() == Errno{ERESTARTSYS}) return fail(ERESTARTNOHAND);
  return parked;
}

SysRet sys_pause(kernel::Task& t, const SyscallArgs& /*a*/) {
  auto parked = t.park();
  if (parked.error() == Errno{ERESTARTSYS}) return fail(ERESTARTNOHAND);
  return parked;
}

SysRet sys_rt_sigtimedwait(kernel::Task& t, const SyscallArgs& a) {
  if (a[3] != sizeof(uint64_t)) return fail(EINVAL);
  const SigSet wanted(TRY(t.mm().read(mm::GuestPtr<uint64_t>(a[0]))) & ~kUnblockable);
  if (t.syscall_progress == 0) {
    if (a[2] != 0) {
      const timespec ts = TRY(t.mm().read(mm::GuestPtr<timespec>(a[2])));
      if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return fail(EINVAL);
      t.deadline_after(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
    t.syscall_progress = 1;
  }
  // Put the real mask back before looking: the waited signals were unblocked only so that
  // their arrival would wake us.
  if (t.sigwait_mask) {
    t.set_signal_mask(*t.sigwait_mask);
    t.sigwait_mask.reset();
  }
  const std::optional<siginfo_t> info = t.kernel().dequeue_signal(t, wanted);
  if (info) {
    if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<siginfo_t>(a[1]), *info));
    return static_cast<uint64_t>(info->si_signo);
  }
  if (a[2] != 0 && t.deadline() && t.kernel().clock().monotonic() >= *t.deadline()) {
    return fail(EAGAIN);
  }
  const SigSet real = t.signal_mask();
  t.sigwait_mask = real;
  t.set_signal_mask(SigSet(real.bits() & ~wanted.bits()));
  auto parked = t.park();
  if (parked.error() == Errno{EPARKED}) return parked;
  t.set_signal_mask(real);
  t.sigwait_mask.reset();
  if (parked.error() == Errno{ETIMEDOUT}) return fail(EAGAIN);
  return fail(EINTR);
}

SysRet sys_rt_sigreturn(kernel::Task& t, const SyscallArgs& /*a*/) {
  if (!kernel::restore_signal_frame(t)) {
    t.kernel().force_signal(t, kernel::user_siginfo(SIGSEGV, SI_KERNEL, 0, 0));
  }
  t.regs_restored = true;
  return 0;
}

}  // namespace ms::sys
