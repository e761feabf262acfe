// Interval timers: alarm(2), setitimer(2), getitimer(2). ITIMER_REAL runs on the sentry's
// clock; ITIMER_VIRTUAL and ITIMER_PROF on the host's count of the guest's CPU time.
#include <sys/time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;
using kernel::ThreadGroup;

Duration to_duration(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

timeval to_timeval(Duration d) {
  return timeval{static_cast<time_t>(d.count() / 1'000'000'000),
                 static_cast<suseconds_t>((d.count() % 1'000'000'000) / 1000)};
}

// What is left of the process's ITIMER_REAL.
itimerval current(kernel::Kernel& k, ThreadGroup& g) {
  itimerval v{};
  if (!g.real_timer) return v;
  const Duration left = k.clock().until(g.real_timer_deadline);
  // A running timer never reads as zero (that would mean disarmed).
  v.it_value = to_timeval(std::max(left, Duration(std::chrono::microseconds(1))));
  v.it_interval = to_timeval(g.real_timer_interval);
  return v;
}

void arm(kernel::Kernel& k, ThreadGroup& g, Duration value, Duration interval);

void expire(kernel::Kernel& k, int tgid) {
  ThreadGroup* g = k.find_process(tgid);
  if (g == nullptr || g->zombie()) return;
  g->real_timer.reset();
  if (g->real_timer_interval > Duration::zero()) {
    arm(k, *g, g->real_timer_interval, g->real_timer_interval);
  }
  k.send_signal(*g, kernel::user_siginfo(SIGALRM, SI_KERNEL, 0, 0));
}

void arm(kernel::Kernel& k, ThreadGroup& g, Duration value, Duration interval) {
  if (g.real_timer) k.timers().cancel(*g.real_timer);
  g.real_timer.reset();
  g.real_timer_interval = interval;
  if (value == Duration::zero()) return;
  g.real_timer_deadline = k.clock().monotonic() + value;
  const int tgid = g.tgid();
  g.real_timer = k.timers().schedule(g.real_timer_deadline, [&k, tgid] { expire(k, tgid); });
}

Result<timeval> checked(const timeval& tv) {
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return fail(EINVAL);
  return tv;
}

}  // namespace

SysRet sys_alarm(kernel::Task& t, const SyscallArgs& a) {
  const auto seconds = static_cast<unsigned>(a[0]);
  const itimerval old = current(t.kernel(), t.thread_group());
  arm(t.kernel(), t.thread_group(), std::chrono::seconds(seconds), Duration::zero());
  // Linux rounds what was left to the nearest second, and never reports 0 for a live timer.
  uint64_t left = static_cast<uint64_t>(old.it_value.tv_sec);
  if ((left == 0 && old.it_value.tv_usec != 0) || old.it_value.tv_usec >= 500'000) ++left;
  return left;
}

SysRet sys_setitimer(kernel::Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a[0]);
  std::optional<itimerval> next;
  if (a[1] != 0) next = TRY(t.mm().read(mm::GuestPtr<itimerval>(a[1])));
  if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF) {
    return fail(EINVAL);
  }
  if (next) {
    TRY(checked(next->it_value));
    TRY(checked(next->it_interval));
  }
  if (which != ITIMER_REAL) {
    // CPU time is the guest code's own, which the host counts in the stub process.
    const itimerval none{};
    const itimerval old = TRY(t.thread().cpu_timer(which, next ? &*next : &none));
    if (a[2] != 0) TRY(t.mm().write(mm::GuestPtr<itimerval>(a[2]), old));
    return 0;
  }
  const itimerval old = current(t.kernel(), t.thread_group());
  if (next) {
    arm(t.kernel(), t.thread_group(), to_duration(next->it_value), to_duration(next->it_interval));
  } else {
    arm(t.kernel(), t.thread_group(), Duration::zero(), Duration::zero());
  }
  if (a[2] != 0) TRY(t.mm().write(mm::GuestPtr<itimerval>(a[2]), old));
  return 0;
}

SysRet sys_getitimer(kernel::Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a[0]);
  if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF) {
    return fail(EINVAL);
  }
  const itimerval value = which == ITIMER_REAL ? current(t.kernel(), t.thread_group())
                                               : TRY(t.thread().cpu_timer(which, nullptr));
  TRY(t.mm().write(mm::GuestPtr<itimerval>(a[1]), value));
  return 0;
}

}  // namespace ms::sys
