#include "fs/mount_spec.h"

#include <gtest/gtest.h>

namespace ms::fs {
namespace {

TEST(MountSpecTest, ParsesBinds) {
  auto b = parse_bind("/srv/data:/data:rw");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "/srv/data");
  EXPECT_EQ(b->guest, "/data");
  EXPECT_TRUE(b->writable);
  auto ro = parse_bind("/x://mnt/./y/");
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->guest, "/mnt/y");
  EXPECT_FALSE(ro->writable);
  EXPECT_TRUE(parse_bind("/x:/y:ro"));
}

TEST(MountSpecTest, RejectsBadSpecs) {
  EXPECT_FALSE(parse_bind("/only"));
  EXPECT_FALSE(parse_bind(":/data"));
  EXPECT_FALSE(parse_bind("/x:data"));
  EXPECT_FALSE(parse_bind("/x:/a/../b"));
  EXPECT_FALSE(parse_bind("/x:/"));
  EXPECT_FALSE(parse_bind("/x:/y:rx"));
  EXPECT_FALSE(parse_bind("/x:/y:rw:extra"));
  EXPECT_NE(parse_bind("/x:/y:rx").error().find("neither ro nor rw"), std::string::npos);
}

}  // namespace
}  // namespace ms::fs
