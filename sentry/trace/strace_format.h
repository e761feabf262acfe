// strace-style rendering of one syscall: name(decoded args) = result.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "sentry/mm/guest_memory.h"
#include "sentry/syscalls/syscall_table.h"

namespace ms::trace {

// spec may be nullptr (a number Linux does not define). mem is read for strings and
// buffers; unreadable memory prints as the bare address. returned is false for a syscall
// that ended its caller (exit, exit_group, a fatal execve): the result prints as "?".
std::string format_syscall(const sys::SyscallSpec* spec, uint64_t nr, const uint64_t (&args)[6],
                           const sys::SysRet& result, bool returned, mm::GuestMemory& mem);

// "ENOENT", "EINTR", ... ("E123" for numbers without a name).
std::string errno_name(int err);

}  // namespace ms::trace
