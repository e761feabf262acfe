// eventfd(2) and eventfd2(2). The counter itself is fs::EventFd.
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "fs/eventfd.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

SysRet create(kernel::Task& t, uint32_t initial, int flags) {
  if ((flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) != 0) return fail(EINVAL);
  auto file = std::make_shared<fs::EventFd>(initial, (flags & EFD_SEMAPHORE) != 0, flags);
  return TRY(t.fds().install(std::move(file), (flags & EFD_CLOEXEC) != 0, 0,
                             t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur));
}

}  // namespace

SysRet sys_eventfd(kernel::Task& t, const SyscallArgs& a) {
  return create(t, static_cast<uint32_t>(a[0]), 0);
}

SysRet sys_eventfd2(kernel::Task& t, const SyscallArgs& a) {
  return create(t, static_cast<uint32_t>(a[0]), static_cast<int>(a[1]));
}

}  // namespace ms::sys
