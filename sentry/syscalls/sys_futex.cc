// futex(2): waiting and waking, served entirely by the sentry's futex table.
#include <linux/futex.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;

constexpr uint32_t kBitsetAny = FUTEX_BITSET_MATCH_ANY;

Result<timespec> read_timeout(kernel::Task& t, uint64_t addr) {
  const timespec ts = TRY(t.mm().read(mm::GuestPtr<timespec>(addr)));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return fail(EINVAL);
  return ts;
}

// Futex words change under the sentry's feet: the guest's other threads run meanwhile and
// update them with atomic instructions. Every change the sentry makes is a compare-and-
// exchange that fails if the word moved since it was read; the caller reads it again. A
// guest that keeps moving it wins nothing but EAGAIN after this many rounds.
constexpr int kCasRounds = 1000;

// Stores `desired` if the word still holds `seen`; false if it moved.
Result<bool> replace_word(kernel::Task& t, uint64_t addr, uint32_t seen, uint32_t desired) {
  const uint32_t found = TRY(t.mm().address_space().compare_exchange(addr, seen, desired));
  return found == seen;
}

Duration to_duration(const timespec& ts) {
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// FUTEX_WAIT and FUTEX_WAIT_BITSET. The first run checks the word and queues the task; a
// rerun either finds it woken (0) or reports why it stopped waiting.
SysRet futex_wait(kernel::Task& t, uint64_t addr, uint32_t expected, uint64_t timeout_addr,
                  bool absolute, bool realtime, uint32_t bitset, bool private_futex) {
  kernel::FutexWaiter& waiter = t.futex_waiter();
  if (t.syscall_progress == 1) {
    if (waiter.woken) return 0;
    auto parked = t.park();
    if (parked.error() != Errno{EPARKED}) waiter.unlink();
    return parked;
  }
  if (bitset == 0) return fail(EINVAL);
  std::optional<timespec> timeout;
  if (timeout_addr != 0) timeout = TRY(read_timeout(t, timeout_addr));
  const kernel::FutexKey key = TRY(t.kernel().futexes().key(t, addr, private_futex));
  const uint32_t value = TRY(t.mm().read(mm::GuestPtr<uint32_t>(addr)));
  if (value != expected) return fail(EAGAIN);
  if (timeout) {
    kernel::Clock& clock = t.kernel().clock();
    if (!absolute) {
      t.deadline_after(to_duration(*timeout));
    } else {
      const Duration now = realtime ? clock.realtime() : clock.monotonic();
      const Duration want = to_duration(*timeout);
      t.deadline_after(want > now ? want - now : Duration::zero());
    }
  }
  t.kernel().futexes().enqueue(key, waiter, bitset);
  t.syscall_progress = 1;
  auto parked = t.park();
  if (parked.error() != Errno{EPARKED}) waiter.unlink();
  return parked;
}

// FUTEX_WAKE_OP's operation on the second word, and its comparison.
Result<bool> wake_op(kernel::Task& t, uint64_t addr2, uint32_t encoded) {
  const uint32_t op = (encoded >> 28) & 0xf;
  const uint32_t cmp = (encoded >> 24) & 0xf;
  uint32_t oparg = (encoded >> 12) & 0xfff;
  const uint32_t cmparg = encoded & 0xfff;
  if ((op & FUTEX_OP_OPARG_SHIFT) != 0) oparg = 1U << (oparg & 31);
  uint32_t old = 0;
  for (int round = 0;; ++round) {
    if (round == kCasRounds) return fail(EAGAIN);
    old = TRY(t.mm().read(mm::GuestPtr<uint32_t>(addr2)));
    uint32_t next = 0;
    switch (op & ~static_cast<uint32_t>(FUTEX_OP_OPARG_SHIFT)) {
      case FUTEX_OP_SET:
        next = oparg;
        break;
      case FUTEX_OP_ADD:
        next = old + oparg;
        break;
      case FUTEX_OP_OR:
        next = old | oparg;
        break;
      case FUTEX_OP_ANDN:
        next = old & ~oparg;
        break;
      case FUTEX_OP_XOR:
        next = old ^ oparg;
        break;
      default:
        return fail(ENOSYS);
    }
    if (TRY(replace_word(t, addr2, old, next))) break;
  }
  const auto signed_old = static_cast<int32_t>(old);
  const auto signed_arg = static_cast<int32_t>(cmparg);
  bool result = false;
  switch (cmp) {
    case FUTEX_OP_CMP_EQ:
      result = signed_old == signed_arg;
      break;
    case FUTEX_OP_CMP_NE:
      result = signed_old != signed_arg;
      break;
    case FUTEX_OP_CMP_LT:
      result = signed_old < signed_arg;
      break;
    case FUTEX_OP_CMP_LE:
      result = signed_old <= signed_arg;
      break;
    case FUTEX_OP_CMP_GT:
      result = signed_old > signed_arg;
      break;
    case FUTEX_OP_CMP_GE:
      result = signed_old >= signed_arg;
      break;
    default:
      return fail(ENOSYS);
  }
  return result;
}

// FUTEX_LOCK_PI/LOCK_PI2/TRYLOCK_PI: the word holds the owner's tid; waiters queue until
// the owner's FUTEX_UNLOCK_PI hands the lock to the first of them. (No priority
// inheritance: the sentry does not schedule by priority.)
SysRet futex_lock_pi(kernel::Task& t, uint64_t addr, uint64_t timeout_addr, bool realtime,
                     bool try_only, bool private_futex) {
  kernel::FutexWaiter& waiter = t.futex_waiter();
  if (t.syscall_progress == 1) {
    if (waiter.woken) return 0;
    auto parked = t.park();
    if (parked.error() != Errno{EPARKED}) waiter.unlink();
    return parked;
  }
  std::optional<timespec> timeout;
  if (timeout_addr != 0 && !try_only) timeout = TRY(read_timeout(t, timeout_addr));
  kernel::FutexTable& table = t.kernel().futexes();
  const kernel::FutexKey key = TRY(table.key(t, addr, private_futex));
  const auto tid = static_cast<uint32_t>(t.tid());
  for (int round = 0;; ++round) {
    if (round == kCasRounds) return fail(EAGAIN);
    const uint32_t word = TRY(t.mm().read(mm::GuestPtr<uint32_t>(addr)));
    const uint32_t owner = word & FUTEX_TID_MASK;
    kernel::Task* owner_task = owner != 0 ? t.kernel().find_task(static_cast<int>(owner)) : nullptr;
    const bool owner_gone =
        owner != 0 && (owner_task == nullptr || owner_task->state() == kernel::Task::State::kDead);
    if (owner == 0 || (owner_gone && (word & FUTEX_OWNER_DIED) != 0)) {
      const uint32_t taken =
          tid | (word & FUTEX_OWNER_DIED) | (table.waiters(key) > 0 ? FUTEX_WAITERS : 0);
      if (TRY(replace_word(t, addr, word, taken))) return 0;
      continue;
    }
    if (owner == tid) return fail(EDEADLK);
    if (owner_gone) return fail(ESRCH);
    if (try_only) return fail(EAGAIN);
    if ((word & FUTEX_WAITERS) != 0 || TRY(replace_word(t, addr, word, word | FUTEX_WAITERS))) {
      break;
    }
  }
  if (timeout) {
    kernel::Clock& clock = t.kernel().clock();
    const Duration now = realtime ? clock.realtime() : clock.monotonic();
    const Duration want = to_duration(*timeout);
    t.deadline_after(want > now ? want - now : Duration::zero());
  }
  table.enqueue(key, waiter, kBitsetAny);
  t.syscall_progress = 1;
  auto parked = t.park();
  if (parked.error() != Errno{EPARKED}) waiter.unlink();
  return parked;
}

SysRet futex_unlock_pi(kernel::Task& t, uint64_t addr, bool private_futex) {
  kernel::FutexTable& table = t.kernel().futexes();
  const kernel::FutexKey key = TRY(table.key(t, addr, private_futex));
  kernel::FutexWaiter* next = table.first_waiter(key);
  const size_t queued = table.waiters(key);
  // The lock goes to the first waiter, with FUTEX_WAITERS if more wait; or it is free.
  const uint32_t handed = next == nullptr ? 0U
                                          : static_cast<uint32_t>(next->task().tid()) |
                                                (queued > 1 ? FUTEX_WAITERS : 0);
  for (int round = 0;; ++round) {
    if (round == kCasRounds) return fail(EAGAIN);
    const uint32_t word = TRY(t.mm().read(mm::GuestPtr<uint32_t>(addr)));
    if ((word & FUTEX_TID_MASK) != static_cast<uint32_t>(t.tid())) return fail(EPERM);
    if (TRY(replace_word(t, addr, word, handed))) break;
  }
  if (next == nullptr) return 0;
  table.wake(key, 1, kBitsetAny);
  return 0;
}

}  // namespace

