#include "sentry/kernel/futex.h"

#include "sentry/kernel/task.h"

namespace ms::kernel {

void FutexWaiter::notify(uint32_t /*events*/) {
  woken = true;
  task_.wake();
}

Result<FutexKey> FutexTable::key(Task& t, uint64_t addr, bool private_futex) {
  if (addr % sizeof(uint32_t) != 0) return fail(EINVAL);
  const mm::Vma* vma = t.mm().vmas().find(addr);
  if (vma == nullptr) return fail(EFAULT);
  if (!private_futex && vma->shared() && vma->file) {
    return FutexKey{vma->file.get(), vma->offset + (addr - vma->start)};
  }
  return FutexKey{&t.mm(), addr};
}

void FutexTable::enqueue(const FutexKey& key, FutexWaiter& w, uint32_t bitset) {
  w.woken = false;
  w.set_mask(bitset);
  queues_[key].add(w);
}

size_t FutexTable::wake(const FutexKey& key, size_t n, uint32_t bitset) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return 0;
  const size_t woken = it->second.wake_n(bitset, n);
  drop_if_empty(key);
  return woken;
}

size_t FutexTable::requeue(const FutexKey& from, const FutexKey& to, size_t n_wake,
                           size_t n_requeue) {
  auto it = queues_.find(from);
  if (it == queues_.end()) return 0;
  size_t done = it->second.wake_n(~0U, n_wake);
  if (n_requeue > 0 && !it->second.empty() && !(from == to)) {
    WaitQueue& dest = queues_[to];
    it = queues_.find(from);  // the insertion may have rehashed
    done += it->second.move_to(dest, n_requeue);
  }
  drop_if_empty(from);
  return done;
}

FutexWaiter* FutexTable::first_waiter(const FutexKey& key) const {
  auto it = queues_.find(key);
  if (it == queues_.end()) return nullptr;
  return static_cast<FutexWaiter*>(it->second.front());
}

size_t FutexTable::waiters(const FutexKey& key) const {
  auto it = queues_.find(key);
  return it == queues_.end() ? 0 : it->second.size();
}

void FutexTable::drop_if_empty(const FutexKey& key) {
  auto it = queues_.find(key);
  if (it != queues_.end() && it->second.empty()) queues_.erase(it);
}

}  // namespace ms::kernel
