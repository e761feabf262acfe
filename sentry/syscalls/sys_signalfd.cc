// signalfd(2) and signalfd4(2). The file itself is kernel::SignalFd.
#include <sys/resource.h>
#include <sys/signalfd.h>

#include "sentry/kernel/signalfd.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

SysRet signalfd(kernel::Task& t, int fd, uint64_t mask_addr, uint64_t size, int flags) {
  if (size != sizeof(uint64_t)) return fail(EINVAL);
  const kernel::SigSet mask(TRY(t.mm().read(mm::GuestPtr<uint64_t>(mask_addr))));
  if ((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) != 0) return fail(EINVAL);
  if (fd == -1) {
    auto file = std::make_shared<kernel::SignalFd>(t.kernel(), mask, flags);
    return TRY(t.fds().install(std::move(file), (flags & SFD_CLOEXEC) != 0, 0,
                               t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur));
  }
  // An existing signalfd gets the new mask; the flags do not apply to it.
  auto file = TRY(t.file(fd));
  auto* existing = dynamic_cast<kernel::SignalFd*>(file.get());
  if (existing == nullptr) return fail(EINVAL);
  existing->set_mask(mask);
  return static_cast<uint64_t>(fd);
}

}  // namespace

SysRet sys_signalfd(kernel::Task& t, const SyscallArgs& a) {
  return signalfd(t, static_cast<int>(a[0]), a[1], a[2], 0);
}

SysRet sys_signalfd4(kernel::Task& t, const SyscallArgs& a) {
  return signalfd(t, static_cast<int>(a[0]), a[1], a[2], static_cast<int>(a[3]));
}

}  // namespace ms::sys
