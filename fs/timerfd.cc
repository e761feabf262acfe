#include "fs/timerfd.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "fs/anon_inode.h"
#include "sentry/kernel/ktime.h"

namespace ms::fs {
namespace {

// From <linux/timerfd.h>, which clashes with glibc's headers.
constexpr uint32_t kSetTicks = _IOW('T', 0, uint64_t);

}  // namespace

TimerFd::TimerFd(kernel::Clock& clock, kernel::TimerQueue& timers, clockid_t clockid, int flags)
    : FileDescription(O_RDWR | (flags & O_NONBLOCK)),
      clock_(clock),
      timers_(timers),
      clockid_(clockid) {}

TimerFd::~TimerFd() {
  disarm();
}

TimerFd::Duration TimerFd::now() const {
  switch (clockid_) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_ALARM:
      return clock_.realtime();
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return clock_.boottime();
    default:
      return clock_.monotonic();
  }
}

void TimerFd::arm() {
  disarm();
  // The timer queue runs on the monotonic clock: the same distance from now.
  const Duration mono = clock_.monotonic();
  const Duration here = now();
  const Duration deadline = expires_ > here ? kernel::ktime_add_safe(mono, expires_ - here) : mono;
  timer_ = timers_.schedule(deadline, [this] {
    timer_.reset();
    expire();
  });
}

void TimerFd::disarm() {
  if (timer_) timers_.cancel(*timer_);
  timer_.reset();
}

void TimerFd::expire() {
  expired_ = true;
  ++ticks_;
  queue_.notify(POLLIN);
}

uint64_t TimerFd::forward() {
  // The timer queue may run a hair before the timer's own clock reaches expires_ (a
  // realtime deadline moved to the monotonic clock): it expired all the same.
  const Duration at = std::max(now(), expires_);
  const Duration interval = std::max(interval_, Duration(1));
  const Duration delta = at - expires_;
  uint64_t overruns = 1;
  if (delta >= interval) {
    overruns = static_cast<uint64_t>(delta / interval);
    expires_ += interval * static_cast<int64_t>(overruns);
    if (expires_ > at) return overruns;
    ++overruns;
  }
  expires_ = kernel::ktime_add_safe(expires_, interval);
  return overruns;
}

uint64_t TimerFd::restart_periodic() {
  const uint64_t periods = forward();
  expired_ = false;
  arm();
  return periods;
}

TimerFd::Setting TimerFd::set(Duration value, Duration interval, bool absolute) {
  disarm();
  // A periodic timer that expired is moved on first, so that the old setting reports the
  // time to its next period.
  if (expired_ && interval_ != Duration::zero()) forward();
  const Setting old = get_remaining();
  expired_ = false;
  ticks_ = 0;
  interval_ = interval;
  expires_ = Duration::zero();
  if (value != Duration::zero()) {
    expires_ = absolute ? value : kernel::ktime_add_safe(now(), value);
    arm();
  }
  return old;
}

TimerFd::Setting TimerFd::get() {
  if (expired_ && interval_ != Duration::zero()) ticks_ += restart_periodic() - 1;
  return get_remaining();
}

TimerFd::Setting TimerFd::get_remaining() const {
  const Duration left = expires_ - now();
  return Setting{std::max(left, Duration::zero()), interval_};
}

Result<size_t> TimerFd::read(std::span<std::byte> dst) {
  uint64_t ticks = 0;
  if (dst.size() < sizeof(ticks)) return fail(EINVAL);
  if (ticks_ == 0) return fail(EAGAIN);
  ticks = ticks_;
  // The expiry counted one tick; the periods that passed since it are counted now.
  if (expired_ && interval_ != Duration::zero()) ticks += restart_periodic() - 1;
  expired_ = false;
  ticks_ = 0;
  std::memcpy(dst.data(), &ticks, sizeof(ticks));
  return sizeof(ticks);
}

Result<uint64_t> TimerFd::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  if (request != kSetTicks) return fail(ENOTTY);
  const uint64_t ticks = TRY(mem.read(mm::GuestPtr<uint64_t>(arg)));
  if (ticks == 0) return fail(EINVAL);
  ticks_ = ticks;
  queue_.notify(POLLIN);
  return 0;
}

Result<Stat> TimerFd::stat() {
  return anon_inode_stat();
}

}  // namespace ms::fs
