#include "fs/vfs.h"

#include <sys/sysmacros.h>

#include <algorithm>
#include <vector>

#include "fs/dentry.h"
#include "fs/fs_context.h"
#include "fs/permission.h"
#include "fs/superblock.h"

namespace ms::fs {

Vfs::Vfs(const kernel::Clock& clock) : clock_(clock) {}

void Vfs::set_root(std::shared_ptr<Superblock> sb, std::shared_ptr<Dentry> root, unsigned flags,
                   std::string source) {
  ns_ = std::make_unique<MountNamespace>(std::move(sb), std::move(root), flags, std::move(source));
}

uint64_t Vfs::allocate_anon_dev() {
  return makedev(0, next_anon_minor_++);
}

const InternalFs& Vfs::internal_fs(const std::string& type, uint64_t magic) {
  auto it = internal_.find(type);
  if (it != internal_.end()) return it->second;
  auto sb = std::make_shared<Superblock>(type, magic, allocate_anon_dev(), clock_);
  auto mnt = std::make_shared<Mount>(0, sb, nullptr, MS_NOEXEC | MS_NOSUID | MS_NODEV, type);
  return internal_.emplace(type, InternalFs{std::move(sb), std::move(mnt)}).first->second;
}

Path Vfs::detached(const InternalFs& fs, std::shared_ptr<Inode> inode, std::string name) {
  return Path{fs.mnt, std::make_shared<Dentry>(std::move(name), nullptr, std::move(inode))};
}

Result<Path> Vfs::resolve(const Caller& c, const Path& start, std::string_view path,
                          unsigned flags) {
  PathWalk walk(*ns_, c, start);
  return walk.resolve(path, flags);
}

std::string Vfs::path_string(const Path& p, const Path& root, bool deleted_suffix) {
  const std::string suffix = deleted_suffix && p.dentry->deleted() ? " (deleted)" : "";
  // A file outside the tree is known by its name ("pipe:[123]", "/memfd:x").
  if (p.mnt->root() == nullptr) return p.dentry->name() + suffix;
  std::vector<const std::string*> parts;
  Path cur = p;
  bool reachable = true;
  while (!(cur == root)) {
    if (cur.dentry == cur.mnt->root()) {
      if (cur.mnt->parent() == nullptr) {
        // The namespace's root: the end of the walk when no root was given.
        reachable = !root;
        break;
      }
      cur = Path{cur.mnt->parent(), cur.mnt->mountpoint()};
      continue;
    }
    if (cur.dentry->parent() == nullptr) {
      reachable = false;
      break;
    }
    parts.push_back(&cur.dentry->name());
    cur.dentry = cur.dentry->parent();
  }
  std::string out = reachable ? "" : "(unreachable)";
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += '/';
    out += **it;
  }
  if (parts.empty()) out += '/';
  return out + suffix;
}

Result<FilePtr> Vfs::open(const Caller& c, const Path& start, std::string_view path,
                          const OpenHow& how) {
  PathWalk walk(*ns_, c, start, how.restrictions);
  if ((how.flags & O_CREAT) == 0) {
    unsigned lookup = 0;
    if ((how.flags & O_NOFOLLOW) == 0) lookup |= kFollow;
    if ((how.flags & O_DIRECTORY) != 0) lookup |= kDirectory;
    const Path p = TRY(walk.resolve(path, lookup));
    return open_path(c, p, how);
  }
  LastComponent last = TRY(walk.resolve_parent(path));
  return open_last(c, walk, std::move(last), how);
}

// O_CREAT: the last component is looked up in its directory and made if missing; a symlink
// there (without O_EXCL or O_NOFOLLOW) is followed and its target created.
Result<FilePtr> Vfs::open_last(const Caller& c, PathWalk& walk, LastComponent last,
                               const OpenHow& how) {
  for (;;) {
    if (last.kind != LastComponent::Kind::kNormal) {
      const Path p = TRY(walk.finish(last, kFollow));
      return open_path(c, p, how);
    }
    if (last.trailing_slash) return fail(EISDIR);
    auto found = walk.lookup(last.dir, last.name);
    if (!found) {
      if (found.error() != Errno{ENOENT}) return std::unexpected(found.error());
      if (last.dir.dentry->deleted()) return fail(ENOENT);
      if (last.dir.mnt->read_only()) return fail(EROFS);
      const mode_t mode = (how.mode & 07777) & ~c.fs.umask;
      const NewNode node = TRY(new_node(c, last.dir.inode(), S_IFREG | mode));
      const Path p = TRY(create_in(c, last, node));
      return open_path(c, p, how, /*created=*/true);
    }
    if (found->inode().is_symlink() && (how.flags & (O_NOFOLLOW | O_EXCL)) == 0) {
      PathWalk::LinkStep s = TRY(walk.read_link(last.dir, *found));
      if (s.jump) return open_path(c, s.jump, how);
      last = std::move(s.last);
      continue;
    }
    return open_path(c, *found, how);
  }
}

