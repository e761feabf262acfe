#include <linux/fs.h>

#include "fs/dentry.h"
#include "tests/unit/fs/vfs_fixture.h"

namespace ms::fs::testing {
namespace {

TEST_F(VfsTest, ResolvesDotsAndSlashes) {
  mkdir("/a");
  mkdir("/a/b");
  write_file("/a/b/f", "x");
  auto p = resolve("//a/./b/../b///f");
  ASSERT_TRUE(p);
  EXPECT_EQ(Vfs::path_string(*p, ctx.root), "/a/b/f");
  auto up = resolve("/../../a/..");
  ASSERT_TRUE(up);
  EXPECT_TRUE(*up == ctx.root);
}

TEST_F(VfsTest, ErrorsComeInLinuxOrder) {
  write_file("/file", "x");
  EXPECT_EQ(error_of(resolve("")), ENOENT);
  EXPECT_EQ(error_of(resolve("/missing/x")), ENOENT);
  EXPECT_EQ(error_of(resolve("/file/x")), ENOTDIR);
  EXPECT_EQ(error_of(resolve("/file/")), ENOTDIR);
  EXPECT_EQ(error_of(resolve("/file/.")), ENOTDIR);
  EXPECT_EQ(error_of(resolve("/" + std::string(256, 'n'))), ENAMETOOLONG);
  EXPECT_EQ(error_of(resolve("/" + std::string(255, 'n'))), ENOENT);
}

TEST_F(VfsTest, FollowsSymlinksAndDetectsLoops) {
  mkdir("/d");
  write_file("/d/target", "data");
  ASSERT_TRUE(vfs.symlink(as_root(), "d/target", ctx.cwd, "/rel"));
  ASSERT_TRUE(vfs.symlink(as_root(), "/d", ctx.cwd, "/abs"));
  EXPECT_EQ(read_file("/rel"), "data");
  EXPECT_EQ(read_file("/abs/target"), "data");
  // Not following the last component leaves the link itself.
  auto link = resolve("/rel", 0);
  ASSERT_TRUE(link);
  EXPECT_TRUE(link->inode().is_symlink());
  // A trailing slash follows anyway, and requires a directory.
  EXPECT_EQ(error_of(resolve("/rel/", 0)), ENOTDIR);
  EXPECT_TRUE(resolve("/abs/", 0));
  ASSERT_TRUE(vfs.symlink(as_root(), "loop2", ctx.cwd, "/loop1"));
  ASSERT_TRUE(vfs.symlink(as_root(), "loop1", ctx.cwd, "/loop2"));
  EXPECT_EQ(error_of(resolve("/loop1")), ELOOP);
  // 40 links in a chain resolve; 41 do not.
  write_file("/end", "e");
  std::string prev = "end";
  for (int i = 0; i < 41; ++i) {
    const std::string name = "chain" + std::to_string(i);
    ASSERT_TRUE(vfs.symlink(as_root(), prev, ctx.cwd, "/" + name));
    prev = name;
  }
  EXPECT_TRUE(resolve("/chain39"));
  EXPECT_EQ(error_of(resolve("/chain40")), ELOOP);
  EXPECT_EQ(error_of(resolve("/dangling-none")), ENOENT);
}

TEST_F(VfsTest, SearchPermissionIsChecked) {
  mkdir("/private", 0700);
  write_file("/private/f", "secret");
  EXPECT_EQ(error_of(vfs.resolve(as_user(), ctx.cwd, "/private/f", kFollow)), EACCES);
  EXPECT_TRUE(vfs.resolve(as_root(), ctx.cwd, "/private/f", kFollow));
  auto opened = vfs.open(as_user(), ctx.cwd, "/private", OpenHow{.flags = O_RDONLY});
  EXPECT_EQ(error_of(opened), EACCES);
}

TEST_F(VfsTest, CrossesMountsBothWays) {
  mkdir("/mnt");
  auto t = make_tmpfs(vfs.allocate_anon_dev(), clock);
  auto at = resolve("/mnt");
  ASSERT_TRUE(at);
  vfs.mounts().mount(*at, t.sb, t.root, 0, "tmpfs");
  write_file("/mnt/inside", "in");
  EXPECT_EQ(read_file("/mnt/inside"), "in");
  auto st_mnt = resolve("/mnt");
  ASSERT_TRUE(st_mnt);
  EXPECT_EQ(st_mnt->mnt->sb_ptr(), t.sb);
  auto back = resolve("/mnt/..");
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == ctx.root);
  // The mountpoint cannot be removed or renamed while mounted.
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/mnt")), EBUSY);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/mnt", ctx.cwd, "/m2", 0)), EBUSY);
  // Hard links do not cross mounts.
  write_file("/outside", "o");
  EXPECT_EQ(error_of(vfs.link(as_root(), ctx.cwd, "/outside", ctx.cwd, "/mnt/l", 0)), EXDEV);
}

