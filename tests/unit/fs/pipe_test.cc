#include "fs/pipe.h"

#include <gtest/gtest.h>

#include <vector>

namespace ms::fs {
namespace {

std::vector<std::byte> bytes(size_t n, char c = 'x') {
  return std::vector<std::byte>(n, std::byte(c));
}

TEST(PipeTest, HoldsSixteenPagesAndKeepsSmallWritesWhole) {
  Pipe p;
  p.readers = p.writers = 1;
  auto big = bytes(1 << 20);
  EXPECT_EQ(*p.write(big, false), 65536u);
  EXPECT_EQ(errno_value(p.write(bytes(1), false).error()), EAGAIN);
  std::vector<std::byte> buf(100);
  EXPECT_EQ(*p.read(buf), 100u);
  // 100 bytes are free, but a write needs a whole free slot unless it fits in the last one.
  EXPECT_EQ(errno_value(p.write(bytes(100), false).error()), EAGAIN);
  std::vector<std::byte> rest(5000);
  EXPECT_EQ(*p.read(rest), 5000u);
  EXPECT_EQ(*p.write(bytes(4096), false), 4096u);
  EXPECT_EQ(p.bytes(), 65536u - 5100 + 4096);
}

TEST(PipeTest, MergesTailsAndPeeks) {
  Pipe p;
  p.readers = p.writers = 1;
  ASSERT_TRUE(p.write(bytes(10, 'a'), false));
  ASSERT_TRUE(p.write(bytes(10, 'b'), false));  // merged into the first page
  std::vector<std::byte> buf(15);
  EXPECT_EQ(p.peek(buf, 5), 15u);
  EXPECT_EQ(buf[4], std::byte('a'));
  EXPECT_EQ(buf[5], std::byte('b'));
  p.consume(12);
  EXPECT_EQ(p.bytes(), 8u);
}

TEST(PipeTest, PacketsAndEnds) {
  Pipe p;
  p.readers = p.writers = 1;
  ASSERT_TRUE(p.write(bytes(10, 'a'), true));
  ASSERT_TRUE(p.write(bytes(10, 'b'), true));
  std::vector<std::byte> buf(3);
  EXPECT_EQ(*p.read(buf), 3u);  // the rest of the first packet is dropped
  std::vector<std::byte> all(100);
  EXPECT_EQ(*p.read(all), 10u);
  EXPECT_EQ(errno_value(p.read(all).error()), EAGAIN);
  p.writers = 0;
  EXPECT_EQ(*p.read(all), 0u);
  p.readers = 0;
  EXPECT_EQ(errno_value(p.write(bytes(1), false).error()), EPIPE);
}

TEST(PipeTest, Capacity) {
  Pipe p;
  p.readers = p.writers = 1;
  EXPECT_EQ(*p.set_capacity(5000), 8192u);
  EXPECT_EQ(*p.set_capacity(0), 4096u);
  ASSERT_TRUE(p.write(bytes(4096), false));
  EXPECT_EQ(errno_value(p.write(bytes(1), false).error()), EAGAIN);
  ASSERT_TRUE(p.set_capacity(8192));
  ASSERT_TRUE(p.write(bytes(4096), false));
  EXPECT_EQ(errno_value(p.set_capacity(4096).error()), EBUSY);
  EXPECT_EQ(errno_value(p.set_capacity((1ULL << 31) + 1).error()), EINVAL);
}

}  // namespace
}  // namespace ms::fs
