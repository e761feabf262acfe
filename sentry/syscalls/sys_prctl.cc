// prctl(2): the options a process may use on itself.
#include <linux/prctl.h>

#include <cstring>

#include "sentry/kernel/task.h"
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
    default:
      return fail(EINVAL);
  }
}

}  // namespace ms::sys
