#include "sentry/syscalls/wait_timeout.h"

#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"

namespace ms::sys {

Result<std::optional<kernel::Duration>> read_timespec_timeout(kernel::Task& t, uint64_t addr) {
  if (addr == 0) return std::optional<kernel::Duration>();
  const timespec ts = TRY(t.mm().read(mm::GuestPtr<timespec>(addr)));
  if (!kernel::timespec_valid(ts)) return fail(EINVAL);
  return std::optional(kernel::timespec_to_ktime(ts));
}

void start_deadline(kernel::Task& t, std::optional<kernel::Duration> timeout) {
  if (!timeout) return;
  t.set_deadline(kernel::ktime_add_safe(t.kernel().clock().monotonic(), *timeout));
}

kernel::Duration time_left(kernel::Task& t) {
  if (!t.deadline()) return kernel::Duration::zero();
  const kernel::Duration now = t.kernel().clock().monotonic();
  return *t.deadline() > now ? *t.deadline() - now : kernel::Duration::zero();
}

}  // namespace ms::sys
