// Making and removing names: mkdir, mknod, symlink, link, unlink, rmdir, rename, with the
// checks of Linux's filename_create(), may_create() and may_delete() in their order.
#include <linux/fs.h>

#include "fs/dentry.h"
#include "fs/fs_context.h"
#include "fs/permission.h"
#include "fs/superblock.h"
#include "fs/vfs.h"

namespace ms::fs {
namespace {

// filename_create(): the parent of a name to be made, and the name, which must not exist.
// A trailing slash is allowed only for directories.
Result<LastComponent> prepare_create(PathWalk& walk, std::string_view path, bool want_dir) {
  LastComponent last = TRY(walk.resolve_parent(path));
  if (last.kind != LastComponent::Kind::kNormal) return fail(EEXIST);
  // A read-only mount is reported only after the other errors.
  const bool read_only = last.dir.mnt->read_only();
  auto found = walk.lookup(last.dir, last.name, /*mounts=*/false);
  if (found) return fail(EEXIST);
  if (found.error() != Errno{ENOENT}) return std::unexpected(found.error());
  if (last.trailing_slash && !want_dir) return fail(ENOENT);
  if (read_only) return fail(EROFS);
  return last;
}

}  // namespace

Result<void> Vfs::mkdir(const Caller& c, const Path& start, std::string_view path, mode_t mode) {
  PathWalk walk(*ns_, c, start);
  const LastComponent last = TRY(prepare_create(walk, path, /*want_dir=*/true));
  const mode_t bits = (mode & (S_IRWXU | S_IRWXG | S_IRWXO | S_ISVTX)) & ~c.fs.umask;
  const NewNode node = TRY(new_node(c, last.dir.inode(), S_IFDIR | bits));
  TRY(create_in(c, last, node));
  return {};
}

Result<void> Vfs::mknod(const Caller& c, const Path& start, std::string_view path, mode_t mode,
                        uint64_t dev) {
  switch (mode & S_IFMT) {
    case 0:
      mode |= S_IFREG;
      break;
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
      break;
    case S_IFDIR:
      return fail(EPERM);
    default:
      return fail(EINVAL);
  }
  PathWalk walk(*ns_, c, start);
  const LastComponent last = TRY(prepare_create(walk, path, /*want_dir=*/false));
  const mode_t type = mode & S_IFMT;
  NewNode node = TRY(new_node(c, last.dir.inode(), type | ((mode & 07777) & ~c.fs.umask)));
  if (type == S_IFCHR || type == S_IFBLK) {
    TRY(may_create(c, last.dir));
    if (c.creds.euid != 0) return fail(EPERM);  // CAP_MKNOD
    node.rdev = dev;
  }
  TRY(create_in(c, last, node));
  return {};
}

Result<void> Vfs::symlink(const Caller& c, std::string_view target, const Path& start,
                          std::string_view path) {
  if (target.empty()) return fail(ENOENT);
  PathWalk walk(*ns_, c, start);
  const LastComponent last = TRY(prepare_create(walk, path, /*want_dir=*/false));
  NewNode node = TRY(new_node(c, last.dir.inode(), S_IFLNK | 0777));
  node.symlink_target = target;
  TRY(create_in(c, last, node));
  return {};
}

Result<void> Vfs::link(const Caller& c, const Path& old_start, std::string_view old_path,
                       const Path& new_start, std::string_view new_path, unsigned flags) {
  PathWalk old_walk(*ns_, c, old_start);
  const Path old = TRY(old_walk.resolve(old_path, flags & kFollow));
  return link_path(c, old, new_start, new_path);
}

Result<void> Vfs::link_path(const Caller& c, const Path& old, const Path& new_start,
                            std::string_view new_path) {
  PathWalk walk(*ns_, c, new_start);
  const LastComponent last = TRY(prepare_create(walk, new_path, /*want_dir=*/false));
  if (old.mnt != last.dir.mnt) return fail(EXDEV);
  TRY(may_create(c, last.dir));
  Inode& inode = old.inode();
  if (&inode.sb() != &last.dir.inode().sb()) return fail(EXDEV);
  if (inode.is_dir()) return fail(EPERM);
  const Stat st = TRY(inode.stat());
  if (st.nlink == 0) return fail(ENOENT);
  TRY(last.dir.inode().link(last.name, old.dentry->inode()));
  last.dir.dentry->add_child(last.name, old.dentry->inode());
  return {};
}

Result<void> Vfs::unlink(const Caller& c, const Path& start, std::string_view path) {
  PathWalk walk(*ns_, c, start);
  const LastComponent last = TRY(walk.resolve_parent(path));
  if (last.kind != LastComponent::Kind::kNormal) return fail(EISDIR);
  if (last.dir.mnt->read_only()) return fail(EROFS);
  const Path victim = TRY(walk.lookup(last.dir, last.name, /*mounts=*/false));
  if (last.trailing_slash) return fail(victim.inode().is_dir() ? EISDIR : ENOTDIR);
  TRY(may_delete(c, last.dir, victim, /*want_dir=*/false));
  if (victim.dentry->mounts > 0) return fail(EBUSY);
  TRY(last.dir.inode().unlink(last.name, victim.inode()));
  victim.dentry->unhash();
  return {};
}

Result<void> Vfs::rmdir(const Caller& c, const Path& start, std::string_view path) {
  PathWalk walk(*ns_, c, start);
  const LastComponent last = TRY(walk.resolve_parent(path));
  switch (last.kind) {
    case LastComponent::Kind::kDotDot:
      return fail(ENOTEMPTY);
    case LastComponent::Kind::kDot:
      return fail(EINVAL);
    case LastComponent::Kind::kRoot:
      return fail(EBUSY);
    case LastComponent::Kind::kNormal:
      break;
  }
  if (last.dir.mnt->read_only()) return fail(EROFS);
  const Path victim = TRY(walk.lookup(last.dir, last.name, /*mounts=*/false));
  TRY(may_delete(c, last.dir, victim, /*want_dir=*/true));
  if (victim.dentry->mounts > 0) return fail(EBUSY);
  TRY(last.dir.inode().rmdir(last.name, victim.inode()));
  victim.dentry->unhash();
  return {};
}

Result<void> Vfs::rename(const Caller& c, const Path& old_start, std::string_view old_path,
                         const Path& new_start, std::string_view new_path, unsigned flags) {
  const bool exchange = (flags & RENAME_EXCHANGE) != 0;
  const bool noreplace = (flags & RENAME_NOREPLACE) != 0;
  PathWalk old_walk(*ns_, c, old_start);
  const LastComponent from = TRY(old_walk.resolve_parent(old_path));
  PathWalk new_walk(*ns_, c, new_start);
  const LastComponent to = TRY(new_walk.resolve_parent(new_path));
  if (from.dir.mnt != to.dir.mnt) return fail(EXDEV);
  if (from.kind != LastComponent::Kind::kNormal) return fail(EBUSY);
  if (to.kind != LastComponent::Kind::kNormal) return fail(noreplace ? EEXIST : EBUSY);
  if (from.dir.mnt->read_only()) return fail(EROFS);

  const Path source = TRY(old_walk.lookup(from.dir, from.name, /*mounts=*/false));
  Path target;
  if (auto found = new_walk.lookup(to.dir, to.name, /*mounts=*/false)) {
    target = *found;
  } else if (found.error() != Errno{ENOENT} || exchange) {
    return std::unexpected(found.error());
  }
  if (noreplace && target) return fail(EEXIST);
  if (exchange && !target.inode().is_dir() && to.trailing_slash) return fail(ENOTDIR);
  if (!source.inode().is_dir()) {
    if (from.trailing_slash) return fail(ENOTDIR);
    if (!exchange && to.trailing_slash) return fail(ENOTDIR);
  }
  // Neither may be an ancestor of the other's new place.
  if (from.dir.dentry != to.dir.dentry) {
    if (to.dir.dentry->is_descendant_of(*source.dentry)) return fail(EINVAL);
    if (target && from.dir.dentry->is_descendant_of(*target.dentry)) {
      return fail(exchange ? EINVAL : ENOTEMPTY);
    }
  }
  // vfs_rename()
  if (target && source.dentry->inode() == target.dentry->inode()) return {};
  const bool is_dir = source.inode().is_dir();
  TRY(may_delete(c, from.dir, source, is_dir));
  if (!target) {
    TRY(may_create(c, to.dir));
  } else {
    TRY(may_delete(c, to.dir, target, exchange ? target.inode().is_dir() : is_dir));
  }
  if (from.dir.dentry != to.dir.dentry) {
    // A directory moving elsewhere has its ".." rewritten.
    if (is_dir) TRY(permission(source.inode(), kMayWrite, c.creds));
    if (exchange && target.inode().is_dir()) TRY(permission(target.inode(), kMayWrite, c.creds));
  }
  if (source.dentry->mounts > 0 || (target && target.dentry->mounts > 0)) return fail(EBUSY);
  TRY(from.dir.inode().rename(from.name, source.inode(), to.dir.inode(), to.name,
                              target ? &target.inode() : nullptr, flags));
  if (exchange) {
    source.dentry->move(to.dir.dentry, to.name);
    target.dentry->move(from.dir.dentry, from.name);
  } else {
    if (target) target.dentry->unhash();
    source.dentry->move(to.dir.dentry, to.name);
  }
  return {};
}

}  // namespace ms::fs
