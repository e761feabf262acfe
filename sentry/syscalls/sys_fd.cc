// Operations on descriptors themselves: close(2), close_range(2), dup(2), dup2(2), dup3(2),
// lseek(2), ioctl(2).
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "fs/host_file.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/tty_job_control.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

SysRet duplicate_to(kernel::Task& t, int oldfd, int newfd, bool cloexec) {
  auto file = TRY(t.file(oldfd));
  if (newfd < 0 || static_cast<uint64_t>(newfd) >= fd_limit(t)) return fail(EBADF);
  if (auto replaced = t.fds().install_at(newfd, std::move(file), cloexec)) {
    file_closed(t, replaced);
  }
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

SysRet sys_close(kernel::Task& t, const SyscallArgs& a) {
  auto file = t.fds().remove(static_cast<int>(a[0]));
  if (!file) return fail(EBADF);
  file_closed(t, file);
  return 0;
}

SysRet sys_close_range(kernel::Task& t, const SyscallArgs& a) {
  const auto first = static_cast<unsigned>(a[0]);
  const auto last = static_cast<unsigned>(a[1]);
  const auto flags = static_cast<unsigned>(a[2]);
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0) return fail(EINVAL);
  if (first > last) return fail(EINVAL);
  // A table shared with other threads (CLONE_FILES) is copied first, so they keep theirs.
  if ((flags & CLOSE_RANGE_UNSHARE) != 0 && t.fds_ptr().use_count() > 1) {
    t.set_fds(t.fds().clone());
  }
  for (int fd : t.fds().open_in(first, last)) {
    if ((flags & CLOSE_RANGE_CLOEXEC) != 0) {
      t.fds().set_cloexec(fd, true);
    } else if (auto file = t.fds().remove(fd)) {
      file_closed(t, file);
    }
  }
  return 0;
}

SysRet sys_lseek(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  const int whence = static_cast<int>(a[2]);
  if (whence < SEEK_SET || whence > SEEK_HOLE) return fail(EINVAL);
  return file->seek(static_cast<int64_t>(a[1]), whence);
}

SysRet sys_ioctl(kernel::Task& t, const SyscallArgs& a) {
  const int fd = static_cast<int>(a[0]);
  auto file = TRY(io_file(t, fd));
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
    case FIOASYNC: {
      const int on = TRY(t.mm().read(mm::GuestPtr<int>(arg)));
      file->set_status_flags(on != 0 ? file->flags() | O_ASYNC : file->flags() & ~O_ASYNC);
      return 0;
    }
    case FIONREAD:
      // Regular files answer with what is left to read; others decide for themselves.
      if (fs::Inode* inode = file->inode(); inode != nullptr && inode->is_reg()) {
        const fs::Stat st = TRY(file->stat());
        const uint64_t pos = file->position();
        const int left =
            pos < st.size ? static_cast<int>(std::min<uint64_t>(st.size - pos, INT32_MAX)) : 0;
        TRY(t.mm().write(mm::GuestPtr<int>(arg), left));
        return 0;
      }
      return file->ioctl(request, arg, t.mm());
    case FIOQSIZE:
      if (fs::Inode* inode = file->inode();
          inode != nullptr && (inode->is_reg() || inode->is_dir() || inode->is_symlink())) {
        const fs::Stat st = TRY(file->stat());
        TRY(t.mm().write(mm::GuestPtr<int64_t>(arg), static_cast<int64_t>(st.size)));
        return 0;
      }
      return fail(ENOTTY);
    default:
      if (auto* host = dynamic_cast<fs::HostFile*>(file.get()); host != nullptr && host->is_tty()) {
        if (auto r = tty_job_control(t, request, arg)) return *r;
      }
      return file->ioctl(request, arg, t.mm());
  }
}

}  // namespace ms::sys
