// POSIX per-process timers (timer_create(2) and friends) on the sentry's clock.
#pragma once

#include <signal.h>

#include <map>
#include <optional>

#include "base/result.h"
#include "sentry/kernel/clock.h"

namespace ms::kernel {

class Kernel;
class ThreadGroup;

struct PosixTimer {
  clockid_t clock = CLOCK_MONOTONIC;
  int notify = SIGEV_SIGNAL;  // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID
  int signo = SIGALRM;
  sigval value{};
  int target_tid = 0;             // SIGEV_THREAD_ID
  std::optional<uint64_t> timer;  // the TimerQueue entry while armed
  Duration deadline{};            // monotonic
  Duration interval{};
  int overrun = 0;       // expirations since the queued signal was sent
  int last_overrun = 0;  // what timer_getoverrun reports
};

// The timers of one process. Timer ids are small integers, lowest free first.
class PosixTimers {
 public:
  Result<int> create(const PosixTimer& timer);
  PosixTimer* find(int id);
  Result<void> remove(Kernel& k, ThreadGroup& owner, int id);
  // Arms (value > 0) or disarms timer id; value is relative to now on the monotonic clock.
  void arm(Kernel& k, ThreadGroup& owner, int id, Duration value, Duration interval);
  void disarm_all(Kernel& k);
  // The timer's signal was taken off its queue: the overruns counted meanwhile become what
  // timer_getoverrun reports, and what the signal's si_overrun says.
  int take_overrun(int id);
  // Called by the timer queue: queues the timer's signal (or counts an overrun).
  void expire(Kernel& k, int tgid, int id);

 private:
  static void drop_queued_signal(Kernel& k, ThreadGroup& owner, int id);
  std::map<int, PosixTimer> timers_;
};

}  // namespace ms::kernel
