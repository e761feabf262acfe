// Flushing and hints: sync(2), syncfs(2), fsync(2), fdatasync(2), sync_file_range(2),
// fadvise64(2), readahead(2). File data lives in memory (tmpfs) or on the host, whose page
// cache the host kernel writes back: only writable host files have anything to flush.
#include <fcntl.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {

SysRet sys_sync(kernel::Task& /*t*/, const SyscallArgs& /*a*/) {
  return 0;
}

SysRet sys_syncfs(kernel::Task& t, const SyscallArgs& a) {
  TRY(io_file(t, static_cast<int>(a[0])));
  return 0;
}

SysRet sys_fsync(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  TRY(file->sync(false));
  return 0;
}

SysRet sys_fdatasync(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  TRY(file->sync(true));
  return 0;
}

SysRet sys_sync_file_range(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  const auto offset = static_cast<int64_t>(a[1]);
  const auto nbytes = static_cast<int64_t>(a[2]);
  const auto flags = static_cast<unsigned>(a[3]);
  constexpr unsigned kValid =
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  if ((flags & ~kValid) != 0) return fail(EINVAL);
  int64_t end = 0;
  if (offset < 0 || __builtin_add_overflow(offset, nbytes, &end) || end < 0 || end < offset) {
    return fail(EINVAL);
  }
  fs::Inode* inode = file->inode();
  if (inode == nullptr || (!inode->is_reg() && !inode->is_dir() && !inode->is_symlink())) {
    return fail(ESPIPE);
  }
  return 0;
}

SysRet sys_fadvise64(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  const auto len = static_cast<int64_t>(a[2]);
  const int advice = static_cast<int>(a[3]);
  fs::Inode* inode = file->inode();
  if (inode != nullptr && inode->type() == S_IFIFO) return fail(ESPIPE);
  if (inode == nullptr || len < 0) return fail(EINVAL);
  switch (advice) {
    case POSIX_FADV_NORMAL:
    case POSIX_FADV_RANDOM:
    case POSIX_FADV_SEQUENTIAL:
    case POSIX_FADV_WILLNEED:
    case POSIX_FADV_NOREUSE:
    case POSIX_FADV_DONTNEED:
      return 0;
    default:
      return fail(EINVAL);
  }
}

SysRet sys_readahead(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  if (!file->readable()) return fail(EBADF);
  fs::Inode* inode = file->inode();
  if (inode == nullptr || !inode->is_reg()) return fail(EINVAL);
  return 0;
}

}  // namespace ms::sys
