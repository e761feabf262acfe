// fcntl(2) and flock(2): descriptor flags, status flags, record and OFD locks, pipe sizes,
// SIGIO owners.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>

#include "fs/locks.h"
#include "fs/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

// flock_to_posix_lock(): the byte range a struct flock names, from its whence.
Result<fs::RecordLock> to_range(fs::FileDescription& file, const struct flock& fl) {
  int64_t base = 0;
  switch (fl.l_whence) {
    case SEEK_SET:
      break;
    case SEEK_CUR:
      base = static_cast<int64_t>(file.position());
      break;
    case SEEK_END:
      base = static_cast<int64_t>(TRY(file.stat()).size);
      break;
    default:
      return fail(EINVAL);
  }
  fs::RecordLock lock;
  if (fl.l_start > fs::kOffsetMax - base) return fail(EOVERFLOW);
  lock.start = base + fl.l_start;
  if (lock.start < 0) return fail(EINVAL);
  if (fl.l_len > 0) {
    if (fl.l_len - 1 > fs::kOffsetMax - lock.start) return fail(EOVERFLOW);
    lock.end = lock.start + fl.l_len - 1;
  } else if (fl.l_len < 0) {
    if (lock.start + fl.l_len < 0) return fail(EINVAL);
    lock.end = lock.start - 1;
    lock.start += fl.l_len;
  } else {
    lock.end = fs::kOffsetMax;
  }
  if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK) return fail(EINVAL);
  lock.type = fl.l_type;
  return lock;
}

fs::LockOwner owner_for(kernel::Task& t, fs::FileDescription& file, bool ofd) {
  return ofd ? fs::LockOwner::file(&file) : fs::LockOwner::process(t.pid());
}

SysRet get_lock(kernel::Task& t, fs::FileDescription& file, uint64_t arg, bool ofd) {
  struct flock fl = TRY(t.mm().read(mm::GuestPtr<struct flock>(arg)));
  if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK) return fail(EINVAL);
  fs::RecordLock want = TRY(to_range(file, fl));
  if (ofd && fl.l_pid != 0) return fail(EINVAL);
  fs::Inode* inode = file.inode();
  if (inode == nullptr) return fail(EINVAL);
  want.owner = owner_for(t, file, ofd);
  auto held = inode->has_locks() ? inode->locks().conflict(want) : std::nullopt;
  if (!held) {
    fl.l_type = F_UNLCK;
  } else {
    fl.l_type = static_cast<short>(held->type);
    fl.l_whence = SEEK_SET;
    fl.l_start = held->start;
    fl.l_len = held->end == fs::kOffsetMax ? 0 : held->end - held->start + 1;
    fl.l_pid = held->pid;
  }
  TRY(t.mm().write(mm::GuestPtr<struct flock>(arg), fl));
  return 0;
}

SysRet set_lock(kernel::Task& t, fs::FileDescription& file, uint64_t arg, bool ofd, bool wait) {
  const struct flock fl = TRY(t.mm().read(mm::GuestPtr<struct flock>(arg)));
  fs::RecordLock want = TRY(to_range(file, fl));
  if (want.type == F_RDLCK && !file.readable()) return fail(EBADF);
  if (want.type == F_WRLCK && !file.writable()) return fail(EBADF);
  if (ofd && fl.l_pid != 0) return fail(EINVAL);
  fs::Inode* inode = file.inode();
  if (inode == nullptr) return fail(EINVAL);
  want.owner = owner_for(t, file, ofd);
  want.pid = ofd ? -1 : t.pid();
  fs::LockRegistry& registry = t.kernel().vfs().locks();
  auto r = inode->locks().set(want);
  if (r) {
    if (!ofd) {
      registry.done_waiting(t.pid());
      if (want.type != F_UNLCK) registry.holds(t.pid(), inode->shared_from_this());
    }
    return 0;
  }
  if (r.error() != Errno{EAGAIN} || !wait) return std::unexpected(r.error());
  if (!ofd) {
    const auto blocker = inode->locks().conflict(want);
    if (blocker && registry.would_deadlock(t.pid(), *blocker)) {
      registry.done_waiting(t.pid());
      return fail(EDEADLK);
    }
    registry.waiting(t.pid(), inode->shared_from_this(), want);
  }
  t.add_wait(inode->locks().queue(), POLLIN | POLLOUT);
  auto parked = t.park();
  if (parked.error() != Errno{EPARKED} && !ofd) registry.done_waiting(t.pid());
  return parked;
}

