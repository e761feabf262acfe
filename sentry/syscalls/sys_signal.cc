// Signal state kept in the sentry: rt_sigaction(2), rt_sigprocmask(2), sigaltstack(2).
#include <signal.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

constexpr uint64_t kUnblockable = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
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
        t.signal_mask() = kernel::SigSet(old.bits() | set);
        break;
      case SIG_UNBLOCK:
        t.signal_mask() = kernel::SigSet(old.bits() & ~set);
        break;
      case SIG_SETMASK:
        t.signal_mask() = kernel::SigSet(set);
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

}  // namespace ms::sys
