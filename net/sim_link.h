// The sandbox's own wire: a link that delivers what it is given back to its receiver, after
// dropping, duplicating, delaying and reordering packets as its LinkFaults say, from a seed.
// Time is the sentry's Clock and TimerQueue, so a virtual clock makes a run reproducible.
#pragma once

#include <deque>
#include <map>
#include <optional>

#include "net/link.h"
#include "net/link_faults.h"
#include "net/rng.h"
#include "sentry/kernel/clock.h"

namespace ms::net {

class SimLink final : public Link {
 public:
  SimLink(kernel::Clock& clock, kernel::TimerQueue& timers, const LinkFaults& faults);
  ~SimLink() override;

  void transmit(Packet packet) override;
  bool pop(Packet& out) override;

  const LinkFaults& faults() const { return faults_; }
  void set_faults(const LinkFaults& faults);
  // Packets held back by a delay.
  size_t in_flight() const { return delayed_.size(); }

 private:
  void enqueue(Packet packet, kernel::Duration delay);
  void arm_timer();
  void on_timer();

  kernel::Clock& clock_;
  kernel::TimerQueue& timers_;
  LinkFaults faults_;
  Rng rng_;
  std::deque<Packet> due_;
  // Delivery time -> packet; equal times keep their order.
  std::multimap<kernel::Duration, Packet> delayed_;
  std::optional<kernel::TimerQueue::TimerId> timer_;
  kernel::Duration timer_at_{0};
};

}  // namespace ms::net
