// Clocks and sleeping: clock_gettime(2), clock_getres(2), gettimeofday(2), time(2),
// nanosleep(2). Every clock reading goes through the kernel's Clock.
#include <fcntl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/unique_fd.h"
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

// The CPU time a guest task or its process has used: the host keeps it for the stub. The
// host's thread clocks work only inside one thread group, so a thread's time comes from
// /proc/TID/schedstat (its first field is the time spent running, in nanoseconds).
Result<Duration> cpu_time(kernel::Task& t, bool thread) {
  if (thread) {
    const std::string path = "/proc/" + std::to_string(t.thread().host_tid()) + "/schedstat";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    char buf[64] = {};
    if (!fd || ::read(fd.get(), buf, sizeof(buf) - 1) <= 0) return fail(EINVAL);
    return Duration(std::strtoll(buf, nullptr, 10));
  }
  timespec ts{};
  if (clock_gettime(host_cpu_clock(t.thread().host_tid(), false), &ts) != 0) {
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

namespace {

// Sleeps until the monotonic deadline; on a signal, reports the time left in rem (for a
// relative sleep) and returns EINTR.
SysRet sleep_until(kernel::Task& t, Duration deadline, uint64_t rem) {
  auto parked = t.park();
  if (parked.error() == Errno{ETIMEDOUT}) return 0;
  if (parked.error() == Errno{ERESTARTSYS}) {
    if (rem != 0) {
      const Duration now = t.kernel().clock().monotonic();
      const Duration left = deadline > now ? deadline - now : Duration::zero();
      TRY(t.mm().write(mm::GuestPtr<timespec>(rem), to_timespec(left)));
    }
    return fail(EINTR);
  }
  return parked;
}

Duration to_duration(const timespec& ts) {
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

SysRet sys_nanosleep(kernel::Task& t, const SyscallArgs& a) {
  const timespec req = TRY(read_timespec(t, a[0]));
  const Duration deadline = t.deadline_after(to_duration(req));
  return sleep_until(t, deadline, a[1]);
}

SysRet sys_clock_nanosleep(kernel::Task& t, const SyscallArgs& a) {
  const auto id = static_cast<clockid_t>(a[0]);
  const int flags = static_cast<int>(a[1]);
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      break;
    case CLOCK_THREAD_CPUTIME_ID:
      return fail(EINVAL);
    case CLOCK_PROCESS_CPUTIME_ID:
      return fail(ENOTSUP);  // CPU-time sleeps need CPU-time timers (later)
    default:
      return fail(id < 0 ? ENOTSUP : EINVAL);
  }
  const timespec req = TRY(read_timespec(t, a[2]));
  if ((flags & TIMER_ABSTIME) == 0) {
    return sleep_until(t, t.deadline_after(to_duration(req)), a[3]);
  }
  // An absolute time on the realtime clock becomes a monotonic deadline once, on the first
  // run; later runs keep it.
  kernel::Clock& clock = t.kernel().clock();
  const Duration now_on_clock = id == CLOCK_MONOTONIC  ? clock.monotonic()
                                : id == CLOCK_BOOTTIME ? clock.boottime()
                                                       : clock.realtime();
  const Duration wanted = to_duration(req);
  const Duration relative = wanted > now_on_clock ? wanted - now_on_clock : Duration::zero();
  return sleep_until(t, t.deadline_after(relative), 0);
}

}  // namespace ms::sys
