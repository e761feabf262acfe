#include "net/buffer.h"

#include <gtest/gtest.h>

#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using testing::bytes;
using testing::text;

TEST(ByteQueue, AppendsAndConsumesInOrder) {
  ByteQueue q;
  q.append_copy(bytes("hello "));
  q.append_copy(bytes("world"));
  EXPECT_EQ(q.size(), 11u);
  std::vector<std::byte> out(5);
  EXPECT_EQ(q.copy_out(out, 6), 5u);
  EXPECT_EQ(text(out), "world");
  q.consume(6);
  out.assign(20, std::byte{0});
  EXPECT_EQ(q.copy_out(out), 5u);
  EXPECT_EQ(text(std::span(out).first(5)), "world");
}

TEST(ByteQueue, SmallAppendsShareOneChunk) {
  ByteQueue q;
  for (int i = 0; i < 1000; ++i)
    q.append_copy(bytes("x"));
  Payload all = q.share(0, 1000);
  EXPECT_EQ(all.slices().size(), 1u);  // one slice of one chunk
  EXPECT_EQ(all.size(), 1000u);
}

TEST(ByteQueue, SharedBytesStayValidAfterConsume) {
  ByteQueue q;
  const auto data = testing::pattern(100000, 3);
  q.append_copy(data);
  Payload p = q.share(40000, 30000);
  q.consume(100000);
  q.append_copy(testing::pattern(50000, 4));  // must not overwrite what p sees
  EXPECT_EQ(p.to_vector(), std::vector<std::byte>(data.begin() + 40000, data.begin() + 70000));
}

TEST(ByteQueue, LargeAppendsSpanChunks) {
  ByteQueue q;
  const auto data = testing::pattern(3 << 20, 5);
  q.append_copy(data);
  EXPECT_EQ(q.size(), data.size());
  std::vector<std::byte> out(data.size());
  EXPECT_EQ(q.copy_out(out), data.size());
  EXPECT_EQ(out, data);
  Payload mid = q.share((1 << 20) - 10, 20);  // straddles two chunks
  EXPECT_EQ(mid.slices().size(), 2u);
  EXPECT_EQ(mid.to_vector(),
            std::vector<std::byte>(data.begin() + (1 << 20) - 10, data.begin() + (1 << 20) + 10));
}

TEST(Payload, SubAndCopy) {
  Payload p = Payload::copy_of(bytes("abcdefgh"));
  Payload s = p.sub(2, 4);
  EXPECT_EQ(text(s.to_vector()), "cdef");
  std::vector<std::byte> out(3);
  EXPECT_EQ(s.copy_to(out, 1), 3u);
  EXPECT_EQ(text(out), "def");
  EXPECT_TRUE(p.sub(8, 0).empty());
}

}  // namespace
}  // namespace ms::net
