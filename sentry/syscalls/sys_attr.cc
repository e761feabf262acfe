// Attributes: chmod(2), fchmod(2), fchmodat(2), fchmodat2(2), chown(2), fchown(2),
// lchown(2), fchownat(2), utime(2), utimes(2), futimesat(2), utimensat(2), truncate(2),
// ftruncate(2), fallocate(2), access(2), faccessat(2), faccessat2(2), umask(2).
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/time.h>
#include <utime.h>

#include "fs/permission.h"
#include "fs/seekable_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

// The place an fd-based attribute call changes: O_PATH descriptors are refused (EBADF),
// host stdio has no place in the tree (EPERM).
Result<fs::Path> fd_place(kernel::Task& t, int fd) {
  auto file = TRY(io_file(t, fd));
  if (!file->path()) return fail(EPERM);
  return file->path();
}

SysRet chmod_at(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t mode, int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path p = TRY(path_at(t, dirfd, path, flags));
  // Links have no mode of their own (fchmodat2 with AT_SYMLINK_NOFOLLOW).
  if (p.inode().is_symlink()) return fail(EOPNOTSUPP);
  TRY(t.kernel().vfs().chmod(caller(t), p, static_cast<mode_t>(mode)));
  return 0;
}

SysRet chown_at(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t uid, uint64_t gid,
                int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path p = TRY(path_at(t, dirfd, path, flags));
  TRY(t.kernel().vfs().chown(caller(t), p, static_cast<uint32_t>(uid), static_cast<uint32_t>(gid)));
  return 0;
}

bool nsec_valid(int64_t nsec) {
  return nsec == UTIME_OMIT || nsec == UTIME_NOW || (nsec >= 0 && nsec <= 999'999'999);
}

// do_utimes(): times (nullptr: both now) for a path, or for dirfd itself when the path
// pointer is null.
SysRet set_times(kernel::Task& t, int dirfd, uint64_t path_addr, const timespec* times, int flags) {
  if (times != nullptr && (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec))) {
    return fail(EINVAL);
  }
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  fs::Path p;
  if (path_addr == 0 && dirfd != AT_FDCWD) {
    p = TRY(fd_place(t, dirfd));
  } else {
    const std::string path = TRY(path_arg(t, path_addr));
    p = TRY(path_at(t, dirfd, path, flags));
  }
  if (times != nullptr && times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW) {
    times = nullptr;
  }
  const fs::Timestamp now = p.inode().sb().now();
  fs::TimeChange change{.atime = now, .mtime = now, .explicit_times = times != nullptr};
  if (times != nullptr) {
    auto pick = [&](const timespec& ts) -> std::optional<fs::Timestamp> {
      if (ts.tv_nsec == UTIME_OMIT) return std::nullopt;
      if (ts.tv_nsec == UTIME_NOW) return now;
      return fs::Timestamp{ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
    };
    change.atime = pick(times[0]);
    change.mtime = pick(times[1]);
  }
  TRY(t.kernel().vfs().utimes(caller(t), p, change));
  return 0;
}

// utimes(2) and futimesat(2) take microseconds.
SysRet set_times_usec(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t tv_addr) {
  if (tv_addr == 0) return set_times(t, dirfd, path_addr, nullptr, 0);
  timeval tv[2];
  TRY(t.mm().copy_in(tv_addr, std::as_writable_bytes(std::span(tv))));
  timespec ts[2];
  for (int i = 0; i < 2; ++i) {
    if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1'000'000) return fail(EINVAL);
    ts[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
  }
  return set_times(t, dirfd, path_addr, ts, 0);
}

