#include "sentry/syscalls/wait_sigmask.h"

#include "sentry/kernel/task.h"

namespace ms::sys {

Result<void> set_wait_sigmask(kernel::Task& t, uint64_t mask, uint64_t size) {
  if (mask == 0) return {};
  if (size != sizeof(uint64_t)) return fail(EINVAL);
  const uint64_t bits = TRY(t.mm().read(mm::GuestPtr<uint64_t>(mask)));
  t.saved_mask = t.signal_mask();
  t.set_signal_mask(kernel::SigSet(bits));
  return {};
}

SysRet finish_wait_sigmask(kernel::Task& t, SysRet result, bool interrupted) {
  if (!result && result.error() == Errno{EPARKED}) return result;
  if (!interrupted && t.saved_mask) {
    t.set_signal_mask(*t.saved_mask);
    t.saved_mask.reset();
  }
  return result;
}

}  // namespace ms::sys
