#include "net/sim_link.h"

#include <algorithm>

namespace ms::net {
namespace {

// A reordered packet is held back by up to this much more than the link's delay (or twice
// the delay when that is longer), so that the packets sent just after it overtake it.
constexpr kernel::Duration kMinReorderJitter = std::chrono::microseconds(300);

}  // namespace

SimLink::SimLink(kernel::Clock& clock, kernel::TimerQueue& timers, const LinkFaults& faults)
    : clock_(clock), timers_(timers), faults_(faults), rng_(faults.seed) {}

SimLink::~SimLink() {
  if (timer_) timers_.cancel(*timer_);
}

void SimLink::set_faults(const LinkFaults& faults) {
  faults_ = faults;
  rng_ = Rng(faults.seed);
}

void SimLink::transmit(Packet packet) {
  ++stats_.transmitted;
  stats_.bytes += packet.size();
  if (faults_.clean() && faults_.delay.count() == 0) {
    due_.push_back(std::move(packet));
    return;
  }
  if (rng_.chance(faults_.loss)) {
    ++stats_.dropped;
    return;
  }
  const bool dup = rng_.chance(faults_.dup);
  auto delay_for = [&] {
    kernel::Duration d = faults_.delay;
    if (rng_.chance(faults_.reorder)) {
      ++stats_.reordered;
      const kernel::Duration span = std::max(kMinReorderJitter, 2 * faults_.delay);
      d += kernel::Duration(1 + static_cast<int64_t>(rng_.below(span.count())));
    }
    return d;
  };
  if (dup) {
    ++stats_.duplicated;
    Packet copy;
    copy.header = packet.header;
    copy.header_len = packet.header_len;
    copy.payload = packet.payload;
    enqueue(std::move(copy), delay_for());
  }
  enqueue(std::move(packet), delay_for());
}

void SimLink::enqueue(Packet packet, kernel::Duration delay) {
  if (delay.count() == 0) {
    due_.push_back(std::move(packet));
    return;
  }
  delayed_.emplace(clock_.monotonic() + delay, std::move(packet));
  arm_timer();
}

void SimLink::arm_timer() {
  if (delayed_.empty()) return;
  const kernel::Duration first = delayed_.begin()->first;
  if (timer_ && timer_at_ <= first) return;
  if (timer_) timers_.cancel(*timer_);
  timer_at_ = first;
  timer_ = timers_.schedule(first, [this] {
    timer_.reset();
    on_timer();
  });
}

void SimLink::on_timer() {
  const kernel::Duration now = clock_.monotonic();
  bool moved = false;
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto node = delayed_.extract(delayed_.begin());
    due_.push_back(std::move(node.mapped()));
    moved = true;
  }
  arm_timer();
  if (moved && receiver_ != nullptr) receiver_->link_ready();
}

bool SimLink::pop(Packet& out) {
  if (due_.empty()) return false;
  out = std::move(due_.front());
  due_.pop_front();
  ++stats_.delivered;
  return true;
}

}  // namespace ms::net
