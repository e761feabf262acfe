#include "sentry/kernel/wait_queue.h"

namespace ms::kernel {

Waiter::~Waiter() {
  unlink();
}

void Waiter::unlink() {
  if (queue_ != nullptr) queue_->remove(*this);
}

WaitQueue::~WaitQueue() {
  while (head_ != nullptr)
    remove(*head_);
}

void WaitQueue::add(Waiter& waiter) {
  waiter.unlink();
  waiter.queue_ = this;
  waiter.prev_ = tail_;
  waiter.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &waiter;
  } else {
    head_ = &waiter;
  }
  tail_ = &waiter;
  if (on_wait_ != nullptr) on_wait_(on_wait_context_, waiter.mask_);
}

void WaitQueue::remove(Waiter& waiter) {
  if (waiter.queue_ != this) return;
  if (notify_next_ == &waiter) notify_next_ = waiter.next_;
  if (waiter.prev_ != nullptr) {
    waiter.prev_->next_ = waiter.next_;
  } else {
    head_ = waiter.next_;
  }
  if (waiter.next_ != nullptr) {
    waiter.next_->prev_ = waiter.prev_;
  } else {
    tail_ = waiter.prev_;
  }
  waiter.queue_ = nullptr;
  waiter.prev_ = waiter.next_ = nullptr;
}

void WaitQueue::notify(uint32_t events) {
  // A waiter's notify can wake a task that then leaves every queue it waited on, this one
  // included: the cursor lives in the queue so that remove() keeps it valid. Saved and
  // restored in case a notify reaches this queue again.
  Waiter* const outer_next = notify_next_;
  bool exclusive_woken = false;
  for (Waiter* w = head_; w != nullptr; w = notify_next_) {
    notify_next_ = w->next_;
    if ((w->mask_ & events) == 0) continue;
    if (!w->exclusive_) {
      w->notify(events);
    } else if (!exclusive_woken) {
      exclusive_woken = w->notify_exclusive(events);
    }
  }
  notify_next_ = outer_next;
}

}  // namespace ms::kernel

namespace ms::kernel {

size_t WaitQueue::wake_n(uint32_t events, size_t n) {
  size_t woken = 0;
  for (Waiter* w = head_; w != nullptr && woken < n;) {
    Waiter* next = w->next_;
    if ((w->mask_ & events) != 0) {
      remove(*w);
      w->notify(events);
      ++woken;
    }
    w = next;
  }
  return woken;
}

size_t WaitQueue::size() const {
  size_t n = 0;
  for (const Waiter* w = head_; w != nullptr; w = w->next_)
    ++n;
  return n;
}

size_t WaitQueue::move_to(WaitQueue& to, size_t n) {
  size_t moved = 0;
  while (head_ != nullptr && moved < n) {
    Waiter* w = head_;
    remove(*w);
    to.add(*w);
    ++moved;
  }
  return moved;
}

}  // namespace ms::kernel
