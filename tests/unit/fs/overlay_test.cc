#include "fs/overlay/overlay.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fs/hostfs/hostfs.h"
#include "tests/unit/fs/vfs_fixture.h"

namespace ms::fs::testing {
namespace {

// The lower layer is the fixture's tmpfs root, filled through the VFS; the overlay of it is
// mounted at /ov, so every check can look at both layers.
class OverlayTest : public VfsTest {
 protected:
  void SetUp() override {
    mkdir("/lower");
    mkdir("/lower/dir");
    write_file("/lower/dir/a", "lower a");
    write_file("/lower/dir/b", "lower b");
    write_file("/lower/file", "lower file");
    mkdir("/ov");
    auto lower = resolve("/lower");
    auto ov = make_overlay(vfs.allocate_anon_dev(), vfs.allocate_anon_dev(), clock, lower->dentry,
                           "/lower");
    vfs.mounts().mount(*resolve("/ov"), ov.sb, ov.root, 0, "overlay");
  }
  int err(Result<void> r) { return error_of(r); }
};

TEST_F(OverlayTest, ReadsThroughAndCopiesUpOnWrite) {
  EXPECT_EQ(read_file("/ov/file"), "lower file");
  const uint64_t ino = resolve("/ov/file")->inode().stat()->ino;
  write_file("/ov/file", "changed");
  EXPECT_EQ(read_file("/ov/file"), "changed");
  EXPECT_EQ(read_file("/lower/file"), "lower file");
  EXPECT_EQ(resolve("/ov/file")->inode().stat()->ino, ino);
  auto& inode = static_cast<OverlayInode&>(resolve("/ov/file")->inode());
  EXPECT_TRUE(inode.upper());
}

TEST_F(OverlayTest, AppendCopiesTheData) {
  auto f = open("/ov/dir/a", O_WRONLY | O_APPEND);
  ASSERT_TRUE(f);
  const std::string more = " more";
  ASSERT_TRUE((*f)->write(std::as_bytes(std::span(more.data(), more.size()))));
  EXPECT_EQ(read_file("/ov/dir/a"), "lower a more");
  EXPECT_EQ(read_file("/lower/dir/a"), "lower a");
}

TEST_F(OverlayTest, MetadataChangesCopyUp) {
  ASSERT_TRUE(vfs.chmod(as_root(), *resolve("/ov/file"), 0600));
  EXPECT_EQ(resolve("/ov/file")->inode().stat()->mode & 0777, 0600u);
  EXPECT_EQ(resolve("/lower/file")->inode().stat()->mode & 0777, 0644u);
  EXPECT_EQ(read_file("/ov/file"), "lower file");
}

TEST_F(OverlayTest, UnlinkLeavesAWhiteout) {
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/ov/dir/a"));
  EXPECT_EQ(error_of(resolve("/ov/dir/a")), ENOENT);
  EXPECT_EQ(read_file("/lower/dir/a"), "lower a");
  EXPECT_EQ(list("/ov/dir"), (std::vector<std::string>{".", "..", "b"}));
  write_file("/ov/dir/a", "new a");
  EXPECT_EQ(read_file("/ov/dir/a"), "new a");
  EXPECT_EQ(list("/ov/dir"), (std::vector<std::string>{".", "..", "a", "b"}));
}

TEST_F(OverlayTest, RemovedDirectoryComesBackOpaque) {
  EXPECT_EQ(err(vfs.rmdir(as_root(), ctx.cwd, "/ov/dir")), ENOTEMPTY);
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/ov/dir/a"));
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/ov/dir/b"));
  ASSERT_TRUE(vfs.rmdir(as_root(), ctx.cwd, "/ov/dir"));
  EXPECT_EQ(error_of(resolve("/ov/dir")), ENOENT);
  mkdir("/ov/dir");
  EXPECT_EQ(list("/ov/dir"), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(error_of(resolve("/ov/dir/a")), ENOENT);
  EXPECT_EQ(read_file("/lower/dir/a"), "lower a");
}

TEST_F(OverlayTest, RenameWhitesOutTheOldName) {
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/ov/file", ctx.cwd, "/ov/dir/moved", 0));
  EXPECT_EQ(error_of(resolve("/ov/file")), ENOENT);
  EXPECT_EQ(read_file("/ov/dir/moved"), "lower file");
  EXPECT_EQ(read_file("/lower/file"), "lower file");
  // Over an existing lower name.
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/ov/dir/moved", ctx.cwd, "/ov/dir/a", 0));
  EXPECT_EQ(read_file("/ov/dir/a"), "lower file");
  EXPECT_EQ(list("/ov/dir"), (std::vector<std::string>{".", "..", "a", "b"}));
  // Lower directories do not move; upper ones do.
  EXPECT_EQ(err(vfs.rename(as_root(), ctx.cwd, "/ov/dir", ctx.cwd, "/ov/dir2", 0)), EXDEV);
  mkdir("/ov/fresh");
  write_file("/ov/fresh/x", "x");
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/ov/fresh", ctx.cwd, "/ov/dir/fresh", 0));
  EXPECT_EQ(read_file("/ov/dir/fresh/x"), "x");
}

TEST_F(OverlayTest, DirectoryReplacingALowerOneHidesIt) {
  mkdir("/lower/old");
  write_file("/lower/old/inside", "i");
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/ov/old/inside"));
  mkdir("/ov/newdir");
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/ov/newdir", ctx.cwd, "/ov/old", 0));
  write_file("/lower/old/later", "l");
  EXPECT_EQ(list("/ov/old"), (std::vector<std::string>{".", ".."}));
}

TEST_F(OverlayTest, HardLinksAndSymlinks) {
  ASSERT_TRUE(vfs.link(as_root(), ctx.cwd, "/ov/file", ctx.cwd, "/ov/link", 0));
  write_file("/ov/link", "via link");
  EXPECT_EQ(read_file("/ov/file"), "via link");
  ASSERT_TRUE(vfs.symlink(as_root(), "dir/a", ctx.cwd, "/lower/sym"));
  EXPECT_EQ(read_file("/ov/sym"), "lower a");
  ASSERT_TRUE(vfs.chown(as_root(), *resolve("/ov/sym", 0), 7, 7));
  EXPECT_EQ(resolve("/ov/sym", 0)->inode().stat()->uid, 7u);
  EXPECT_EQ(read_file("/ov/sym"), "lower a");
}

TEST_F(OverlayTest, PrivateAttributesAreHidden) {
  write_file("/ov/file", "x");
  const Path held = *resolve("/ov/file");
  Inode& inode = held.inode();
  EXPECT_EQ(error_of(inode.getxattr("trusted.overlay.origin")), ENODATA);
  EXPECT_TRUE(inode.listxattr()->empty());
}

// The real thing: a host directory below, checked byte for byte after the guest-side
// changes.
TEST(OverlayHostTest, HostDirectoryIsNeverWritten) {
  char tmpl[] = "/tmp/ms-overlay-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir(tmpl);
  std::filesystem::create_directory(dir / "sub");
  std::ofstream(dir / "sub" / "f") << "host data";
  std::ofstream(dir / "top") << "top";
  FakeClock clock;
  Vfs vfs(clock);
  auto host = make_hostfs(vfs.allocate_anon_dev(), clock, dir, /*writable=*/false);
  ASSERT_TRUE(host);
  auto ov = make_overlay(vfs.allocate_anon_dev(), vfs.allocate_anon_dev(), clock, host->root, dir);
  vfs.set_root(ov.sb, ov.root, 0, "overlay");
  FsContext ctx{vfs.root(), vfs.root(), 022};
  const auto creds = kernel::Credentials::of_ids(0, 0);
  const Caller c{creds, ctx, 1, 1};
  auto f = vfs.open(c, ctx.cwd, "/sub/f", OpenHow{.flags = O_WRONLY | O_TRUNC});
  ASSERT_TRUE(f);
  ASSERT_TRUE(vfs.unlink(c, ctx.cwd, "/top"));
  ASSERT_TRUE(vfs.mkdir(c, ctx.cwd, "/newdir", 0755));
  ASSERT_TRUE(vfs.chmod(c, *vfs.resolve(c, ctx.cwd, "/sub", kFollow), 0700));
  EXPECT_EQ(error_of(vfs.rmdir(c, ctx.cwd, "/sub")), ENOTEMPTY);
  ASSERT_TRUE(vfs.unlink(c, ctx.cwd, "/sub/f"));
  ASSERT_TRUE(vfs.rmdir(c, ctx.cwd, "/sub"));
  std::ifstream in(dir / "sub" / "f");
  std::string data((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(data, "host data");
  EXPECT_TRUE(std::filesystem::exists(dir / "top"));
  EXPECT_FALSE(std::filesystem::exists(dir / "newdir"));
  EXPECT_EQ(std::filesystem::status(dir / "sub").permissions(),
            std::filesystem::perms(0755) & std::filesystem::status(dir / "sub").permissions());
  // A read-only hostfs itself refuses changes.
  auto ro = make_hostfs(vfs.allocate_anon_dev(), clock, dir, false);
  Vfs direct(clock);
  direct.set_root(ro->sb, ro->root, 0, "hostfs");
  FsContext dctx{direct.root(), direct.root(), 022};
  const Caller dc{creds, dctx, 1, 1};
  EXPECT_EQ(error_of(direct.open(dc, dctx.cwd, "/top", OpenHow{.flags = O_WRONLY})), EROFS);
  EXPECT_EQ(error_of(direct.mkdir(dc, dctx.cwd, "/x", 0755)), EROFS);
  std::filesystem::remove_all(dir);
}

TEST(HostfsTest, ConfinedBeneathTheRoot) {
  char tmpl[] = "/tmp/ms-hostfs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir(tmpl);
  std::filesystem::create_directory(dir / "inner");
  std::filesystem::create_symlink("/etc/passwd", dir / "inner" / "abs");
  std::filesystem::create_symlink("../../../../etc/passwd", dir / "inner" / "rel");
  FakeClock clock;
  Vfs vfs(clock);
  auto host = make_hostfs(vfs.allocate_anon_dev(), clock, dir / "inner", /*writable=*/true);
  ASSERT_TRUE(host);
  vfs.set_root(host->sb, host->root, 0, "hostfs");
  FsContext ctx{vfs.root(), vfs.root(), 022};
  const auto creds = kernel::Credentials::of_ids(0, 0);
  const Caller c{creds, ctx, 1, 1};
  // Links resolve inside the guest's namespace, whose root is the bound directory.
  EXPECT_EQ(error_of(vfs.open(c, ctx.cwd, "abs", OpenHow{.flags = O_RDONLY})), ENOENT);
  EXPECT_EQ(error_of(vfs.open(c, ctx.cwd, "rel", OpenHow{.flags = O_RDONLY})), ENOENT);
  EXPECT_EQ(error_of(vfs.open(c, ctx.cwd, "../../made-later", OpenHow{.flags = O_RDONLY})), ENOENT);
  auto up = vfs.resolve(c, ctx.cwd, "../../..", kFollow);
  ASSERT_TRUE(up);
  EXPECT_TRUE(*up == ctx.root);
  // The host inode itself refuses names that are not single components beneath it.
  EXPECT_EQ(error_of(host->root->ino().lookup("..")), ENOENT);
  EXPECT_EQ(error_of(host->root->ino().lookup("abs/x")), ENOENT);
  ASSERT_TRUE(vfs.mkdir(c, ctx.cwd, "made", 0755));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "inner" / "made"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ms::fs::testing
