#include <sys/mman.h>
#include <sys/xattr.h>

#include <cstring>

#include "tests/unit/fs/vfs_fixture.h"

namespace ms::fs::testing {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST_F(VfsTest, TmpfsSparseFilesReadZeros) {
  auto f = open("/sparse", O_RDWR | O_CREAT);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->pwrite(bytes("end"), 10000));
  std::byte buf[10003];
  auto n = (*f)->pread(buf, 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 10003u);
  for (int i = 0; i < 10000; ++i)
    ASSERT_EQ(buf[i], std::byte{0}) << i;
  EXPECT_EQ(std::memcmp(buf + 10000, "end", 3), 0);
  // Pages 0 and 1 are holes, page 2 holds data.
  EXPECT_EQ(*(*f)->seek(0, SEEK_DATA), 8192u);
  EXPECT_EQ(*(*f)->seek(0, SEEK_HOLE), 0u);
  EXPECT_EQ(*(*f)->seek(8192, SEEK_HOLE), 10003u);
  EXPECT_EQ(error_of((*f)->seek(10003, SEEK_DATA)), ENXIO);
  EXPECT_EQ((*f)->stat()->blocks, 8u);
}

TEST_F(VfsTest, TmpfsGrowsIntoMemfdAndKeepsData) {
  auto f = open("/big", O_RDWR | O_CREAT);
  ASSERT_TRUE(f);
  std::string chunk(100000, 'a');
  ASSERT_TRUE((*f)->write(bytes(chunk)));
  chunk.assign(100000, 'b');
  ASSERT_TRUE((*f)->write(bytes(chunk)));  // crosses kInlineMax
  EXPECT_EQ((*f)->stat()->size, 200000u);
  const std::string all = read_file("/big");
  ASSERT_EQ(all.size(), 200000u);
  EXPECT_EQ(all[99999], 'a');
  EXPECT_EQ(all[100000], 'b');
  auto target = (*f)->mmap_target(true);
  ASSERT_TRUE(target);
  // The memfd is the file: what a shared mapping writes, read() sees.
  void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, target->host_fd, 0);
  ASSERT_NE(m, MAP_FAILED);
  std::memcpy(m, "MAPPED", 6);
  munmap(m, 4096);
  EXPECT_EQ(read_file("/big").substr(0, 6), "MAPPED");
}

TEST_F(VfsTest, TmpfsTruncateShrinkAndGrowZeroes) {
  write_file("/t", "abcdefgh");
  auto p = resolve("/t");
  ASSERT_TRUE(vfs.truncate(as_root(), *p, 3, true));
  EXPECT_EQ(read_file("/t"), "abc");
  ASSERT_TRUE(vfs.truncate(as_root(), *p, 6, true));
  EXPECT_EQ(read_file("/t"), std::string("abc\0\0\0", 6));
  auto f = open("/t", O_WRONLY | O_TRUNC);
  ASSERT_TRUE(f);
  EXPECT_EQ(read_file("/t"), "");
}

TEST_F(VfsTest, TmpfsAppendAndOffsets) {
  write_file("/a", "12345");
  auto f = open("/a", O_RDWR | O_APPEND);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->write(bytes("67")));
  EXPECT_EQ((*f)->position(), 7u);
  ASSERT_TRUE((*f)->pwrite(bytes("89"), 0));  // O_APPEND wins over the offset
  EXPECT_EQ(read_file("/a"), "123456789");
  EXPECT_EQ(*(*f)->seek(-2, SEEK_END), 7u);
  EXPECT_EQ(error_of((*f)->seek(-100, SEEK_CUR)), EINVAL);
}

