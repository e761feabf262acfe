// Time arithmetic as Linux's ktime_t does it: nanoseconds in an int64 that saturate at
// KTIME_MAX instead of overflowing, so that a guest's huge timeout means "practically never"
// rather than a wrapped deadline in the past.
#pragma once

#include <time.h>

#include <cstdint>
#include <limits>

#include "sentry/kernel/clock.h"

namespace ms::kernel {

inline constexpr Duration kKtimeMax{std::numeric_limits<int64_t>::max()};
inline constexpr int64_t kKtimeSecMax = std::numeric_limits<int64_t>::max() / 1'000'000'000;

// A valid timespec (0 <= tv_nsec < 1e9, tv_sec >= 0) in nanoseconds (timespec64_to_ktime).
inline Duration timespec_to_ktime(const timespec& ts) {
  if (ts.tv_sec >= kKtimeSecMax) return kKtimeMax;
  return Duration(ts.tv_sec * 1'000'000'000 + ts.tv_nsec);
}

inline timespec ktime_to_timespec(Duration d) {
  const int64_t ns = d.count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

inline bool timespec_valid(const timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1'000'000'000;
}

// a + b for non-negative a and b; an overflow gives KTIME_SEC_MAX seconds, as
// ktime_add_safe() does.
inline Duration ktime_add_safe(Duration a, Duration b) {
  if (a > kKtimeMax - b) return std::chrono::seconds(kKtimeSecMax);
  return a + b;
}

}  // namespace ms::kernel
