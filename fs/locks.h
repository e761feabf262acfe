// Advisory file locks of one inode. Record locks (fcntl F_SETLK) belong to a process and are
// dropped when that process closes any descriptor of the file; OFD locks (F_OFD_SETLK)
// belong to an open file description. The two kinds conflict with each other, as on Linux.
// flock(2) locks also belong to an open file description but live in their own space.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::fs {

inline constexpr int64_t kOffsetMax = INT64_MAX;

// Who holds a lock: a process (record locks) or an open file description (OFD and flock).
struct LockOwner {
  uint64_t id = 0;
  bool description = false;  // id is an open file description's address, not a pid
  bool operator==(const LockOwner&) const = default;

  static LockOwner process(int pid) { return {static_cast<uint64_t>(pid), false}; }
  static LockOwner file(const void* d) { return {reinterpret_cast<uintptr_t>(d), true}; }
};

struct RecordLock {
  int type = 0;  // F_RDLCK, F_WRLCK (F_UNLCK to unlock)
  int64_t start = 0;
  int64_t end = kOffsetMax;  // inclusive
  LockOwner owner;
  int pid = 0;  // what F_GETLK reports: the holder's pid, or -1 for an OFD lock
};

class FileLocks {
 public:
  // The first lock of another owner that conflicts with `want`, or nullopt.
  std::optional<RecordLock> conflict(const RecordLock& want) const;
  // Locks, converts or unlocks want's range for want.owner: EAGAIN if another owner's lock
  // conflicts (nothing changes then).
  Result<void> set(const RecordLock& want);
  // Drops every record lock of `owner`.
  void release(const LockOwner& owner);
  bool has_record_locks() const { return !records_.empty(); }
  const std::vector<RecordLock>& records() const { return records_; }

  // flock(2): op is LOCK_SH, LOCK_EX or LOCK_UN. Converting drops the old lock first, as
  // Linux does. EAGAIN (EWOULDBLOCK) on conflict.
  Result<void> flock(const void* description, int op);
  void release_flock(const void* description);

  // Notified whenever a lock goes away, for F_SETLKW and blocking flock waiters.
  kernel::WaitQueue& queue() { return queue_; }

 private:
  struct FlockEntry {
    const void* description;
    bool exclusive;
  };
  std::vector<RecordLock> records_;
  std::vector<FlockEntry> flocks_;
  kernel::WaitQueue queue_;
};

}  // namespace ms::fs

namespace ms::fs {

class Inode;

// The process side of record locks: which files a process holds locks on (they go when it
// exits) and which lock it waits for (F_SETLKW), to report EDEADLK instead of waiting
// forever in a cycle of processes.
class LockRegistry {
 public:
  void holds(int pid, const std::shared_ptr<Inode>& inode);
  void waiting(int pid, const std::shared_ptr<Inode>& inode, const RecordLock& want);
  void done_waiting(int pid) { waits_.erase(pid); }
  // Would pid, blocked by `blocker`, wait for itself through a chain of waiting processes?
  bool would_deadlock(int pid, const RecordLock& blocker) const;
  // Releases every record lock of the process.
  void process_exited(int pid);

 private:
  struct Wait {
    std::weak_ptr<Inode> inode;
    RecordLock want;
  };
  std::map<int, std::vector<std::weak_ptr<Inode>>> held_;
  std::map<int, Wait> waits_;
};

}  // namespace ms::fs
