#include "sentry/kernel/posix_timers.h"

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::kernel {
namespace {

constexpr int kMaxTimers = 1 << 16;

}  // namespace

Result<int> PosixTimers::create(const PosixTimer& timer) {
  for (int id = 0; id < kMaxTimers; ++id) {
    if (!timers_.contains(id)) {
      timers_.emplace(id, timer);
      return id;
    }
  }
  return fail(EAGAIN);
}

PosixTimer* PosixTimers::find(int id) {
  auto it = timers_.find(id);
  return it == timers_.end() ? nullptr : &it->second;
}

void PosixTimers::drop_queued_signal(Kernel& k, ThreadGroup& owner, int id) {
  const auto mine = [id](const siginfo_t& i) {
    return i.si_code == SI_TIMER && i.si_timerid == id;
  };
  owner.shared_pending().discard_if(mine);
  for (Task* t : owner.tasks())
    t->pending().discard_if(mine);
  (void)k;
}

Result<void> PosixTimers::remove(Kernel& k, ThreadGroup& owner, int id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return fail(EINVAL);
  if (it->second.timer) k.timers().cancel(*it->second.timer);
  timers_.erase(it);
  drop_queued_signal(k, owner, id);
  return {};
}

void PosixTimers::arm(Kernel& k, ThreadGroup& owner, int id, Duration value, Duration interval) {
  PosixTimer* timer = find(id);
  if (timer == nullptr) return;
  if (timer->timer) k.timers().cancel(*timer->timer);
  timer->timer.reset();
  timer->interval = interval;
  timer->overrun = 0;
  timer->last_overrun = 0;
  // A new setting drops the signal of the old one if it is still queued (Linux 6.10+).
  drop_queued_signal(k, owner, id);
  if (value == Duration::zero()) return;
  timer->deadline = k.clock().monotonic() + value;
  const int tgid = owner.tgid();
  timer->timer = k.timers().schedule(timer->deadline, [&k, tgid, id] {
    if (ThreadGroup* g = k.find_process(tgid)) g->posix_timers().expire(k, tgid, id);
  });
}

void PosixTimers::expire(Kernel& k, int tgid, int id) {
  ThreadGroup* g = k.find_process(tgid);
  PosixTimer* timer = find(id);
  if (g == nullptr || g->zombie() || timer == nullptr) return;
  timer->timer.reset();
  if (timer->interval > Duration::zero()) {
    // Catch up without drifting: the next expiry is a whole number of intervals later.
    timer->deadline += timer->interval;
    timer->timer = k.timers().schedule(timer->deadline, [&k, tgid, id] {
      if (ThreadGroup* owner = k.find_process(tgid)) owner->posix_timers().expire(k, tgid, id);
    });
  }
  if (timer->notify == SIGEV_NONE) return;
  // While the previous expiry's signal is still queued, only the overrun count grows.
  const auto still_queued = [&](PendingSignals& p) {
    return p.contains([&](const siginfo_t& i) {
      return i.si_code == SI_TIMER && i.si_timerid == id && i.si_signo == timer->signo;
    });
  };
  Task* target = timer->notify == SIGEV_THREAD_ID ? k.find_task(timer->target_tid) : nullptr;
  PendingSignals& queue = target != nullptr ? target->pending() : g->shared_pending();
  if (still_queued(queue)) {
    ++timer->overrun;
    return;
  }
  siginfo_t info{};
  info.si_signo = timer->signo;
  info.si_code = SI_TIMER;
  info.si_timerid = id;
  info.si_value = timer->value;
  if (target != nullptr) {
    k.send_signal(*target, info);
  } else {
    k.send_signal(*g, info);
  }
}

int PosixTimers::take_overrun(int id) {
  PosixTimer* timer = find(id);
  if (timer == nullptr) return 0;
  timer->last_overrun = timer->overrun;
  timer->overrun = 0;
  return timer->last_overrun;
}

void PosixTimers::disarm_all(Kernel& k) {
  for (auto& [id, timer] : timers_) {
    if (timer.timer) k.timers().cancel(*timer.timer);
    timer.timer.reset();
  }
}

}  // namespace ms::kernel
