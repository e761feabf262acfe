// The syscall table: dispatch, names and argument kinds, all generated from syscall_list.def.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

struct SyscallArgs {
  uint64_t a[6] = {};
  uint64_t operator[](int i) const { return a[i]; }
};

// A handler's result: the value for rax, or an errno (including the kernel-internal restart
// codes and EPARKED).
using SysRet = Result<uint64_t>;
using Handler = SysRet (*)(kernel::Task&, const SyscallArgs&);

// How --strace prints an argument or result.
enum class ArgKind : uint8_t {
  Unknown,  // not described yet: printed in hex
  Int,      // signed decimal
  UInt,     // unsigned decimal
  Hex,
  Ptr,    // an address, NULL when zero
  Size,   // a byte count (decimal)
  Off,    // a 64-bit file offset (signed decimal)
  SSize,  // a byte count or -1 (results)
  Fd,
  DirFd,     // AT_FDCWD or an fd
  Path,      // NUL-terminated string in guest memory
  InBuf,     // bytes read by the syscall, length in the next argument
  OutBuf,    // bytes written by the syscall, printed at exit, length = result
  IovecIn,   // struct iovec[] read by the syscall, count in the next argument
  IovecOut,  // struct iovec[] written by the syscall
  OFlags,    // open flags
  FdFlags,   // O_CLOEXEC/O_NONBLOCK-style flags without an access mode (dup3, pipe2, ...)
  Mode,      // octal mode
  AtFlags,   // AT_* flags
  Prot,      // PROT_* flags
  MapFlags,  // MAP_* flags
  Whence,    // SEEK_*
  Signal,    // signal number
  SigHow,    // SIG_BLOCK, ...
  ClockId,
  Resource,  // RLIMIT_*
  IoctlReq,
  SockAddr,  // struct sockaddr read by the syscall, length in the next argument
};

enum class Support : uint8_t {
  Full,     // as Linux documents it
  Partial,  // common cases; the note says what is missing
  Refused,  // ENOSYS (or the errno in the note) on purpose, quietly: the note says why
  None,     // not implemented: ENOSYS, logged once
};

struct SyscallSpec {
  uint32_t nr = 0;
  std::string_view name;
  Support support = Support::None;
  ArgKind ret = ArgKind::Int;
  uint8_t nargs = 0;
  std::array<ArgKind, 6> args{};
  std::string_view note;
  Handler handler = nullptr;
};

// nullptr for a number Linux does not define.
const SyscallSpec* find_syscall(uint64_t nr);
std::span<const SyscallSpec> all_syscalls();
std::string_view support_name(Support s);

}  // namespace ms::sys
