// timerfd_create(2): a timer whose expirations are read from a file as a u64 count.
//
// As in Linux, an expiry only counts a tick and wakes readers; a periodic timer is moved on
// to its next period (counting the periods that passed meanwhile as overruns) when the
// timer is next read, queried or reset, not from the expiry itself. Deadlines on the
// realtime and boot clocks are converted to the monotonic TimerQueue when armed: guests
// cannot set the clock, so TFD_TIMER_CANCEL_ON_SET is accepted but never cancels (read
// never fails with ECANCELED).
#pragma once

#include <time.h>

#include <cstdint>
#include <optional>

#include "fs/file_description.h"
#include "sentry/kernel/clock.h"

namespace ms::fs {

class TimerFd final : public FileDescription {
 public:
  using Duration = kernel::Duration;

  // What timerfd_gettime reports: time to the next expiry (zero when disarmed) and the
  // period (zero for a one-shot timer).
  struct Setting {
    Duration value{};
    Duration interval{};
  };

  // clockid: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME or their _ALARM variants
  // (checked by the caller). flags: O_NONBLOCK (TFD_NONBLOCK) is kept.
  TimerFd(kernel::Clock& clock, kernel::TimerQueue& timers, clockid_t clockid, int flags);
  ~TimerFd() override;

  // timerfd_settime after its argument checks: arms (value != 0) or disarms the timer and
  // drops unread expirations. value is absolute on the timer's clock when `absolute`.
  // Returns the previous setting.
  Setting set(Duration value, Duration interval, bool absolute);
  // timerfd_gettime.
  Setting get();
  clockid_t clock_id() const { return clockid_; }

  // At least 8 bytes: the expirations since the last read (EAGAIN when none).
  Result<size_t> read(std::span<std::byte> dst) override;
  // TFD_IOC_SET_TICKS (checkpoint/restore): sets the expiration count.
  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;
  Result<Stat> stat() override;
  // noop_llseek: the position stays 0 and lseek reports it.
  Result<uint64_t> seek(int64_t /*offset*/, int /*whence*/) override { return 0; }
  uint32_t readiness() override { return ticks_ > 0 ? POLLIN : 0; }
  kernel::WaitQueue* wait_queue() override { return &queue_; }
  std::string describe() const override { return "anon_inode:[timerfd]"; }

 private:
  // The current time on the timer's clock.
  Duration now() const;
  // Schedules the expiry at expires_ on the kernel's (monotonic) timer queue.
  void arm();
  void disarm();
  void expire();
  // hrtimer_forward_now(): moves expires_ past now by whole periods; returns how many.
  uint64_t forward();
  // A periodic timer that expired: count the periods missed since and arm the next one.
  uint64_t restart_periodic();
  Setting get_remaining() const;

  kernel::Clock& clock_;
  kernel::TimerQueue& timers_;
  clockid_t clockid_;
  Duration expires_{};    // on the timer's clock; zero when never armed
  Duration interval_{};   // zero: one-shot
  uint64_t ticks_ = 0;    // expirations not read yet
  bool expired_ = false;  // expired since armed (or since the last restart_periodic)
  std::optional<kernel::TimerQueue::TimerId> timer_;
  kernel::WaitQueue queue_;
};

}  // namespace ms::fs
