// POSIX timers: timer_create(2), timer_settime(2), timer_gettime(2), timer_getoverrun(2),
// timer_delete(2).
#include <signal.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;

// glibc's struct sigevent without the padding: what the kernel reads.
struct KernelSigevent {
  sigval value;
  int32_t signo;
  int32_t notify;
  int32_t thread_id;
};

Duration to_duration(const timespec& ts) {
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

timespec to_timespec(Duration d) {
  return timespec{static_cast<time_t>(d.count() / 1'000'000'000),
                  static_cast<long>(d.count() % 1'000'000'000)};
}

Result<void> check(const timespec& ts) {
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return fail(EINVAL);
  return {};
}

Result<kernel::PosixTimer*> timer_of(kernel::Task& t, uint64_t id) {
  kernel::PosixTimer* timer =
      t.thread_group().posix_timers().find(static_cast<int>(static_cast<int32_t>(id)));
  if (timer == nullptr) return fail(EINVAL);
  return timer;
}

itimerspec current(kernel::Task& t, const kernel::PosixTimer& timer) {
  itimerspec v{};
  v.it_interval = to_timespec(timer.interval);
  if (timer.timer) {
    const Duration left = t.kernel().clock().until(timer.deadline);
    v.it_value = to_timespec(std::max(left, Duration(1)));
  }
  return v;
}

}  // namespace

SysRet sys_timer_create(kernel::Task& t, const SyscallArgs& a) {
  const auto clock = static_cast<clockid_t>(a[0]);
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
    case CLOCK_TAI:
      break;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return fail(ENOTSUP);  // CPU-time timers are not implemented
    default:
      return fail(EINVAL);
  }
  kernel::PosixTimer timer;
  timer.clock = clock;
  if (a[1] != 0) {
    const KernelSigevent ev = TRY(t.mm().read(mm::GuestPtr<KernelSigevent>(a[1])));
    timer.notify = ev.notify;
    timer.value = ev.value;
    timer.signo = ev.signo;
    switch (ev.notify & ~SIGEV_THREAD_ID) {
      case SIGEV_NONE:
        break;
      case SIGEV_SIGNAL:
        if (ev.signo < 1 || ev.signo > kernel::kNumSignals) return fail(EINVAL);
        break;
      default:
        return fail(EINVAL);
    }
    if (ev.notify == SIGEV_THREAD_ID) {
      kernel::Task* target = t.kernel().find_task(ev.thread_id);
      if (target == nullptr || target->pid() != t.pid()) return fail(EINVAL);
      if (ev.signo < 1 || ev.signo > kernel::kNumSignals) return fail(EINVAL);
      timer.target_tid = ev.thread_id;
    } else if (ev.notify != SIGEV_NONE && ev.notify != SIGEV_SIGNAL) {
      return fail(EINVAL);
    }
  }
  const int id = TRY(t.thread_group().posix_timers().create(timer));
  if (a[1] == 0) t.thread_group().posix_timers().find(id)->value.sival_int = id;
  if (auto r = t.mm().write(mm::GuestPtr<int32_t>(a[2]), id); !r) {
    (void)t.thread_group().posix_timers().remove(t.kernel(), t.thread_group(), id);
    return std::unexpected(r.error());
  }
  return 0;
}

SysRet sys_timer_settime(kernel::Task& t, const SyscallArgs& a) {
  const int flags = static_cast<int>(a[1]);
  kernel::PosixTimer* timer = TRY(timer_of(t, a[0]));
  const itimerspec next = TRY(t.mm().read(mm::GuestPtr<itimerspec>(a[2])));
  TRY(check(next.it_value));
  TRY(check(next.it_interval));
  const itimerspec old = current(t, *timer);
  Duration value = to_duration(next.it_value);
  if ((flags & TIMER_ABSTIME) != 0 && value > Duration::zero()) {
    kernel::Clock& clock = t.kernel().clock();
    const Duration now = timer->clock == CLOCK_MONOTONIC  ? clock.monotonic()
                         : timer->clock == CLOCK_BOOTTIME ? clock.boottime()
                                                          : clock.realtime();
    // An absolute time already past fires at once.
    value = value > now ? value - now : Duration(1);
  }
  t.thread_group().posix_timers().arm(t.kernel(), t.thread_group(),
                                      static_cast<int>(static_cast<int32_t>(a[0])), value,
                                      to_duration(next.it_interval));
  if (a[3] != 0) TRY(t.mm().write(mm::GuestPtr<itimerspec>(a[3]), old));
  return 0;
}

SysRet sys_timer_gettime(kernel::Task& t, const SyscallArgs& a) {
  const kernel::PosixTimer* timer = TRY(timer_of(t, a[0]));
  TRY(t.mm().write(mm::GuestPtr<itimerspec>(a[1]), current(t, *timer)));
  return 0;
}

SysRet sys_timer_getoverrun(kernel::Task& t, const SyscallArgs& a) {
  const kernel::PosixTimer* timer = TRY(timer_of(t, a[0]));
  return static_cast<uint64_t>(timer->last_overrun);
}

SysRet sys_timer_delete(kernel::Task& t, const SyscallArgs& a) {
  TRY(t.thread_group().posix_timers().remove(t.kernel(), t.thread_group(),
                                             static_cast<int>(static_cast<int32_t>(a[0]))));
  return 0;
}

}  // namespace ms::sys