SysRet access_at(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t mode, int flags) {
  if ((mode & ~static_cast<uint64_t>(S_IRWXO)) != 0) return fail(EINVAL);
  if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  // Checked as the real user unless AT_EACCESS asks for the effective one.
  kernel::Credentials creds = t.thread_group().creds();
  if ((flags & AT_EACCESS) == 0) {
    creds.fsuid = creds.ruid;
    creds.fsgid = creds.rgid;
  }
  const std::string path = TRY(path_arg(t, path_addr));
  fs::Path p;
  if (path.empty()) {
    p = TRY(path_at(t, dirfd, path, flags));
  } else {
    // The walk's search permissions are those of the same identity.
    const fs::Path start = TRY(start_at(t, dirfd, path));
    const fs::Caller c{creds, t.fs(), t.pid(), t.tid()};
    const unsigned follow = (flags & AT_SYMLINK_NOFOLLOW) != 0 ? 0 : fs::kFollow;
    p = TRY(t.kernel().vfs().resolve(c, start, path, follow));
  }
  fs::Inode& inode = p.inode();
  if ((mode & X_OK) != 0 && inode.is_reg() && p.mnt->noexec()) return fail(EACCES);
  int mask = 0;
  if ((mode & R_OK) != 0) mask |= fs::kMayRead;
  if ((mode & W_OK) != 0) mask |= fs::kMayWrite;
  if ((mode & X_OK) != 0) mask |= fs::kMayExec;
  TRY(fs::permission(inode, mask, creds));
  const bool special = !inode.is_reg() && !inode.is_dir() && !inode.is_symlink();
  if ((mode & W_OK) != 0 && !special && p.mnt->read_only()) return fail(EROFS);
  return 0;
}

}  // namespace

SysRet sys_chmod(kernel::Task& t, const SyscallArgs& a) {
  return chmod_at(t, AT_FDCWD, a[0], a[1], 0);
}

SysRet sys_fchmodat(kernel::Task& t, const SyscallArgs& a) {
  return chmod_at(t, static_cast<int>(a[0]), a[1], a[2], 0);
}

SysRet sys_fchmodat2(kernel::Task& t, const SyscallArgs& a) {
  return chmod_at(t, static_cast<int>(a[0]), a[1], a[2], static_cast<int>(a[3]));
}

SysRet sys_fchmod(kernel::Task& t, const SyscallArgs& a) {
  const fs::Path p = TRY(fd_place(t, static_cast<int>(a[0])));
  TRY(t.kernel().vfs().chmod(caller(t), p, static_cast<mode_t>(a[1])));
  return 0;
}

SysRet sys_chown(kernel::Task& t, const SyscallArgs& a) {
  return chown_at(t, AT_FDCWD, a[0], a[1], a[2], 0);
}

SysRet sys_lchown(kernel::Task& t, const SyscallArgs& a) {
  return chown_at(t, AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW);
}

SysRet sys_fchownat(kernel::Task& t, const SyscallArgs& a) {
  return chown_at(t, static_cast<int>(a[0]), a[1], a[2], a[3], static_cast<int>(a[4]));
}

SysRet sys_fchown(kernel::Task& t, const SyscallArgs& a) {
  const fs::Path p = TRY(fd_place(t, static_cast<int>(a[0])));
  TRY(t.kernel().vfs().chown(caller(t), p, static_cast<uint32_t>(a[1]),
                             static_cast<uint32_t>(a[2])));
  return 0;
}

SysRet sys_utimensat(kernel::Task& t, const SyscallArgs& a) {
  timespec times[2];
  if (a[2] != 0) {
    TRY(t.mm().copy_in(a[2], std::as_writable_bytes(std::span(times))));
    // Nothing to do: the path is not even looked at.
    if (times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT) return 0;
  }
  return set_times(t, static_cast<int>(a[0]), a[1], a[2] != 0 ? times : nullptr,
                   static_cast<int>(a[3]));
}

SysRet sys_utimes(kernel::Task& t, const SyscallArgs& a) {
  return set_times_usec(t, AT_FDCWD, a[0], a[1]);
}

SysRet sys_futimesat(kernel::Task& t, const SyscallArgs& a) {
  return set_times_usec(t, static_cast<int>(a[0]), a[1], a[2]);
}

