// Wait queues: how a blocked task (or an epoll instance) learns that something it waits for
// may have happened. Task-independent, so fs/ and net/ objects own queues without knowing
// what waits on them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ms::kernel {

class WaitQueue;

// One registration on one queue. notify() runs inside WaitQueue::notify and must not add or
// remove waiters of that queue (a woken task unlinks itself later, when it runs again).
class Waiter {
 public:
  Waiter() = default;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  virtual ~Waiter();

  // events: the poll bits (POLLIN, POLLOUT, ...) that may have become true.
  virtual void notify(uint32_t events) = 0;
  // For an exclusive waiter: notify, and say whether that woke someone. Once one exclusive
  // waiter has, WaitQueue::notify skips the others (EPOLLEXCLUSIVE: one epoll instance takes
  // the wakeup instead of all of them).
  virtual bool notify_exclusive(uint32_t events) {
    notify(events);
    return true;
  }

  // Which events this waiter cares about; ~0 means all.
  uint32_t mask() const { return mask_; }
  void set_mask(uint32_t mask) { mask_ = mask; }
  bool exclusive() const { return exclusive_; }
  void set_exclusive(bool exclusive) { exclusive_ = exclusive; }
  bool linked() const { return queue_ != nullptr; }
  // Leaves the queue it is on, if any.
  void unlink();

 private:
  friend class WaitQueue;
  WaitQueue* queue_ = nullptr;
  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
  uint32_t mask_ = ~0U;
  bool exclusive_ = false;
};

class WaitQueue {
 public:
  // Told whenever a waiter is added, with the events it waits for: lets a queue whose events
  // come from outside the sentry (a host fd) start watching only while someone waits.
  using OnWait = void (*)(void* context, uint32_t events);

  WaitQueue() = default;
  WaitQueue(OnWait on_wait, void* context) : on_wait_(on_wait), on_wait_context_(context) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  ~WaitQueue();

  // A waiter is on at most one queue; adding it here first removes it from any other.
  void add(Waiter& waiter);
  void remove(Waiter& waiter);
  // Tells every waiter whose mask intersects events, in the order they were added, except
  // that after the first exclusive waiter that woke someone the other exclusive ones are
  // skipped. A waiter's notify may remove other waiters of this queue (a task waking up
  // leaves every queue it waited on), but must not add any.
  void notify(uint32_t events);
  // Wakes at most n waiters whose mask intersects events, in order, taking each off the
  // queue before telling it (futex wake semantics). Returns how many were woken.
  size_t wake_n(uint32_t events, size_t n);
  // Moves at most n waiters (any mask) to the end of `to` (futex requeue).
  size_t move_to(WaitQueue& to, size_t n);
  bool empty() const { return head_ == nullptr; }
  Waiter* front() const { return head_; }
  size_t size() const;

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  // The waiter notify() visits next; remove() moves it on when it removes that waiter.
  Waiter* notify_next_ = nullptr;
  OnWait on_wait_ = nullptr;
  void* on_wait_context_ = nullptr;
};

}  // namespace ms::kernel