SysRet sys_futex(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t addr = a[0];
  const int op = static_cast<int>(a[1]);
  const auto val = static_cast<uint32_t>(a[2]);
  const uint64_t timeout_or_val2 = a[3];
  const uint64_t addr2 = a[4];
  const auto val3 = static_cast<uint32_t>(a[5]);
  const int cmd = op & FUTEX_CMD_MASK;
  const bool private_futex = (op & FUTEX_PRIVATE_FLAG) != 0;
  const bool realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
  if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
      cmd != FUTEX_LOCK_PI2) {
    return fail(ENOSYS);
  }
  kernel::FutexTable& table = t.kernel().futexes();
  switch (cmd) {
    case FUTEX_WAIT:
      return futex_wait(t, addr, val, timeout_or_val2, false, false, kBitsetAny, private_futex);
    case FUTEX_WAIT_BITSET:
      return futex_wait(t, addr, val, timeout_or_val2, true, realtime, val3, private_futex);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const uint32_t bitset = cmd == FUTEX_WAKE ? kBitsetAny : val3;
      if (bitset == 0) return fail(EINVAL);
      const kernel::FutexKey key = TRY(table.key(t, addr, private_futex));
      return table.wake(key, val, bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      const auto n_requeue = static_cast<int32_t>(timeout_or_val2);
      if (static_cast<int32_t>(val) < 0 || n_requeue < 0) return fail(EINVAL);
      const kernel::FutexKey from = TRY(table.key(t, addr, private_futex));
      const kernel::FutexKey to = TRY(table.key(t, addr2, private_futex));
      if (cmd == FUTEX_CMP_REQUEUE) {
        const uint32_t current = TRY(t.mm().read(mm::GuestPtr<uint32_t>(addr)));
        if (current != val3) return fail(EAGAIN);
      }
      return table.requeue(from, to, val, static_cast<size_t>(n_requeue));
    }
    case FUTEX_WAKE_OP: {
      const kernel::FutexKey key1 = TRY(table.key(t, addr, private_futex));
      const kernel::FutexKey key2 = TRY(table.key(t, addr2, private_futex));
      const bool wake_second = TRY(wake_op(t, addr2, val3));
      size_t woken = table.wake(key1, val, kBitsetAny);
      if (wake_second) {
        woken += table.wake(key2, static_cast<uint32_t>(timeout_or_val2), kBitsetAny);
      }
      return woken;
    }
    case FUTEX_LOCK_PI:
      // FUTEX_LOCK_PI's timeout is an absolute CLOCK_REALTIME time.
      return futex_lock_pi(t, addr, timeout_or_val2, true, false, private_futex);
    case FUTEX_LOCK_PI2:
      return futex_lock_pi(t, addr, timeout_or_val2, realtime, false, private_futex);
    case FUTEX_TRYLOCK_PI:
      return futex_lock_pi(t, addr, 0, false, true, private_futex);
    case FUTEX_UNLOCK_PI:
      return futex_unlock_pi(t, addr, private_futex);
    default:
      // FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI (PI condition variables) are missing.
      return fail(ENOSYS);
  }
}

}  // namespace ms::sys
