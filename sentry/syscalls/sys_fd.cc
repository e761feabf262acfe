// Operations on descriptors themselves: close(2), lseek(2), ioctl(2).
#include <sys/ioctl.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {

SysRet sys_close(kernel::Task& t, const SyscallArgs& a) {
  if (!t.fds().remove(static_cast<int>(a[0]))) return fail(EBADF);
  return 0;
}

SysRet sys_lseek(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(t.file(static_cast<int>(a[0])));
  const int whence = static_cast<int>(a[2]);
  if (whence < SEEK_SET || whence > SEEK_HOLE) return fail(EINVAL);
  return file->seek(static_cast<int64_t>(a[1]), whence);
}

SysRet sys_ioctl(kernel::Task& t, const SyscallArgs& a) {
  const int fd = static_cast<int>(a[0]);
  auto file = TRY(t.file(fd));
  const auto request = static_cast<uint32_t>(a[1]);
  const uint64_t arg = a[2];
  switch (request) {
    case FIOCLEX:
      t.fds().set_cloexec(fd, true);
      return 0;
    case FIONCLEX:
      t.fds().set_cloexec(fd, false);
      return 0;
    case FIONBIO: {
      const int on = TRY(t.mm().read(mm::GuestPtr<int>(arg)));
      file->set_status_flags(on != 0 ? file->flags() | O_NONBLOCK : file->flags() & ~O_NONBLOCK);
      return 0;
    }
    default:
      return file->ioctl(request, arg, t.mm());
  }
}

}  // namespace ms::sys
