// Operations on descriptors themselves: close(2), dup(2), dup2(2), dup3(2), fcntl(2),
// lseek(2), ioctl(2).
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "fs/host_file.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/tty_job_control.h"

namespace ms::sys {
namespace {

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

SysRet duplicate_to(kernel::Task& t, int oldfd, int newfd, bool cloexec) {
  auto file = TRY(t.file(oldfd));
  if (newfd < 0 || static_cast<uint64_t>(newfd) >= fd_limit(t)) return fail(EBADF);
  t.fds().install_at(newfd, std::move(file), cloexec);
  return static_cast<uint64_t>(newfd);
}

}  // namespace

SysRet sys_dup(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(t.file(static_cast<int>(a[0])));
  return TRY(t.fds().install(std::move(file), false, 0, fd_limit(t)));
}

SysRet sys_dup2(kernel::Task& t, const SyscallArgs& a) {
  const int oldfd = static_cast<int>(a[0]);
  const int newfd = static_cast<int>(a[1]);
  if (oldfd == newfd) {
    TRY(t.file(oldfd));
    return static_cast<uint64_t>(newfd);
  }
  return duplicate_to(t, oldfd, newfd, false);
}

SysRet sys_dup3(kernel::Task& t, const SyscallArgs& a) {
  const int oldfd = static_cast<int>(a[0]);
  const int newfd = static_cast<int>(a[1]);
  const uint64_t flags = a[2];
  if ((flags & ~static_cast<uint64_t>(O_CLOEXEC)) != 0) return fail(EINVAL);
  if (oldfd == newfd) return fail(EINVAL);
  return duplicate_to(t, oldfd, newfd, (flags & O_CLOEXEC) != 0);
}

SysRet sys_fcntl(kernel::Task& t, const SyscallArgs& a) {
  const int fd = static_cast<int>(a[0]);
  const int cmd = static_cast<int>(a[1]);
  const uint64_t arg = a[2];
  auto file = TRY(t.file(fd));
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const auto min = static_cast<int64_t>(static_cast<int>(arg));
      if (min < 0 || static_cast<uint64_t>(min) >= fd_limit(t)) return fail(EINVAL);
      return TRY(t.fds().install(std::move(file), cmd == F_DUPFD_CLOEXEC, static_cast<int>(min),
                                 fd_limit(t)));
    }
    case F_GETFD:
      return t.fds().cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      t.fds().set_cloexec(fd, (arg & FD_CLOEXEC) != 0);
      return 0;
    case F_GETFL:
      return static_cast<uint64_t>(file->flags());
    case F_SETFL:
      file->set_status_flags(static_cast<int>(arg));
      return 0;
    default:
      return fail(EINVAL);
  }
}

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
      if (auto* host = dynamic_cast<fs::HostFile*>(file.get()); host != nullptr && host->is_tty()) {
        if (auto r = tty_job_control(t, request, arg)) return *r;
      }
      return file->ioctl(request, arg, t.mm());
  }
}

}  // namespace ms::sys