TEST_F(VfsTest, TmpfsDirectoryListingIsStableAcrossChanges) {
  mkdir("/d");
  for (int i = 0; i < 5; ++i)
    write_file("/d/f" + std::to_string(i), "");
  EXPECT_EQ(list("/d"), (std::vector<std::string>{".", "..", "f0", "f1", "f2", "f3", "f4"}));
  auto dir = open("/d", O_RDONLY);
  ASSERT_TRUE(dir);
  std::vector<std::string> seen;
  ASSERT_TRUE((*dir)->readdir([&](const DirEntry& e, uint64_t) {
    if (seen.size() == 3) return false;  // a full buffer: the entry stays unread
    seen.emplace_back(e.name);
    return true;
  }));
  // Removing an entry already read and one not yet read: the rest continues in order.
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/d/f0"));
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/d/f3"));
  ASSERT_TRUE((*dir)->readdir([&](const DirEntry& e, uint64_t) {
    seen.emplace_back(e.name);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{".", "..", "f0", "f1", "f2", "f4"}));
  EXPECT_EQ(resolve("/d")->inode().stat()->size, 5u * 20);
}

TEST_F(VfsTest, TmpfsExtendedAttributes) {
  write_file("/x", "");
  const Path held = *resolve("/x");
  Inode& inode = held.inode();
  EXPECT_EQ(error_of(inode.getxattr("user.k")), ENODATA);
  ASSERT_TRUE(inode.setxattr("user.k", "v", 0));
  EXPECT_EQ(*inode.getxattr("user.k"), "v");
  EXPECT_EQ(error_of(inode.setxattr("user.k", "w", XATTR_CREATE)), EEXIST);
  EXPECT_EQ(error_of(inode.setxattr("user.n", "w", XATTR_REPLACE)), ENODATA);
  EXPECT_EQ(error_of(inode.setxattr("system.posix_acl_access", "", 0)), EOPNOTSUPP);
  EXPECT_EQ(inode.listxattr()->size(), 1u);
  ASSERT_TRUE(inode.removexattr("user.k"));
  EXPECT_EQ(error_of(inode.removexattr("user.k")), ENODATA);
}

TEST_F(VfsTest, PermissionChecksForUsers) {
  mkdir("/pub", 0777);
  write_file("/pub/ro", "r");
  ASSERT_TRUE(vfs.chmod(as_root(), *resolve("/pub/ro"), 0444));
  auto w = vfs.open(as_user(), ctx.cwd, "/pub/ro", OpenHow{.flags = O_WRONLY});
  EXPECT_EQ(error_of(w), EACCES);
  // Root writes anyway, but does not execute what nobody may execute.
  EXPECT_TRUE(open("/pub/ro", O_WRONLY));
  auto x = vfs.open(as_root(), ctx.cwd, "/pub/ro", OpenHow{.flags = O_RDONLY, .exec = true});
  EXPECT_EQ(error_of(x), EACCES);
  EXPECT_EQ(error_of(vfs.chmod(as_user(), *resolve("/pub/ro"), 0777)), EPERM);
  EXPECT_EQ(error_of(vfs.chown(as_user(), *resolve("/pub/ro"), 1000, -1)), EPERM);
  // Sticky directories: only the owner removes.
  ASSERT_TRUE(vfs.chmod(as_root(), *resolve("/pub"), 01777));
  EXPECT_EQ(error_of(vfs.unlink(as_user(), ctx.cwd, "/pub/ro")), EPERM);
  auto mine =
      vfs.open(as_user(), ctx.cwd, "/pub/mine", OpenHow{.flags = O_CREAT | O_WRONLY, .mode = 0600});
  ASSERT_TRUE(mine);
  EXPECT_EQ(resolve("/pub/mine")->inode().stat()->uid, 1000u);
  EXPECT_TRUE(vfs.unlink(as_user(), ctx.cwd, "/pub/mine"));
}

TEST_F(VfsTest, ChownClearsSetuid) {
  write_file("/s", "");
  ASSERT_TRUE(vfs.chmod(as_root(), *resolve("/s"), 06755));
  ASSERT_TRUE(vfs.chown(as_root(), *resolve("/s"), 1, 1));
  EXPECT_EQ(resolve("/s")->inode().stat()->mode & 07777, 0755u);
}

}  // namespace
}  // namespace ms::fs::testing
