// timerfd_create(2), timerfd_settime(2), timerfd_gettime(2). The timer itself is
// fs::TimerFd, on the kernel's clock and timer queue.
#include <sys/resource.h>
#include <sys/timerfd.h>

#include "fs/timerfd.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

bool is_alarm(clockid_t id) {
  return id == CLOCK_REALTIME_ALARM || id == CLOCK_BOOTTIME_ALARM;
}

// CAP_WAKE_ALARM: the sentry's guests have every capability as root and none otherwise.
bool may_wake(kernel::Task& t) {
  return t.thread_group().creds().euid == 0;
}

Result<std::shared_ptr<fs::TimerFd>> timerfd(kernel::Task& t, int fd) {
  auto file = TRY(t.file(fd));
  auto timer = std::dynamic_pointer_cast<fs::TimerFd>(file);
  if (!timer) return fail(EINVAL);
  return timer;
}

itimerspec to_itimerspec(const fs::TimerFd::Setting& s) {
  return itimerspec{kernel::ktime_to_timespec(s.interval), kernel::ktime_to_timespec(s.value)};
}

}  // namespace

SysRet sys_timerfd_create(kernel::Task& t, const SyscallArgs& a) {
  const auto clockid = static_cast<clockid_t>(a[0]);
  const auto flags = static_cast<int>(a[1]);
  if ((flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) != 0 ||
      (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME && !is_alarm(clockid) &&
       clockid != CLOCK_BOOTTIME)) {
    return fail(EINVAL);
  }
  if (is_alarm(clockid) && !may_wake(t)) return fail(EPERM);
  auto file =
      std::make_shared<fs::TimerFd>(t.kernel().clock(), t.kernel().timers(), clockid, flags);
  return TRY(t.fds().install(std::move(file), (flags & TFD_CLOEXEC) != 0, 0,
                             t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur));
}

SysRet sys_timerfd_settime(kernel::Task& t, const SyscallArgs& a) {
  const int fd = static_cast<int>(a[0]);
  const auto flags = static_cast<int>(a[1]);
  const itimerspec value = TRY(t.mm().read(mm::GuestPtr<itimerspec>(a[2])));
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) != 0 ||
      !kernel::timespec_valid(value.it_value) || !kernel::timespec_valid(value.it_interval)) {
    return fail(EINVAL);
  }
  auto timer = TRY(timerfd(t, fd));
  if (is_alarm(timer->clock_id()) && !may_wake(t)) return fail(EPERM);
  const fs::TimerFd::Setting old =
      timer->set(kernel::timespec_to_ktime(value.it_value),
                 kernel::timespec_to_ktime(value.it_interval), (flags & TFD_TIMER_ABSTIME) != 0);
  // The new setting stays even when the old one cannot be reported.
  if (a[3] != 0) TRY(t.mm().write(mm::GuestPtr<itimerspec>(a[3]), to_itimerspec(old)));
  return 0;
}

SysRet sys_timerfd_gettime(kernel::Task& t, const SyscallArgs& a) {
  auto timer = TRY(timerfd(t, static_cast<int>(a[0])));
  TRY(t.mm().write(mm::GuestPtr<itimerspec>(a[1]), to_itimerspec(timer->get())));
  return 0;
}

}  // namespace ms::sys
