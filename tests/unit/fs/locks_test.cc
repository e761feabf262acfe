#include "fs/locks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include "fs/inode.h"

namespace ms::fs {
namespace {

RecordLock lock(int type, int64_t start, int64_t end, int pid) {
  return RecordLock{type, start, end, LockOwner::process(pid), pid};
}

TEST(FileLocksTest, ConflictsOnlyBetweenOwnersAndWithWriters) {
  FileLocks l;
  ASSERT_TRUE(l.set(lock(F_RDLCK, 0, 9, 1)));
  EXPECT_TRUE(l.set(lock(F_RDLCK, 5, 15, 2)));  // readers share
  EXPECT_EQ(errno_value(l.set(lock(F_WRLCK, 9, 9, 3)).error()), EAGAIN);
  EXPECT_TRUE(l.set(lock(F_WRLCK, 16, 20, 3)));  // no overlap
  // Converting to a write lock is refused where another owner reads, allowed elsewhere.
  EXPECT_EQ(errno_value(l.set(lock(F_WRLCK, 0, 9, 1)).error()), EAGAIN);
  EXPECT_TRUE(l.set(lock(F_WRLCK, 0, 4, 1)));
  auto c = l.conflict(lock(F_RDLCK, 3, 3, 2));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pid, 1);
}

TEST(FileLocksTest, UnlockingSplitsAndNeighboursMerge) {
  FileLocks l;
  ASSERT_TRUE(l.set(lock(F_WRLCK, 0, 99, 1)));
  ASSERT_TRUE(l.set(lock(F_UNLCK, 40, 59, 1)));
  ASSERT_EQ(l.records().size(), 2u);
  EXPECT_FALSE(l.conflict(lock(F_WRLCK, 40, 59, 2)));
  EXPECT_TRUE(l.conflict(lock(F_WRLCK, 39, 39, 2)));
  EXPECT_TRUE(l.conflict(lock(F_WRLCK, 60, 60, 2)));
  // Filling the gap with the same type merges all three pieces into one lock.
  ASSERT_TRUE(l.set(lock(F_WRLCK, 40, 59, 1)));
  ASSERT_EQ(l.records().size(), 1u);
  EXPECT_EQ(l.records()[0].start, 0);
  EXPECT_EQ(l.records()[0].end, 99);
  // To the end of the file.
  ASSERT_TRUE(l.set(lock(F_RDLCK, 200, kOffsetMax, 1)));
  EXPECT_TRUE(l.conflict(lock(F_WRLCK, 1LL << 60, 1LL << 60, 2)));
  l.release(LockOwner::process(1));
  EXPECT_FALSE(l.has_record_locks());
}

TEST(FileLocksTest, DescriptionsOwnOfdAndFlockLocks) {
  FileLocks l;
  int a = 0;
  int b = 0;
  RecordLock ofd{F_WRLCK, 0, 0, LockOwner::file(&a), -1};
  ASSERT_TRUE(l.set(ofd));
  // A process lock of the same process still conflicts with an OFD lock.
  EXPECT_EQ(errno_value(l.set(lock(F_RDLCK, 0, 0, 1)).error()), EAGAIN);
  ASSERT_TRUE(l.flock(&a, LOCK_SH));
  ASSERT_TRUE(l.flock(&b, LOCK_SH));
  EXPECT_EQ(errno_value(l.flock(&b, LOCK_EX).error()), EAGAIN);
  // The failed conversion dropped b's shared lock, as Linux's does.
  ASSERT_TRUE(l.flock(&a, LOCK_EX));
  l.release_flock(&a);
  EXPECT_TRUE(l.flock(&b, LOCK_EX));
}

// An inode with nothing but locks.
class Fake final : public Inode {
 public:
  Fake() : Inode(nullptr, S_IFREG) {}
  Result<Stat> stat() override { return Stat{}; }
};

TEST(LockRegistryTest, DetectsACycleOfWaiters) {
  auto x = std::make_shared<Fake>();
  auto y = std::make_shared<Fake>();
  LockRegistry reg;
  ASSERT_TRUE(x->locks().set(lock(F_WRLCK, 0, 0, 1)));
  ASSERT_TRUE(y->locks().set(lock(F_WRLCK, 0, 0, 2)));
  reg.holds(1, x);
  reg.holds(2, y);
  // 1 waits for y (held by 2); 2 asking for x (held by 1) closes the cycle.
  reg.waiting(1, y, lock(F_WRLCK, 0, 0, 1));
  EXPECT_TRUE(reg.would_deadlock(2, *x->locks().conflict(lock(F_WRLCK, 0, 0, 2))));
  EXPECT_FALSE(reg.would_deadlock(3, *x->locks().conflict(lock(F_WRLCK, 0, 0, 3))));
  reg.process_exited(1);
  EXPECT_FALSE(x->locks().conflict(lock(F_WRLCK, 0, 0, 2)));
}

}  // namespace
}  // namespace ms::fs
