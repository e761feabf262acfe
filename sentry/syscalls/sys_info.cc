// System information: uname(2), getrandom(2).
#include <linux/random.h>
#include <sys/utsname.h>

#include <cstring>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_io.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

void set_field(char (&field)[65], const char* value) {
  std::strncpy(field, value, sizeof(field) - 1);
}

}  // namespace

SysRet sys_uname(kernel::Task& t, const SyscallArgs& a) {
  utsname u{};
  set_field(u.sysname, "Linux");
  set_field(u.nodename, "minisentry");
  set_field(u.release, "6.1.0-minisentry");
  set_field(u.version, "#1 SMP PREEMPT_DYNAMIC minisentry");
  set_field(u.machine, "x86_64");
  set_field(u.domainname, "(none)");
  TRY(t.mm().write(mm::GuestPtr<utsname>(a[0]), u));
  return 0;
}

SysRet sys_getrandom(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t flags = a[2];
  if ((flags & ~static_cast<uint64_t>(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0) {
    return fail(EINVAL);
  }
  if ((flags & GRND_INSECURE) != 0 && (flags & GRND_RANDOM) != 0) return fail(EINVAL);
  const uint64_t len = std::min<uint64_t>(a[1], kMaxRwCount);
  uint64_t done = 0;
  while (done < len) {
    const uint64_t chunk = std::min<uint64_t>(len - done, 1 << 16);
    std::span<std::byte> buf = t.kernel().scratch(chunk);
    t.kernel().random_bytes(buf);
    auto n = t.mm().copy_out_partial(a[0] + done, buf);
    if (!n) return done > 0 ? SysRet(done) : SysRet(fail(EFAULT));
    done += *n;
    if (*n < chunk) break;
  }
  return done;
}

}  // namespace ms::sys
