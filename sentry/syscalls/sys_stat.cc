// fstat(2), newfstatat(2).
#include <fcntl.h>
#include <linux/limits.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/stat_layout.h"

namespace ms::sys {
namespace {

SysRet stat_file(kernel::Task& t, int fd, uint64_t buf) {
  auto file = TRY(t.file(fd));
  const fs::Stat st = TRY(file->stat());
  TRY(t.mm().write(mm::GuestPtr<struct stat>(buf), to_guest_stat(st)));
  return 0;
}

}  // namespace

SysRet sys_fstat(kernel::Task& t, const SyscallArgs& a) {
  return stat_file(t, static_cast<int>(a[0]), a[1]);
}

SysRet sys_newfstatat(kernel::Task& t, const SyscallArgs& a) {
  const int dirfd = static_cast<int>(a[0]);
  const int flags = static_cast<int>(a[3]);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) != 0) {
    return fail(EINVAL);
  }
  const std::string path = TRY(t.mm().copy_in_string(a[1], PATH_MAX - 1));
  if (path.empty()) {
    if ((flags & AT_EMPTY_PATH) == 0) return fail(ENOENT);
    return stat_file(t, dirfd, a[2]);
  }
  // The guest has no filesystem yet: every path names nothing.
  return fail(ENOENT);
}

}  // namespace ms::sys
