// x86-64 specifics: arch_prctl(2).
#include <asm/prctl.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

// Bases must be canonical user addresses (below TASK_SIZE_MAX).
constexpr uint64_t kTaskSizeMax = 0x7ffffffff000;

}  // namespace

SysRet sys_arch_prctl(kernel::Task& t, const SyscallArgs& a) {
  const int code = static_cast<int>(a[0]);
  const uint64_t arg = a[1];
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS: {
      if (arg >= kTaskSizeMax) return fail(EPERM);
      platform::Regs* r = TRY(t.thread().regs());
      (code == ARCH_SET_FS ? r->fs_base : r->gs_base) = arg;
      t.thread().set_regs_dirty();
      return 0;
    }
    case ARCH_GET_FS:
    case ARCH_GET_GS: {
      platform::Regs* r = TRY(t.thread().regs());
      const uint64_t base = code == ARCH_GET_FS ? r->fs_base : r->gs_base;
      TRY(t.mm().write(mm::GuestPtr<uint64_t>(arg), base));
      return 0;
    }
    case ARCH_GET_CPUID:
      return 1;  // cpuid is not trapped
    case ARCH_SET_CPUID:
      return fail(ENODEV);  // CPUID faulting is not offered to guests
    default:
      return fail(EINVAL);
  }
}

}  // namespace ms::sys
