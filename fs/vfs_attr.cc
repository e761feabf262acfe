// Attribute changes: chmod, chown, utimes, truncate, with setattr_prepare()'s rules on who
// may change what.
#include "fs/dentry.h"
#include "fs/permission.h"
#include "fs/superblock.h"
#include "fs/vfs.h"

namespace ms::fs {

Result<void> Vfs::chmod(const Caller& c, const Path& p, mode_t mode) {
  if (p.mnt->read_only()) return fail(EROFS);
  const Stat st = TRY(p.inode().stat());
  if (!owner_or_capable(st, c.creds)) return fail(EPERM);
  uint32_t bits = mode & 07777;
  if (!in_group(c.creds, st.gid) && !fs_capable(c.creds)) bits &= ~S_ISGID;
  return setattr(p, AttrChange{.mode = bits});
}

Result<void> Vfs::chown(const Caller& c, const Path& p, uint32_t uid, uint32_t gid) {
  if (p.mnt->read_only()) return fail(EROFS);
  const Stat st = TRY(p.inode().stat());
  AttrChange change;
  constexpr uint32_t kUnchanged = ~0U;
  if (uid != kUnchanged) {
    const bool ok = (c.creds.fsuid == st.uid && uid == st.uid) || fs_capable(c.creds);
    if (!ok) return fail(EPERM);
    change.uid = uid;
  }
  if (gid != kUnchanged) {
    const bool ok = (c.creds.fsuid == st.uid && (in_group(c.creds, gid) || gid == st.gid)) ||
                    fs_capable(c.creds);
    if (!ok) return fail(EPERM);
    change.gid = gid;
  }
  // A changed owner must not inherit set-id powers (set-group-id only matters with group
  // execute; without it the bit means mandatory locking).
  if (!S_ISDIR(st.mode)) {
    uint32_t bits = st.mode & 07777;
    bits &= ~S_ISUID;
    if ((bits & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) bits &= ~S_ISGID;
    if (bits != (st.mode & 07777)) change.mode = bits;
  }
  return setattr(p, change);
}

Result<void> Vfs::utimes(const Caller& c, const Path& p, const TimeChange& change) {
  if (p.mnt->read_only()) return fail(EROFS);
  const Stat st = TRY(p.inode().stat());
  if (change.explicit_times) {
    if (!owner_or_capable(st, c.creds)) return fail(EPERM);
  } else if (!owner_or_capable(st, c.creds)) {
    TRY(permission(p.inode(), kMayWrite, c.creds));
  }
  return setattr(p, AttrChange{.atime = change.atime, .mtime = change.mtime});
}

Result<void> Vfs::truncate(const Caller& c, const Path& p, uint64_t size, bool check_access) {
  Inode& inode = p.inode();
  if (inode.is_dir()) return fail(EISDIR);
  if (!inode.is_reg()) return fail(EINVAL);
  if (p.mnt->read_only()) return fail(EROFS);
  if (check_access) TRY(permission(inode, kMayWrite, c.creds));
  const Stat st = TRY(inode.stat());
  AttrChange change{.size = size};
  // truncate(2) stamps the file only when its size changes; ftruncate(2) always does.
  if (!check_access || st.size != size) change.mtime = inode.sb().now();
  return setattr(p, change);
}

}  // namespace ms::fs
