#include "sentry/kernel/clock.h"

#include <time.h>

namespace ms::kernel {
namespace {

Duration read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

Duration HostClock::monotonic() const {
  return read_clock(CLOCK_MONOTONIC);
}
Duration HostClock::realtime() const {
  return read_clock(CLOCK_REALTIME);
}
Duration HostClock::boottime() const {
  return read_clock(CLOCK_BOOTTIME);
}

Duration HostClock::until(Duration deadline) {
  const Duration now = monotonic();
  return deadline > now ? deadline - now : Duration::zero();
}

TimerQueue::TimerId TimerQueue::schedule(Duration deadline, Callback callback) {
  const TimerId id = next_id_++;
  timers_.emplace(Key{deadline, id}, std::move(callback));
  deadlines_.emplace(id, deadline);
  return id;
}

void TimerQueue::cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase(Key{it->second, id});
  deadlines_.erase(it);
}

std::optional<Duration> TimerQueue::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

void TimerQueue::fire_due(Duration now) {
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    deadlines_.erase(node.key().second);
    node.mapped()();
  }
}

}  // namespace ms::kernel
