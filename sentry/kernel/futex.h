// Futexes, owned by the sentry: wait queues keyed by the memory a futex word lives in.
// A private futex is keyed by its address space and address; a shared one by the mapped
// object and offset, so that MAP_SHARED memory between processes meets at one key.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "base/result.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::kernel {

class Task;

struct FutexKey {
  const void* object = nullptr;  // the address space, or the shared object mapped
  uint64_t offset = 0;           // the address, or the offset in the shared object
  bool operator==(const FutexKey&) const = default;
};

struct FutexKeyHash {
  size_t operator()(const FutexKey& k) const {
    return std::hash<const void*>()(k.object) ^ (std::hash<uint64_t>()(k.offset) << 1);
  }
};

// A task's place in a futex queue while it waits.
class FutexWaiter final : public Waiter {
 public:
  explicit FutexWaiter(Task& task) : task_(task) {}
  void notify(uint32_t events) override;
  Task& task() const { return task_; }
  // Set by a wake; the waiting syscall then returns 0.
  bool woken = false;

 private:
  Task& task_;
};

class FutexTable {
 public:
  // The key for the futex word at addr in t's address space (EFAULT if unmapped, EINVAL if
  // misaligned).
  Result<FutexKey> key(Task& t, uint64_t addr, bool private_futex);
  // Queues w (with its bitset) on key.
  void enqueue(const FutexKey& key, FutexWaiter& w, uint32_t bitset);
  // Wakes up to n waiters whose bitset intersects `bitset`.
  size_t wake(const FutexKey& key, size_t n, uint32_t bitset);
  // Wakes up to n_wake waiters on from, then moves up to n_requeue more to `to`; returns
  // the number woken plus moved.
  size_t requeue(const FutexKey& from, const FutexKey& to, size_t n_wake, size_t n_requeue);
  // The first waiter on key (nullptr if none) and how many wait there.
  FutexWaiter* first_waiter(const FutexKey& key) const;
  size_t waiters(const FutexKey& key) const;

 private:
  void drop_if_empty(const FutexKey& key);
  std::unordered_map<FutexKey, WaitQueue, FutexKeyHash> queues_;
};

}  // namespace ms::kernel
