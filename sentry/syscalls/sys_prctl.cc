// prctl(2): the options a process may use on itself.
#include <linux/prctl.h>

#include <cstring>

#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

constexpr size_t kTaskCommLen = 16;

}  // namespace

SysRet sys_prctl(kernel::Task& t, const SyscallArgs& a) {
  const int option = static_cast<int>(a[0]);
  switch (option) {
    case PR_SET_NAME: {
      char name[kTaskCommLen] = {};
      auto n = TRY(t.mm().copy_in_partial(a[1], std::as_writable_bytes(std::span(name))));
      (void)n;
      name[kTaskCommLen - 1] = '\0';
      t.comm = std::string(name, strnlen(name, kTaskCommLen));
      return 0;
    }
    case PR_GET_NAME: {
      char name[kTaskCommLen] = {};
      std::memcpy(name, t.comm.data(), std::min(t.comm.size(), kTaskCommLen - 1));
      TRY(t.mm().copy_out(a[1], std::as_bytes(std::span(name))));
      return 0;
    }
    case PR_SET_PDEATHSIG:
      if (a[1] > static_cast<uint64_t>(kernel::kNumSignals)) return fail(EINVAL);
      t.pdeath_signal = static_cast<int>(a[1]);
      return 0;
    case PR_GET_PDEATHSIG:
      TRY(t.mm().write(mm::GuestPtr<int>(a[1]), t.pdeath_signal));
      return 0;
    case PR_SET_CHILD_SUBREAPER:
      t.thread_group().child_subreaper = a[1] != 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      TRY(t.mm().write(mm::GuestPtr<int>(a[1]), t.thread_group().child_subreaper ? 1 : 0));
      return 0;
    case PR_SET_DUMPABLE:
      if (a[1] != 0 && a[1] != 1) return fail(EINVAL);
      t.thread_group().dumpable = a[1] != 0;
      return 0;
    case PR_GET_DUMPABLE:
      return t.thread_group().dumpable ? 1 : 0;
    case PR_SET_NO_NEW_PRIVS:
      if (a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0) return fail(EINVAL);
      t.thread_group().no_new_privs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0) return fail(EINVAL);
      return t.thread_group().no_new_privs ? 1 : 0;
    default:
      return fail(EINVAL);
  }
}

}  // namespace ms::sys