TEST_F(VfsTest, ResolveBeneathAndInRoot) {
  mkdir("/jail");
  mkdir("/jail/sub");
  write_file("/outside", "o");
  ASSERT_TRUE(vfs.symlink(as_root(), "/outside", ctx.cwd, "/jail/abs"));
  ASSERT_TRUE(vfs.symlink(as_root(), "../../outside", ctx.cwd, "/jail/sub/rel"));
  auto jail = resolve("/jail");
  ASSERT_TRUE(jail);
  auto beneath = [&](const std::string& p) {
    return vfs.open(as_root(), *jail, p, OpenHow{.flags = O_RDONLY, .restrictions = kBeneath});
  };
  EXPECT_EQ(error_of(beneath("../outside")), EXDEV);
  EXPECT_EQ(error_of(beneath("abs")), EXDEV);
  EXPECT_EQ(error_of(beneath("sub/rel")), EXDEV);
  EXPECT_EQ(error_of(beneath("/outside")), EXDEV);
  EXPECT_TRUE(beneath("sub/../sub"));
  auto in_root = [&](const std::string& p) {
    return vfs.open(as_root(), *jail, p, OpenHow{.flags = O_RDONLY, .restrictions = kInRoot});
  };
  // Inside the root, ".." stops at it and absolute links start from it.
  EXPECT_EQ(error_of(in_root("../outside")), ENOENT);
  EXPECT_EQ(error_of(in_root("abs")), ENOENT);
  EXPECT_TRUE(in_root("../sub"));
}

TEST_F(VfsTest, OpenCreateSemantics) {
  EXPECT_EQ(error_of(open("/new/", O_CREAT | O_WRONLY)), EISDIR);
  EXPECT_TRUE(open("/new", O_CREAT | O_EXCL | O_WRONLY));
  EXPECT_EQ(error_of(open("/new", O_CREAT | O_EXCL | O_WRONLY)), EEXIST);
  EXPECT_EQ(error_of(open("/", O_CREAT | O_WRONLY)), EISDIR);
  EXPECT_EQ(error_of(open(".", O_CREAT | O_EXCL | O_WRONLY)), EEXIST);
  EXPECT_EQ(error_of(open("/", O_WRONLY)), EISDIR);
  EXPECT_EQ(error_of(open("/new", O_RDONLY | O_DIRECTORY)), ENOTDIR);
  // O_CREAT through a dangling symlink creates its target; O_EXCL refuses the link.
  ASSERT_TRUE(vfs.symlink(as_root(), "created-by-link", ctx.cwd, "/dangling"));
  EXPECT_EQ(error_of(open("/dangling", O_CREAT | O_EXCL | O_WRONLY)), EEXIST);
  EXPECT_TRUE(open("/dangling", O_CREAT | O_WRONLY));
  EXPECT_TRUE(resolve("/created-by-link"));
  EXPECT_EQ(error_of(open("/dangling", O_RDONLY | O_NOFOLLOW)), ELOOP);
  auto opath = open("/dangling", O_PATH | O_NOFOLLOW);
  ASSERT_TRUE(opath);
  EXPECT_EQ(error_of((*opath)->read(std::span<std::byte>())), EINVAL);
}

TEST_F(VfsTest, UmaskAndSetgidDirectories) {
  ctx.umask = 027;
  mkdir("/d", 0777);
  auto st = resolve("/d")->inode().stat();
  EXPECT_EQ(st->mode & 07777, 0750u);
  ASSERT_TRUE(vfs.chmod(as_root(), *resolve("/d"), 02775));
  ASSERT_TRUE(vfs.chown(as_root(), *resolve("/d"), 5, 77));
  mkdir("/d/sub", 0777);
  auto sub = resolve("/d/sub")->inode().stat();
  EXPECT_EQ(sub->gid, 77u);
  EXPECT_EQ(sub->mode & 02000, 02000u);
}

TEST_F(VfsTest, UnlinkRmdirErrors) {
  mkdir("/d");
  write_file("/d/f", "x");
  write_file("/f", "x");
  EXPECT_EQ(error_of(vfs.unlink(as_root(), ctx.cwd, "/d")), EISDIR);
  EXPECT_EQ(error_of(vfs.unlink(as_root(), ctx.cwd, "/f/")), ENOTDIR);
  EXPECT_EQ(error_of(vfs.unlink(as_root(), ctx.cwd, "/d/")), EISDIR);
  EXPECT_EQ(error_of(vfs.unlink(as_root(), ctx.cwd, "/missing")), ENOENT);
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/d")), ENOTEMPTY);
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/f")), ENOTDIR);
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/d/.")), EINVAL);
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/d/..")), ENOTEMPTY);
  EXPECT_EQ(error_of(vfs.rmdir(as_root(), ctx.cwd, "/")), EBUSY);
  EXPECT_EQ(error_of(vfs.mkdir(as_root(), ctx.cwd, "/d", 0755)), EEXIST);
  EXPECT_EQ(error_of(vfs.mkdir(as_root(), ctx.cwd, "/.", 0755)), EEXIST);
  EXPECT_EQ(error_of(vfs.mknod(as_root(), ctx.cwd, "/x/", S_IFREG | 0644, 0)), ENOENT);
  EXPECT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/d/f"));
  EXPECT_TRUE(vfs.rmdir(as_root(), ctx.cwd, "/d/"));
}

