// Resource limits: getrlimit(2), prlimit64(2).
#include <sys/resource.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

// fs.nr_open: the largest RLIMIT_NOFILE Linux accepts.
constexpr rlim_t kNrOpen = 1 << 20;

}  // namespace

SysRet sys_getrlimit(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t resource = a[0];
  if (resource >= RLIM_NLIMITS) return fail(EINVAL);
  TRY(t.mm().write(mm::GuestPtr<rlimit>(a[1]), t.thread_group().rlimits()[resource]));
  return 0;
}

SysRet sys_prlimit64(kernel::Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a[0]);
  const uint64_t resource = a[1];
  std::optional<rlimit> wanted;
  if (a[2] != 0) wanted = TRY(t.mm().read(mm::GuestPtr<rlimit>(a[2])));
  // Other processes' limits need the process table (later); only the caller's for now.
  if (pid != 0 && pid != t.pid()) return fail(ESRCH);
  if (resource >= RLIM_NLIMITS) return fail(EINVAL);
  rlimit& limit = t.thread_group().rlimits()[resource];
  if (wanted) {
    if (wanted->rlim_cur > wanted->rlim_max) return fail(EINVAL);
    if (resource == RLIMIT_NOFILE && wanted->rlim_max > kNrOpen) return fail(EPERM);
    const bool privileged = t.thread_group().creds().euid == 0;
    if (wanted->rlim_max > limit.rlim_max && !privileged) return fail(EPERM);
  }
  const rlimit old = limit;
  if (wanted) limit = *wanted;
  if (a[3] != 0) TRY(t.mm().write(mm::GuestPtr<rlimit>(a[3]), old));
  return 0;
}

}  // namespace ms::sys
