// Time as the guest sees it. Every timeout in the sentry goes through a Clock, so that a
// deterministic run can substitute virtual time without touching the code that waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

namespace ms::kernel {

using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // CLOCK_MONOTONIC: never jumps; all deadlines are kept on it.
  virtual Duration monotonic() const = 0;
  // CLOCK_REALTIME: nanoseconds since the epoch.
  virtual Duration realtime() const = 0;
  // CLOCK_BOOTTIME.
  virtual Duration boottime() const { return monotonic(); }
  // How long the event loop may block on the host to reach `deadline` (monotonic). A real
  // clock returns the real remaining time; a virtual clock jumps to it and returns zero.
  virtual Duration until(Duration deadline) = 0;
};

// The host's clocks.
class HostClock final : public Clock {
 public:
  Duration monotonic() const override;
  Duration realtime() const override;
  Duration boottime() const override;
  Duration until(Duration deadline) override;
};

// Callbacks due at monotonic deadlines, fired by the event loop in deadline order (ties in
// the order they were scheduled).
class TimerQueue {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  TimerId schedule(Duration deadline, Callback callback);
  // Harmless for a timer that already fired or was cancelled.
  void cancel(TimerId id);
  std::optional<Duration> next_deadline() const;
  // Runs every callback due at `now`; callbacks may schedule and cancel timers.
  void fire_due(Duration now);
  bool empty() const { return timers_.empty(); }

 private:
  using Key = std::pair<Duration, TimerId>;
  std::map<Key, Callback> timers_;
  std::unordered_map<TimerId, Duration> deadlines_;
  TimerId next_id_ = 1;
};

}  // namespace ms::kernel