TEST_F(VfsTest, UnlinkedOpenFileStaysReadable) {
  write_file("/f", "still here");
  auto f = open("/f", O_RDONLY);
  ASSERT_TRUE(f);
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "/f"));
  EXPECT_EQ(read_all(**f), "still here");
  EXPECT_EQ((*f)->stat()->nlink, 0u);
  EXPECT_EQ(Vfs::path_string((*f)->path(), ctx.root), "/f (deleted)");
  EXPECT_EQ(error_of(resolve("/f")), ENOENT);
}

TEST_F(VfsTest, RenameRules) {
  mkdir("/a");
  mkdir("/a/b");
  write_file("/f", "one");
  write_file("/g", "two");
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/a", ctx.cwd, "/a/b/c", 0)), EINVAL);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/a/b", ctx.cwd, "/a", 0)), ENOTEMPTY);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/f", ctx.cwd, "/a", 0)), EISDIR);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/a", ctx.cwd, "/f", 0)), ENOTDIR);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/f", ctx.cwd, "/g", RENAME_NOREPLACE)),
            EEXIST);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/f", ctx.cwd, "/h", RENAME_EXCHANGE)), ENOENT);
  EXPECT_EQ(error_of(vfs.rename(as_root(), ctx.cwd, "/f/", ctx.cwd, "/h", 0)), ENOTDIR);
  // An open file follows its renamed name.
  auto f = open("/f", O_RDONLY);
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/f", ctx.cwd, "/g", 0));
  EXPECT_EQ(read_file("/g"), "one");
  EXPECT_EQ(Vfs::path_string((*f)->path(), ctx.root), "/g");
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/g", ctx.cwd, "/a/b/x", 0));
  EXPECT_EQ(Vfs::path_string((*f)->path(), ctx.root), "/a/b/x");
  write_file("/y", "why");
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/y", ctx.cwd, "/a/b/x", RENAME_EXCHANGE));
  EXPECT_EQ(read_file("/y"), "one");
  EXPECT_EQ(read_file("/a/b/x"), "why");
  EXPECT_EQ(Vfs::path_string((*f)->path(), ctx.root), "/y");
  // Links to one inode: rename does nothing.
  ASSERT_TRUE(vfs.link(as_root(), ctx.cwd, "/y", ctx.cwd, "/y2", 0));
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/y", ctx.cwd, "/y2", 0));
  EXPECT_TRUE(resolve("/y"));
  EXPECT_EQ(resolve("/y")->inode().stat()->nlink, 2u);
}

TEST_F(VfsTest, DirectoryLinkCounts) {
  mkdir("/a");
  mkdir("/a/b");
  mkdir("/c");
  auto nlink = [&](const std::string& p) { return resolve(p)->inode().stat()->nlink; };
  EXPECT_EQ(nlink("/a"), 3u);
  ASSERT_TRUE(vfs.rename(as_root(), ctx.cwd, "/a/b", ctx.cwd, "/c/b", 0));
  EXPECT_EQ(nlink("/a"), 2u);
  EXPECT_EQ(nlink("/c"), 3u);
  EXPECT_EQ(nlink("/"), 4u);
}

TEST_F(VfsTest, CwdPathsAndRemovedDirectories) {
  mkdir("/w");
  mkdir("/w/x");
  ctx.cwd = *resolve("/w/x");
  write_file("rel", "r");
  EXPECT_EQ(read_file("/w/x/rel"), "r");
  EXPECT_EQ(read_file("../x/rel"), "r");
  ASSERT_TRUE(vfs.unlink(as_root(), ctx.cwd, "rel"));
  ASSERT_TRUE(vfs.rmdir(as_root(), ctx.root, "/w/x"));
  EXPECT_TRUE(ctx.cwd.dentry->deleted());
  EXPECT_EQ(error_of(open("new", O_CREAT | O_WRONLY)), ENOENT);
  auto dir = open(".", O_RDONLY);
  ASSERT_TRUE(dir);
  EXPECT_EQ(error_of((*dir)->readdir([](const DirEntry&, uint64_t) { return true; })), ENOENT);
  EXPECT_TRUE(resolve(".."));
}

}  // namespace
}  // namespace ms::fs::testing
