// Clocks and sleeping: clock_gettime(2), clock_getres(2), gettimeofday(2), time(2),
// nanosleep(2). Every clock reading goes through the kernel's Clock.
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;

timespec to_timespec(Duration d) {
  return timespec{static_cast<time_t>(d.count() / 1'000'000'000),
                  static_cast<long>(d.count() % 1'000'000'000)};
}

// Linux encodes a CPU-time clock of another process or thread as a negative clockid:
// ~pid << 3 | type (CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED), bit 2 for a thread.
constexpr int kCpuClockPerThread = 4;
constexpr int kCpuClockSched = 2;

clockid_t host_cpu_clock(int host_pid, bool thread) {
  return static_cast<clockid_t>((~host_pid << 3) | (thread ? kCpuClockPerThread : 0) |
                                kCpuClockSched);
}

// The CPU time a guest task or its process has used: the host keeps it for the stub.
Result<Duration> cpu_time(kernel::Task& t, bool thread) {
  timespec ts{};
  if (clock_gettime(host_cpu_clock(t.thread().host_tid(), thread), &ts) != 0) {
    return fail(EINVAL);
  }
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Result<Duration> read_clock(kernel::Task& t, clockid_t id) {
  kernel::Clock& clock = t.kernel().clock();
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
    case CLOCK_REALTIME_ALARM:
      return clock.realtime();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_MONOTONIC_RAW:
      return clock.monotonic();
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return clock.boottime();
    case CLOCK_PROCESS_CPUTIME_ID:
      return cpu_time(t, false);
    case CLOCK_THREAD_CPUTIME_ID:
      return cpu_time(t, true);
    default:
      // Another task's CPU clock: only the caller's own for now.
      if (id < 0) {
        const int pid = ~(id >> 3);
        const bool thread = (id & kCpuClockPerThread) != 0;
        if ((id & 3) == 3) return fail(EINVAL);
        if (pid == 0 || pid == (thread ? t.tid() : t.pid())) return cpu_time(t, thread);
      }
      return fail(EINVAL);
  }
}

Result<timespec> read_timespec(kernel::Task& t, uint64_t addr) {
  const timespec ts = TRY(t.mm().read(mm::GuestPtr<timespec>(addr)));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return fail(EINVAL);
  return ts;
}

}  // namespace

SysRet sys_clock_gettime(kernel::Task& t, const SyscallArgs& a) {
  const Duration now = TRY(read_clock(t, static_cast<clockid_t>(a[0])));
  TRY(t.mm().write(mm::GuestPtr<timespec>(a[1]), to_timespec(now)));
  return 0;
}

SysRet sys_clock_getres(kernel::Task& t, const SyscallArgs& a) {
  const auto id = static_cast<clockid_t>(a[0]);
  TRY(read_clock(t, id));
  const bool coarse = id == CLOCK_REALTIME_COARSE || id == CLOCK_MONOTONIC_COARSE;
  const timespec res{0, coarse ? 4'000'000 : 1};
  if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<timespec>(a[1]), res));
  return 0;
}

SysRet sys_gettimeofday(kernel::Task& t, const SyscallArgs& a) {
  if (a[0] != 0) {
    const Duration now = t.kernel().clock().realtime();
    const timeval tv{static_cast<time_t>(now.count() / 1'000'000'000),
                     static_cast<suseconds_t>((now.count() % 1'000'000'000) / 1000)};
    TRY(t.mm().write(mm::GuestPtr<timeval>(a[0]), tv));
  }
  if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<struct timezone>(a[1]), {0, 0}));
  return 0;
}

SysRet sys_time(kernel::Task& t, const SyscallArgs& a) {
  const auto now = static_cast<time_t>(t.kernel().clock().realtime().count() / 1'000'000'000);
  if (a[0] != 0) TRY(t.mm().write(mm::GuestPtr<time_t>(a[0]), now));
  return static_cast<uint64_t>(now);
}

SysRet sys_nanosleep(kernel::Task& t, const SyscallArgs& a) {
  const timespec req = TRY(read_timespec(t, a[0]));
  const Duration deadline = t.deadline_after(std::chrono::seconds(req.tv_sec) +
                                             std::chrono::nanoseconds(req.tv_nsec));
  auto parked = t.park();
  if (parked.error() == Errno{ETIMEDOUT}) return 0;
  if (parked.error() == Errno{ERESTARTSYS}) {
    if (a[1] != 0) {
      const Duration left = t.kernel().clock().until(deadline);
      TRY(t.mm().write(mm::GuestPtr<timespec>(a[1]), to_timespec(left)));
    }
    return fail(EINTR);
  }
  return parked;
}

}  // namespace ms::sys