SysRet pipe_size(kernel::Task& t, fs::FileDescription& file, int cmd, uint64_t arg) {
  auto* end = dynamic_cast<fs::PipeEnd*>(&file);
  if (end == nullptr) return fail(EBADF);
  if (cmd == F_GETPIPE_SZ) return end->pipe().capacity();
  const auto bytes = static_cast<uint32_t>(arg);
  // /proc/sys/fs/pipe-max-size bounds unprivileged processes (CAP_SYS_RESOURCE exempts).
  constexpr uint32_t kPipeMaxSize = 1 << 20;
  if (bytes > kPipeMaxSize && bytes > end->pipe().capacity() &&
      t.thread_group().creds().euid != 0) {
    return fail(EPERM);
  }
  return TRY(end->pipe().set_capacity(bytes));
}

SysRet set_owner(fs::FileDescription& file, int type, int pid) {
  auto& owner = file.async_owner();
  owner.type = type;
  owner.pid = pid;
  return 0;
}

}  // namespace

SysRet sys_fcntl(kernel::Task& t, const SyscallArgs& a) {
  const int fd = static_cast<int>(a[0]);
  const int cmd = static_cast<int>(a[1]);
  const uint64_t arg = a[2];
  auto file = TRY(t.file(fd));
  // O_PATH descriptors allow only what does not touch the file.
  const bool path_only = (file->flags() & O_PATH) != 0;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
      break;
    default:
      if (path_only) return fail(EBADF);
  }
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
      if (kernel::WaitQueue* q = file->wait_queue()) q->notify(POLLIN | POLLOUT);
      return 0;
    case F_GETLK:
      return get_lock(t, *file, arg, false);
    case F_OFD_GETLK:
      return get_lock(t, *file, arg, true);
    case F_SETLK:
    case F_SETLKW:
      return set_lock(t, *file, arg, false, cmd == F_SETLKW);
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return set_lock(t, *file, arg, true, cmd == F_OFD_SETLKW);
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
      return pipe_size(t, *file, cmd, arg);
    case F_GETOWN: {
      const auto& owner = file->async_owner();
      return static_cast<uint64_t>(owner.type == F_OWNER_PGRP ? -owner.pid : owner.pid);
    }
    case F_SETOWN: {
      const int pid = static_cast<int>(arg);
      return set_owner(*file, pid < 0 ? F_OWNER_PGRP : F_OWNER_PID, pid < 0 ? -pid : pid);
    }
    case F_GETOWN_EX: {
      const auto& owner = file->async_owner();
      const f_owner_ex ex{static_cast<__pid_type>(owner.type != 0 ? owner.type : F_OWNER_PID),
                          owner.pid};
      TRY(t.mm().write(mm::GuestPtr<f_owner_ex>(arg), ex));
      return 0;
    }
    case F_SETOWN_EX: {
      const f_owner_ex ex = TRY(t.mm().read(mm::GuestPtr<f_owner_ex>(arg)));
      if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP) {
        return fail(EINVAL);
      }
      return set_owner(*file, ex.type, ex.pid);
    }
    case F_GETSIG:
      return static_cast<uint64_t>(file->async_owner().signal);
    case F_SETSIG:
      if (arg > 64) return fail(EINVAL);
      file->async_owner().signal = static_cast<int>(arg);
      return 0;
    case F_GETLEASE:
      return F_UNLCK;  // no lease is ever granted
    default:
      return fail(EINVAL);
  }
}

SysRet sys_flock(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  const int op = static_cast<int>(a[1]);
  const int cmd = op & ~LOCK_NB;
  if (cmd != LOCK_SH && cmd != LOCK_EX && cmd != LOCK_UN) return fail(EINVAL);
  fs::Inode* inode = file->inode();
  if (inode == nullptr) return fail(EINVAL);
  auto r = inode->locks().flock(file.get(), cmd);
  if (r) return 0;
  if (r.error() != Errno{EAGAIN}) return std::unexpected(r.error());
  if ((op & LOCK_NB) != 0) return fail(EWOULDBLOCK);
  t.add_wait(inode->locks().queue(), POLLIN | POLLOUT);
  return t.park();
}

}  // namespace ms::sys
