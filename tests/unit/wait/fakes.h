// Test doubles for the wait tests: a clock the test moves by hand, a waiter that records
// its wakeups, and a file whose readiness the test sets.
#pragma once

#include <cstdint>
#include <vector>

#include "fs/file_description.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::testing {

class FakeClock final : public kernel::Clock {
 public:
  kernel::Duration monotonic() const override { return mono; }
  kernel::Duration realtime() const override { return mono + realtime_offset; }
  kernel::Duration boottime() const override { return mono + boottime_offset; }
  kernel::Duration until(kernel::Duration deadline) override {
    if (deadline > mono) mono = deadline;
    return kernel::Duration::zero();
  }
  // Moves time on and fires what is due, as the event loop would.
  void advance(kernel::Duration d, kernel::TimerQueue& timers) {
    mono += d;
    timers.fire_due(mono);
  }

  kernel::Duration mono{std::chrono::seconds(1000)};
  kernel::Duration realtime_offset{std::chrono::seconds(1'700'000'000)};
  kernel::Duration boottime_offset{std::chrono::seconds(5)};
};

// Counts notifications; as an exclusive waiter it says it woke someone when `wakes`.
class RecordingWaiter final : public kernel::Waiter {
 public:
  void notify(uint32_t events) override {
    ++count;
    last = events;
  }
  bool notify_exclusive(uint32_t events) override {
    notify(events);
    return wakes;
  }
  int count = 0;
  uint32_t last = 0;
  bool wakes = true;
};

// A pollable file whose readiness the test controls; set() notifies like a real file.
class FakeFile final : public fs::FileDescription {
 public:
  FakeFile() : FileDescription(O_RDWR) {}
  uint32_t readiness() override { return ready; }
  kernel::WaitQueue* wait_queue() override { return &queue; }
  void set(uint32_t events) {
    ready = events;
    if (events != 0) queue.notify(events);
  }
  uint32_t ready = 0;
  kernel::WaitQueue queue;
};

}  // namespace ms::testing

namespace ms::testing {

// A file whose queue behaves like a host file's: each waiter added arms a one-shot watch,
// and an event is only reported while armed.
class OneShotFile final : public fs::FileDescription {
 public:
  OneShotFile() : FileDescription(O_RDWR), queue(&OneShotFile::on_wait, this) {}
  uint32_t readiness() override { return ready; }
  kernel::WaitQueue* wait_queue() override { return &queue; }
  // New data arrives: reported only if someone armed the watch since the last report.
  void arrive(uint32_t events) {
    ready = events;
    if (!armed) return;
    armed = false;
    queue.notify(events);
  }
  static void on_wait(void* self, uint32_t /*events*/) {
    auto* f = static_cast<OneShotFile*>(self);
    f->armed = true;
    ++f->arms;
  }
  uint32_t ready = 0;
  bool armed = false;
  int arms = 0;
  kernel::WaitQueue queue;
};

}  // namespace ms::testing
