// open(2), openat(2), openat2(2), creat(2): flags checked as build_open_flags() does, a
// descriptor reserved (EMFILE) before the path is walked, and a FIFO open that waits for
// its other side.
#include <linux/openat2.h>
#include <sys/resource.h>

#include "fs/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

constexpr uint64_t kTmpFile = 020000000;  // __O_TMPFILE, without O_DIRECTORY
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                     O_NONBLOCK | O_DSYNC | O_SYNC | O_ASYNC | O_DIRECT |
                                     O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                     O_CLOEXEC | O_PATH | kTmpFile;
constexpr uint64_t kPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
constexpr uint64_t kValidResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                   RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;

bool will_create(uint64_t flags) {
  return (flags & (O_CREAT | kTmpFile)) != 0;
}

// build_open_flags(): the checks openat2 makes (the older calls clean their flags first).
Result<fs::OpenHow> build_open_flags(uint64_t flags, uint64_t mode, uint64_t resolve) {
  if ((flags & ~kValidOpenFlags) != 0) return fail(EINVAL);
  if ((resolve & ~kValidResolve) != 0) return fail(EINVAL);
  if ((resolve & RESOLVE_BENEATH) != 0 && (resolve & RESOLVE_IN_ROOT) != 0) return fail(EINVAL);
  if (will_create(flags)) {
    if ((mode & ~07777ULL) != 0) return fail(EINVAL);
  } else if (mode != 0) {
    return fail(EINVAL);
  }
  if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT)) return fail(EINVAL);
  if ((flags & kTmpFile) != 0) {
    if ((flags & O_DIRECTORY) == 0) return fail(EINVAL);
    if ((flags & O_ACCMODE) == O_RDONLY) return fail(EINVAL);
  }
  if ((flags & O_PATH) != 0 && (flags & ~kPathFlags) != 0) return fail(EINVAL);
  if ((resolve & RESOLVE_CACHED) != 0 && (flags & (O_TRUNC | O_CREAT | kTmpFile)) != 0) {
    return fail(EAGAIN);
  }
  fs::OpenHow how{.flags = static_cast<int>(flags & ~static_cast<uint64_t>(O_CLOEXEC)),
                  .mode = static_cast<mode_t>(mode)};
  if ((flags & O_EXCL) != 0 && (flags & O_CREAT) != 0) how.flags |= O_NOFOLLOW;
  if ((resolve & RESOLVE_NO_XDEV) != 0) how.restrictions |= fs::kNoXdev;
  if ((resolve & RESOLVE_NO_MAGICLINKS) != 0) how.restrictions |= fs::kNoMagicLinks;
  if ((resolve & RESOLVE_NO_SYMLINKS) != 0) how.restrictions |= fs::kNoSymlinks;
  if ((resolve & RESOLVE_BENEATH) != 0) how.restrictions |= fs::kBeneath;
  if ((resolve & RESOLVE_IN_ROOT) != 0) how.restrictions |= fs::kInRoot;
  if ((resolve & RESOLVE_CACHED) != 0) how.restrictions |= fs::kCached;
  return how;
}

// build_open_how() of open(2) and openat(2): unknown flags are dropped, the mode is
// ignored unless creating, and O_PATH keeps only the flags it allows.
Result<fs::OpenHow> legacy_how(uint64_t flags, uint64_t mode) {
  flags &= kValidOpenFlags;
  flags |= O_LARGEFILE;
  if ((flags & O_PATH) != 0) flags &= kPathFlags;
  return build_open_flags(flags, will_create(flags) ? mode & 07777 : 0, 0);
}

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

SysRet do_open(kernel::Task& t, int dirfd, uint64_t path_addr, const Result<fs::OpenHow>& how,
               bool cloexec) {
  std::shared_ptr<fs::FileDescription> file;
  if (t.syscall_state) {
    // Woken while waiting for a FIFO's other side.
    file = std::static_pointer_cast<fs::FileDescription>(t.syscall_state);
  } else {
    const fs::OpenHow h = TRY(how);
    const std::string path = TRY(path_arg(t, path_addr));
    TRY(t.fds().lowest_free(0, fd_limit(t)));
    if ((h.flags & kTmpFile) != 0) return fail(EOPNOTSUPP);
    const fs::Path start = TRY(start_at(t, dirfd, path));
    const fs::Caller c = caller(t);
    file = TRY(t.kernel().vfs().open(c, start, path, h));
  }
  if (auto* end = dynamic_cast<fs::PipeEnd*>(file.get())) {
    if (kernel::WaitQueue* q = end->open_wait()) {
      t.syscall_state = file;
      t.add_wait(*q, POLLIN | POLLOUT);
      return t.park();
    }
  }
  return TRY(t.fds().install(std::move(file), cloexec, 0, fd_limit(t)));
}

}  // namespace

SysRet sys_open(kernel::Task& t, const SyscallArgs& a) {
  return do_open(t, AT_FDCWD, a[0], legacy_how(a[1], a[2]), (a[1] & O_CLOEXEC) != 0);
}

SysRet sys_openat(kernel::Task& t, const SyscallArgs& a) {
  return do_open(t, static_cast<int>(a[0]), a[1], legacy_how(a[2], a[3]), (a[2] & O_CLOEXEC) != 0);
}

SysRet sys_creat(kernel::Task& t, const SyscallArgs& a) {
  return do_open(t, AT_FDCWD, a[0], legacy_how(O_CREAT | O_WRONLY | O_TRUNC, a[1]), false);
}

SysRet sys_openat2(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t size = a[3];
  if (!t.syscall_state) {
    if (size < sizeof(open_how)) return fail(EINVAL);
    if (size > 4096) return fail(E2BIG);
  }
  open_how how{};
  if (!t.syscall_state) {
    TRY(t.mm().copy_in(a[2], std::as_writable_bytes(std::span(&how, 1))));
    // A larger structure from a newer program: what we do not know must be zero.
    for (uint64_t off = sizeof(how); off < size; off += 8) {
      uint8_t extra[8] = {};
      const uint64_t n = std::min<uint64_t>(8, size - off);
      TRY(t.mm().copy_in(a[2] + off, std::as_writable_bytes(std::span(extra, n))));
      for (uint64_t i = 0; i < n; ++i) {
        if (extra[i] != 0) return fail(E2BIG);
      }
    }
  }
  uint64_t flags = how.flags;
  if ((flags & O_PATH) == 0) flags |= O_LARGEFILE;
  return do_open(t, static_cast<int>(a[0]), a[1], build_open_flags(flags, how.mode, how.resolve),
                 (how.flags & O_CLOEXEC) != 0);
}

}  // namespace ms::sys
