#include "fs/locks.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>

#include <algorithm>

#include "fs/inode.h"

namespace ms::fs {
namespace {

bool overlap(const RecordLock& a, const RecordLock& b) {
  return a.start <= b.end && b.start <= a.end;
}

bool conflicts(const RecordLock& held, const RecordLock& want) {
  if (held.owner == want.owner) return false;
  if (!overlap(held, want)) return false;
  return held.type == F_WRLCK || want.type == F_WRLCK;
}

// Adjacent ranges of the same type merge, so a lock extended piece by piece stays one lock.
bool touches(const RecordLock& a, const RecordLock& b) {
  const bool a_before_b = a.end != kOffsetMax && a.end + 1 == b.start;
  const bool b_before_a = b.end != kOffsetMax && b.end + 1 == a.start;
  return overlap(a, b) || a_before_b || b_before_a;
}

}  // namespace

std::optional<RecordLock> FileLocks::conflict(const RecordLock& want) const {
  for (const RecordLock& held : records_) {
    if (conflicts(held, want)) return held;
  }
  return std::nullopt;
}

Result<void> FileLocks::set(const RecordLock& want) {
  if (want.type != F_UNLCK && conflict(want)) return fail(EAGAIN);
  RecordLock added = want;
  std::vector<RecordLock> kept;
  kept.reserve(records_.size() + 2);
  bool released = false;
  for (const RecordLock& held : records_) {
    if (!(held.owner == want.owner)) {
      kept.push_back(held);
      continue;
    }
    if (want.type != F_UNLCK && held.type == want.type && touches(held, want)) {
      added.start = std::min(added.start, held.start);
      added.end = std::max(added.end, held.end);
      continue;
    }
    if (!overlap(held, want)) {
      kept.push_back(held);
      continue;
    }
    // The parts of the old lock outside the new range survive.
    released = true;
    if (held.start < want.start) {
      RecordLock left = held;
      left.end = want.start - 1;
      kept.push_back(left);
    }
    if (held.end > want.end) {
      RecordLock right = held;
      right.start = want.end + 1;
      kept.push_back(right);
    }
  }
  if (want.type != F_UNLCK) kept.push_back(added);
  records_ = std::move(kept);
  if (released) queue_.notify(POLLIN | POLLOUT);
  return {};
}

void FileLocks::release(const LockOwner& owner) {
  const size_t before = records_.size();
  std::erase_if(records_, [&](const RecordLock& l) { return l.owner == owner; });
  if (records_.size() != before) queue_.notify(POLLIN | POLLOUT);
}

Result<void> FileLocks::flock(const void* description, int op) {
  auto mine = std::find_if(flocks_.begin(), flocks_.end(),
                           [&](const FlockEntry& e) { return e.description == description; });
  const bool exclusive = op == LOCK_EX;
  if (mine != flocks_.end()) {
    if (op != LOCK_UN && mine->exclusive == exclusive) return {};
    flocks_.erase(mine);
    queue_.notify(POLLIN | POLLOUT);
  }
  if (op == LOCK_UN) return {};
  for (const FlockEntry& e : flocks_) {
    if (exclusive || e.exclusive) return fail(EAGAIN);
  }
  flocks_.push_back({description, exclusive});
  return {};
}

void FileLocks::release_flock(const void* description) {
  const size_t before = flocks_.size();
  std::erase_if(flocks_, [&](const FlockEntry& e) { return e.description == description; });
  if (flocks_.size() != before) queue_.notify(POLLIN | POLLOUT);
}

void LockRegistry::holds(int pid, const std::shared_ptr<Inode>& inode) {
  auto& files = held_[pid];
  std::erase_if(files, [](const std::weak_ptr<Inode>& w) { return w.expired(); });
  for (const auto& w : files) {
    if (w.lock() == inode) return;
  }
  files.push_back(inode);
}

void LockRegistry::waiting(int pid, const std::shared_ptr<Inode>& inode, const RecordLock& want) {
  waits_[pid] = Wait{inode, want};
}

bool LockRegistry::would_deadlock(int pid, const RecordLock& blocker) const {
  // Linux follows at most this many links of the chain (MAX_DEADLK_ITERATIONS).
  constexpr int kMaxChain = 10;
  LockOwner owner = blocker.owner;
  for (int i = 0; i < kMaxChain; ++i) {
    if (owner.description) return false;
    if (owner.id == static_cast<uint64_t>(pid)) return true;
    auto it = waits_.find(static_cast<int>(owner.id));
    if (it == waits_.end()) return false;
    auto inode = it->second.inode.lock();
    if (!inode || !inode->has_locks()) return false;
    auto next = inode->locks().conflict(it->second.want);
    if (!next) return false;
    owner = next->owner;
  }
  return false;
}

void LockRegistry::process_exited(int pid) {
  waits_.erase(pid);
  auto it = held_.find(pid);
  if (it == held_.end()) return;
  for (const auto& w : it->second) {
    if (auto inode = w.lock(); inode && inode->has_locks()) {
      inode->locks().release(LockOwner::process(pid));
    }
  }
  held_.erase(it);
}

}  // namespace ms::fs
