// stat(2), lstat(2), fstat(2), newfstatat(2), statx(2), statfs(2), fstatfs(2).
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "fs/mount.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"
#include "sentry/syscalls/stat_layout.h"

namespace ms::sys {
namespace {

// What a stat call looks at: a path, or (AT_EMPTY_PATH on an fd) an open file, which may be
// outside the tree (host stdio).
struct StatTarget {
  fs::Path path;
  std::shared_ptr<fs::FileDescription> file;

  Result<fs::Stat> stat() const { return file ? file->stat() : path.inode().stat(); }
  const fs::Path& place() const { return file ? file->path() : path; }
};

Result<StatTarget> stat_target(kernel::Task& t, int dirfd, uint64_t path_addr, int flags) {
  const std::string path = TRY(path_arg(t, path_addr));
  if (path.empty() && (flags & AT_EMPTY_PATH) != 0 && dirfd != AT_FDCWD) {
    return StatTarget{{}, TRY(t.file(dirfd))};
  }
  return StatTarget{TRY(path_at(t, dirfd, path, flags)), nullptr};
}

SysRet put_stat(kernel::Task& t, const fs::Stat& st, uint64_t buf) {
  TRY(t.mm().write(mm::GuestPtr<struct stat>(buf), to_guest_stat(st)));
  return 0;
}

SysRet stat_at(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t buf, int flags) {
  const StatTarget target = TRY(stat_target(t, dirfd, path_addr, flags));
  return put_stat(t, TRY(target.stat()), buf);
}

statx_timestamp statx_time(const fs::Timestamp& ts) {
  return statx_timestamp{.tv_sec = ts.sec, .tv_nsec = ts.nsec, .__reserved = 0};
}

// The kernel's ST_VALID: f_flags holds mount flags (not in the C library's headers).
constexpr uint64_t kStValid = 0x0020;

// The f_flags of statfs: ST_VALID and the mount's flags.
uint64_t mount_flags(const fs::Path& p) {
  uint64_t flags = kStValid;
  if (!p) return flags;
  if (p.mnt->read_only()) flags |= ST_RDONLY;
  if ((p.mnt->flags() & MS_NOSUID) != 0) flags |= ST_NOSUID;
  if (p.mnt->nodev()) flags |= ST_NODEV;
  if (p.mnt->noexec()) flags |= ST_NOEXEC;
  if ((p.mnt->flags() & MS_NOATIME) != 0) flags |= ST_NOATIME;
  if ((p.mnt->flags() & MS_RELATIME) != 0) flags |= ST_RELATIME;
  return flags;
}

SysRet put_statfs(kernel::Task& t, const fs::Path& p, uint64_t buf) {
  struct statfs st {};
  if (p) st = TRY(p.inode().sb().statfs());
  st.f_flags = static_cast<__fsword_t>(mount_flags(p));
  TRY(t.mm().write(mm::GuestPtr<struct statfs>(buf), st));
  return 0;
}

}  // namespace

SysRet sys_fstat(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(t.file(static_cast<int>(a[0])));
  return put_stat(t, TRY(file->stat()), a[1]);
}

SysRet sys_stat(kernel::Task& t, const SyscallArgs& a) {
  return stat_at(t, AT_FDCWD, a[0], a[1], 0);
}

SysRet sys_lstat(kernel::Task& t, const SyscallArgs& a) {
  return stat_at(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

SysRet sys_newfstatat(kernel::Task& t, const SyscallArgs& a) {
  const int flags = static_cast<int>(a[3]);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) != 0) {
    return fail(EINVAL);
  }
  return stat_at(t, static_cast<int>(a[0]), a[1], a[2], flags);
}

SysRet sys_statx(kernel::Task& t, const SyscallArgs& a) {
  const int dirfd = static_cast<int>(a[0]);
  const int flags = static_cast<int>(a[2]);
  const auto mask = static_cast<uint32_t>(a[3]);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) !=
      0) {
    return fail(EINVAL);
  }
  if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) return fail(EINVAL);
  if ((mask & STATX__RESERVED) != 0) return fail(EINVAL);
  const StatTarget target = TRY(stat_target(t, dirfd, a[1], flags));
  const fs::Stat st = TRY(target.stat());
  const fs::Path& place = target.place();
  struct statx sx {};
  sx.stx_mask = STATX_BASIC_STATS | STATX_MNT_ID;
  if (st.btime.sec != 0 || st.btime.nsec != 0) sx.stx_mask |= STATX_BTIME;
  sx.stx_blksize = st.blksize;
  sx.stx_attributes_mask = STATX_ATTR_MOUNT_ROOT;
  if (place && place.dentry == place.mnt->root()) sx.stx_attributes |= STATX_ATTR_MOUNT_ROOT;
  sx.stx_nlink = st.nlink;
  sx.stx_uid = st.uid;
  sx.stx_gid = st.gid;
  sx.stx_mode = static_cast<uint16_t>(st.mode);
  sx.stx_ino = st.ino;
  sx.stx_size = st.size;
  sx.stx_blocks = st.blocks;
  sx.stx_atime = statx_time(st.atime);
  sx.stx_btime = statx_time(st.btime);
  sx.stx_ctime = statx_time(st.ctime);
  sx.stx_mtime = statx_time(st.mtime);
  sx.stx_rdev_major = major(st.rdev);
  sx.stx_rdev_minor = minor(st.rdev);
  sx.stx_dev_major = major(st.dev);
  sx.stx_dev_minor = minor(st.dev);
  sx.stx_mnt_id = place && place.mnt ? static_cast<uint64_t>(place.mnt->id()) : 0;
  TRY(t.mm().write(mm::GuestPtr<struct statx>(a[4]), sx));
  return 0;
}

SysRet sys_statfs(kernel::Task& t, const SyscallArgs& a) {
  const std::string path = TRY(path_arg(t, a[0]));
  const fs::Path p = TRY(path_at(t, AT_FDCWD, path, 0));
  return put_statfs(t, p, a[1]);
}

SysRet sys_fstatfs(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(t.file(static_cast<int>(a[0])));
  return put_statfs(t, file->path(), a[1]);
}

}  // namespace ms::sys
