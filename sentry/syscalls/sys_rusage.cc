// Resource usage: getrusage(2), times(2).
#include <sys/resource.h>
#include <sys/times.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;

kernel::Usage live_usage(kernel::Task& t, bool whole_process) {
  const platform::HostUsage h = t.thread().usage(whole_process);
  return kernel::Usage{Duration(h.user_ns), Duration(h.system_ns), h.max_rss_kb};
}

timeval to_timeval(Duration d) {
  return timeval{static_cast<time_t>(d.count() / 1'000'000'000),
                 static_cast<suseconds_t>((d.count() % 1'000'000'000) / 1000)};
}

clock_t ticks(Duration d) {
  return static_cast<clock_t>(d.count() / 10'000'000);
}

}  // namespace

SysRet sys_getrusage(kernel::Task& t, const SyscallArgs& a) {
  const int who = static_cast<int>(a[0]);
  kernel::Usage u;
  switch (who) {
    case RUSAGE_SELF:
      u = live_usage(t, true);
      break;
    case RUSAGE_THREAD:
      u = live_usage(t, false);
      break;
    case RUSAGE_CHILDREN:
      u = t.thread_group().children_usage();
      break;
    default:
      return fail(EINVAL);
  }
  rusage ru{};
  ru.ru_utime = to_timeval(u.user);
  ru.ru_stime = to_timeval(u.system);
  ru.ru_maxrss = static_cast<long>(u.max_rss_kb);
  TRY(t.mm().write(mm::GuestPtr<rusage>(a[1]), ru));
  return 0;
}

SysRet sys_times(kernel::Task& t, const SyscallArgs& a) {
  if (a[0] != 0) {
    const kernel::Usage self = live_usage(t, true);
    const kernel::Usage& children = t.thread_group().children_usage();
    const tms out{ticks(self.user), ticks(self.system), ticks(children.user),
                  ticks(children.system)};
    TRY(t.mm().write(mm::GuestPtr<tms>(a[0]), out));
  }
  // Clock ticks since boot.
  return static_cast<uint64_t>(ticks(t.kernel().clock().boottime()));
}

}  // namespace ms::sys
