// Declarations of every syscall handler named in syscall_list.def.
#pragma once

#include "sentry/syscalls/syscall_table.h"

namespace ms::sys {

#define MS_DECLARE_Full(name) SysRet sys_##name(kernel::Task& t, const SyscallArgs& a);
#define MS_DECLARE_Partial(name) MS_DECLARE_Full(name)
#define MS_DECLARE_Refused(name)
#define MS_DECLARE_None(name)
#define SYSCALL(nr, name, support, ret, args, note) MS_DECLARE_##support(name)
#include "sentry/syscalls/syscall_list.def"
#undef SYSCALL
#undef MS_DECLARE_Full
#undef MS_DECLARE_Partial
#undef MS_DECLARE_Refused
#undef MS_DECLARE_None

}  // namespace ms::sys