SysRet sys_utime(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] == 0) return set_times(t, AT_FDCWD, a[0], nullptr, 0);
  const utimbuf times = TRY(t.mm().read(mm::GuestPtr<utimbuf>(a[1])));
  const timespec ts[2] = {{times.actime, 0}, {times.modtime, 0}};
  return set_times(t, AT_FDCWD, a[0], ts, 0);
}

SysRet sys_truncate(kernel::Task& t, const SyscallArgs& a) {
  const auto length = static_cast<int64_t>(a[1]);
  if (length < 0) return fail(EINVAL);
  const std::string path = TRY(path_arg(t, a[0]));
  const fs::Path p = TRY(path_at(t, AT_FDCWD, path, 0));
  TRY(t.kernel().vfs().truncate(caller(t), p, static_cast<uint64_t>(length), true));
  return 0;
}

SysRet sys_ftruncate(kernel::Task& t, const SyscallArgs& a) {
  const auto length = static_cast<int64_t>(a[1]);
  if (length < 0) return fail(EINVAL);
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  fs::Inode* inode = file->inode();
  if (inode == nullptr || !inode->is_reg() || !file->writable()) return fail(EINVAL);
  TRY(t.kernel().vfs().truncate(caller(t), file->path(), static_cast<uint64_t>(length), false));
  return 0;
}

SysRet sys_fallocate(kernel::Task& t, const SyscallArgs& a) {
  const int mode = static_cast<int>(a[1]);
  const auto offset = static_cast<int64_t>(a[2]);
  const auto len = static_cast<int64_t>(a[3]);
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  constexpr int kSupported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE |
                             FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
                             FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;
  if (offset < 0 || len <= 0) return fail(EINVAL);
  if ((mode & ~kSupported) != 0) return fail(EOPNOTSUPP);
  if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) ==
      (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
    return fail(EOPNOTSUPP);
  }
  if ((mode & FALLOC_FL_PUNCH_HOLE) != 0 && (mode & FALLOC_FL_KEEP_SIZE) == 0) {
    return fail(EOPNOTSUPP);
  }
  if ((mode & FALLOC_FL_COLLAPSE_RANGE) != 0 && (mode & ~FALLOC_FL_COLLAPSE_RANGE) != 0) {
    return fail(EINVAL);
  }
  if ((mode & FALLOC_FL_INSERT_RANGE) != 0 && (mode & ~FALLOC_FL_INSERT_RANGE) != 0) {
    return fail(EINVAL);
  }
  if ((mode & FALLOC_FL_UNSHARE_RANGE) != 0 &&
      (mode & ~(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE)) != 0) {
    return fail(EINVAL);
  }
  if (!file->writable()) return fail(EBADF);
  fs::Inode* inode = file->inode();
  const uint32_t type = inode != nullptr ? inode->type() : 0;
  if (type == S_IFIFO) return fail(ESPIPE);
  if (type == S_IFDIR) return fail(EISDIR);
  if (type != S_IFREG) return fail(ENODEV);
  int64_t end = 0;
  if (__builtin_add_overflow(offset, len, &end)) return fail(EFBIG);
  TRY(file->allocate(mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(len)));
  return 0;
}

SysRet sys_access(kernel::Task& t, const SyscallArgs& a) {
  return access_at(t, AT_FDCWD, a[0], a[1], 0);
}

SysRet sys_faccessat(kernel::Task& t, const SyscallArgs& a) {
  return access_at(t, static_cast<int>(a[0]), a[1], a[2], 0);
}

SysRet sys_faccessat2(kernel::Task& t, const SyscallArgs& a) {
  return access_at(t, static_cast<int>(a[0]), a[1], a[2], static_cast<int>(a[3]));
}

SysRet sys_umask(kernel::Task& t, const SyscallArgs& a) {
  const mode_t old = t.fs().umask;
  t.fs().umask = static_cast<mode_t>(a[0]) & 0777;
  return old;
}

}  // namespace ms::sys
