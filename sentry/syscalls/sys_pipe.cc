// pipe(2), pipe2(2).
#include <fcntl.h>
#include <sys/resource.h>

#include "fs/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

constexpr uint64_t kNotificationPipe = O_EXCL;  // O_NOTIFICATION_PIPE

SysRet make_pipe(kernel::Task& t, uint64_t fds_addr, uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(O_CLOEXEC | O_NONBLOCK | O_DIRECT | kNotificationPipe)) !=
      0) {
    return fail(EINVAL);
  }
  // Watch queues do not exist in the sandbox (see the table's note).
  if ((flags & kNotificationPipe) != 0) return fail(EINVAL);
  const uint64_t limit = t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
  fs::PipeEnds ends = fs::make_pipe(t.kernel().vfs(), caller(t), static_cast<int>(flags));
  const bool cloexec = (flags & O_CLOEXEC) != 0;
  const int rfd = TRY(t.fds().install(ends.read, cloexec, 0, limit));
  auto wfd = t.fds().install(ends.write, cloexec, 0, limit);
  if (!wfd) {
    t.fds().remove(rfd);
    return std::unexpected(wfd.error());
  }
  const int pair[2] = {rfd, *wfd};
  if (!t.mm().copy_out(fds_addr, std::as_bytes(std::span(pair)))) {
    t.fds().remove(rfd);
    t.fds().remove(*wfd);
    return fail(EFAULT);
  }
  return 0;
}

}  // namespace

SysRet sys_pipe(kernel::Task& t, const SyscallArgs& a) {
  return make_pipe(t, a[0], 0);
}

SysRet sys_pipe2(kernel::Task& t, const SyscallArgs& a) {
  return make_pipe(t, a[0], a[1]);
}

}  // namespace ms::sys