Result<FilePtr> Vfs::open_path(const Caller& c, const Path& p, const OpenHow& how, bool created) {
  Inode& inode = p.inode();
  int flags = how.flags;
  if ((flags & O_CREAT) != 0) {
    if ((flags & O_EXCL) != 0 && !created) return fail(EEXIST);
    if (inode.is_dir()) return fail(EISDIR);
  }
  if ((flags & O_DIRECTORY) != 0 && !inode.is_dir()) return fail(ENOTDIR);
  if ((flags & O_PATH) != 0) return std::make_shared<PathOnlyFile>(flags, p);

  int access = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY:
      access = kMayRead;
      break;
    case O_WRONLY:
      access = kMayWrite;
      break;
    default:
      access = kMayRead | kMayWrite;
      break;
  }
  if ((flags & O_TRUNC) != 0) access |= kMayWrite;
  if (how.exec) access = kMayExec;
  bool truncate = false;
  if (created) {
    access = 0;
    flags &= ~O_TRUNC;
  } else if (inode.is_reg() && (flags & O_TRUNC) != 0) {
    if (p.mnt->read_only()) return fail(EROFS);
    truncate = true;
  }
  // may_open()
  switch (inode.type()) {
    case S_IFLNK:
      return fail(ELOOP);
    case S_IFDIR:
      if ((access & kMayWrite) != 0) return fail(EISDIR);
      if ((access & kMayExec) != 0) return fail(EACCES);
      break;
    case S_IFCHR:
    case S_IFBLK:
      if (p.mnt->nodev()) return fail(EACCES);
      [[fallthrough]];
    case S_IFIFO:
    case S_IFSOCK:
      if ((access & kMayExec) != 0) return fail(EACCES);
      flags &= ~O_TRUNC;
      truncate = false;
      break;
    case S_IFREG:
      if ((access & kMayExec) != 0 && p.mnt->noexec()) return fail(EACCES);
      break;
    default:
      break;
  }
  TRY(permission(inode, access, c.creds));
  if ((flags & O_NOATIME) != 0) {
    const Stat st = TRY(inode.stat());
    if (!owner_or_capable(st, c.creds)) return fail(EPERM);
  }
  const bool special = !inode.is_reg() && !inode.is_dir();
  if ((flags & O_ACCMODE) != O_RDONLY && !special && p.mnt->read_only()) return fail(EROFS);
  if (how.exec && !inode.is_reg()) return fail(EACCES);

  const OpenRequest request{flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC), p, c, truncate};
  FilePtr file;
  switch (inode.type()) {
    case S_IFCHR: {
      const Stat st = TRY(inode.stat());
      file = TRY(devices_.open(st.rdev, request));
      break;
    }
    case S_IFBLK:
    case S_IFSOCK:
      return fail(ENXIO);
    default:
      file = TRY(inode.open(request));
      break;
  }
  if (truncate) {
    const Timestamp now = inode.sb().now();
    TRY(setattr(p, AttrChange{.size = 0, .mtime = now}));
  }
  return file;
}

Result<NewNode> Vfs::new_node(const Caller& c, Inode& dir, mode_t mode) {
  const Stat st = TRY(dir.stat());
  NewNode node{.mode = mode, .uid = c.creds.fsuid, .gid = c.creds.fsgid};
  if ((st.mode & S_ISGID) != 0) {
    node.gid = st.gid;
    if (S_ISDIR(mode)) node.mode |= S_ISGID;
    if (!S_ISDIR(mode) && (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
        !in_group(c.creds, st.gid) && !fs_capable(c.creds)) {
      node.mode &= ~S_ISGID;
    }
  }
  return node;
}

Result<void> Vfs::may_create(const Caller& c, const Path& dir) {
  if (dir.dentry->deleted()) return fail(ENOENT);
  return permission(dir.inode(), kMayWrite | kMayExec, c.creds);
}

Result<void> Vfs::may_delete(const Caller& c, const Path& dir, const Path& victim, bool want_dir) {
  TRY(permission(dir.inode(), kMayWrite | kMayExec, c.creds));
  const Stat dst = TRY(dir.inode().stat());
  if ((dst.mode & S_ISVTX) != 0 && !fs_capable(c.creds)) {
    const Stat vst = TRY(victim.inode().stat());
    if (vst.uid != c.creds.fsuid && dst.uid != c.creds.fsuid) return fail(EPERM);
  }
  if (want_dir) {
    if (!victim.inode().is_dir()) return fail(ENOTDIR);
    if (victim.dentry->is_root()) return fail(EBUSY);
  } else if (victim.inode().is_dir()) {
    return fail(EISDIR);
  }
  if (dir.dentry->deleted()) return fail(ENOENT);
  return {};
}

Result<Path> Vfs::create_in(const Caller& c, const LastComponent& last, const NewNode& node) {
  TRY(may_create(c, last.dir));
  auto inode = TRY(last.dir.inode().create(last.name, node));
  return Path{last.dir.mnt, last.dir.dentry->add_child(last.name, std::move(inode))};
}

Result<void> Vfs::setattr(const Path& p, AttrChange change) {
  if (p.mnt->read_only() || p.inode().sb().read_only()) return fail(EROFS);
  change.ctime = p.inode().sb().now();
  return p.inode().setattr(change);
}

}  // namespace ms::fs
