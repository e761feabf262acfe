#include "fs/eventfd.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/unit/wait/fakes.h"

namespace ms::fs {
namespace {

using testing::RecordingWaiter;

Result<size_t> write_u64(EventFd& e, uint64_t v) {
  std::byte buf[8];
  std::memcpy(buf, &v, 8);
  return e.write(buf);
}

Result<uint64_t> read_u64(EventFd& e) {
  std::byte buf[16];
  const size_t n = TRY(e.read(buf));
  EXPECT_EQ(n, 8U);
  uint64_t v = 0;
  std::memcpy(&v, buf, 8);
  return v;
}

TEST(EventFd, ReadTakesTheWholeCounter) {
  EventFd e(5, false, 0);
  EXPECT_EQ(*write_u64(e, 3), 8U);
  EXPECT_EQ(*read_u64(e), 8U);
  EXPECT_EQ(read_u64(e).error(), Errno{EAGAIN});
}

TEST(EventFd, SemaphoreReadTakesOne) {
  EventFd e(2, true, 0);
  EXPECT_EQ(*read_u64(e), 1U);
  EXPECT_EQ(*read_u64(e), 1U);
  EXPECT_EQ(read_u64(e).error(), Errno{EAGAIN});
}

TEST(EventFd, ShortBuffersAndTheForbiddenValueAreEinval) {
  EventFd e(1, false, 0);
  std::byte small[7] = {};
  EXPECT_EQ(e.read(small).error(), Errno{EINVAL});
  EXPECT_EQ(e.write(small).error(), Errno{EINVAL});
  EXPECT_EQ(write_u64(e, ~uint64_t{0}).error(), Errno{EINVAL});
  EXPECT_EQ(e.count(), 1U);
}

TEST(EventFd, OverflowWaitsForRoom) {
  EventFd e(EventFd::kMax - 1, false, 0);
  EXPECT_EQ(e.readiness(), static_cast<uint32_t>(POLLIN | POLLOUT));
  EXPECT_EQ(*write_u64(e, 1), 8U);
  EXPECT_EQ(e.count(), EventFd::kMax);
  EXPECT_EQ(e.readiness(), static_cast<uint32_t>(POLLIN)) << "full: not writable";
  EXPECT_EQ(write_u64(e, 1).error(), Errno{EAGAIN});
  EXPECT_EQ(*write_u64(e, 0), 8U) << "adding nothing always fits";
  EXPECT_EQ(*read_u64(e), EventFd::kMax);
  EXPECT_EQ(e.readiness(), static_cast<uint32_t>(POLLOUT));
}

TEST(EventFd, WakesReadersOnWriteAndWritersOnRead) {
  EventFd e(0, false, 0);
  RecordingWaiter readers, writers;
  readers.set_mask(POLLIN);
  writers.set_mask(POLLOUT);
  e.wait_queue()->add(readers);
  e.wait_queue()->add(writers);
  ASSERT_TRUE(write_u64(e, 0));
  EXPECT_EQ(readers.count, 1) << "even adding 0 wakes readers, as in Linux";
  ASSERT_TRUE(write_u64(e, 4));
  ASSERT_TRUE(read_u64(e));
  EXPECT_EQ(readers.count, 2);
  EXPECT_EQ(writers.count, 1);
}

TEST(EventFd, KeepsOnlyNonblockFromTheFlags) {
  EventFd e(0, false, O_NONBLOCK | O_CLOEXEC);
  EXPECT_TRUE(e.nonblocking());
  EXPECT_EQ(e.flags() & O_CLOEXEC, 0);
  EXPECT_EQ(e.flags() & O_ACCMODE, O_RDWR);
}

}  // namespace
}  // namespace ms::fs
