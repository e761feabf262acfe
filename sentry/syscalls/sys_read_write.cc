// read(2), write(2), readv(2), writev(2), pread64(2), pwrite64(2), preadv(2), pwritev(2),
// preadv2(2), pwritev2(2).
#include <linux/fs.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_io.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

Result<std::shared_ptr<fs::FileDescription>> readable_file(kernel::Task& t, uint64_t fd) {
  auto file = TRY(t.file(static_cast<int>(fd)));
  if (!file->readable()) return fail(EBADF);
  return file;
}

Result<std::shared_ptr<fs::FileDescription>> writable_file(kernel::Task& t, uint64_t fd) {
  auto file = TRY(t.file(static_cast<int>(fd)));
  if (!file->writable()) return fail(EBADF);
  return file;
}

// A position from pread/pwrite: negative is EINVAL.
Result<uint64_t> position(uint64_t pos) {
  if (static_cast<int64_t>(pos) < 0) return fail(EINVAL);
  return pos;
}

// Newer than the build host's headers (Linux 6.9, 6.11, 6.14).
constexpr uint64_t RWF_NOAPPEND = 0x20;
constexpr uint64_t RWF_ATOMIC = 0x40;
constexpr uint64_t RWF_DONTCACHE = 0x80;
constexpr uint64_t kKnownRwf = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND |
                               RWF_NOAPPEND | RWF_ATOMIC | RWF_DONTCACHE;

// RWF_* flags the sandbox's files do not implement: atomic writes and uncached I/O.
Result<void> check_rwf(uint64_t flags, bool write) {
  if ((flags & ~kKnownRwf) != 0) return fail(EOPNOTSUPP);
  if ((flags & (RWF_ATOMIC | RWF_DONTCACHE)) != 0) return fail(EOPNOTSUPP);
  if (!write && (flags & (RWF_APPEND | RWF_NOAPPEND)) != 0) return fail(EOPNOTSUPP);
  return {};
}

// preadv2/pwritev2: an offset of -1 means the file offset, as readv/writev.
Result<std::optional<uint64_t>> v2_position(uint64_t pos) {
  if (static_cast<int64_t>(pos) == -1) return std::optional<uint64_t>();
  return std::optional<uint64_t>(TRY(position(pos)));
}

}  // namespace

SysRet sys_read(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(readable_file(t, a[0]));
  const GuestRange dst{a[1], a[2]};
  return read_to_guest(t, *file, std::span(&dst, 1), std::nullopt);
}

SysRet sys_write(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(writable_file(t, a[0]));
  const GuestRange src{a[1], a[2]};
  return write_from_guest(t, *file, std::span(&src, 1), std::nullopt);
}

SysRet sys_readv(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(readable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  return read_to_guest(t, *file, iov, std::nullopt);
}

SysRet sys_writev(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(writable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  return write_from_guest(t, *file, iov, std::nullopt);
}

SysRet sys_pread64(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t pos = TRY(position(a[3]));
  auto file = TRY(readable_file(t, a[0]));
  const GuestRange dst{a[1], a[2]};
  return read_to_guest(t, *file, std::span(&dst, 1), pos);
}

SysRet sys_pwrite64(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t pos = TRY(position(a[3]));
  auto file = TRY(writable_file(t, a[0]));
  const GuestRange src{a[1], a[2]};
  return write_from_guest(t, *file, std::span(&src, 1), pos);
}

// On x86-64 the position is the whole of the fourth argument (pos_h is ignored).
SysRet sys_preadv(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t pos = TRY(position(a[3]));
  auto file = TRY(readable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  return read_to_guest(t, *file, iov, pos);
}

SysRet sys_pwritev(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t pos = TRY(position(a[3]));
  auto file = TRY(writable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  return write_from_guest(t, *file, iov, pos);
}

SysRet sys_preadv2(kernel::Task& t, const SyscallArgs& a) {
  const std::optional<uint64_t> pos = TRY(v2_position(a[3]));
  auto file = TRY(readable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  TRY(check_rwf(a[5], /*write=*/false));
  return read_to_guest(t, *file, iov, pos, (a[5] & RWF_NOWAIT) != 0);
}

SysRet sys_pwritev2(kernel::Task& t, const SyscallArgs& a) {
  const std::optional<uint64_t> pos = TRY(v2_position(a[3]));
  auto file = TRY(writable_file(t, a[0]));
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  const uint64_t flags = a[5];
  TRY(check_rwf(flags, /*write=*/true));
  // RWF_APPEND / RWF_NOAPPEND act as O_APPEND set or cleared for this one call.
  const int saved = file->flags();
  if ((flags & RWF_APPEND) != 0) file->set_status_flags(saved | O_APPEND);
  if ((flags & RWF_NOAPPEND) != 0) file->set_status_flags(saved & ~O_APPEND);
  auto r = write_from_guest(t, *file, iov, pos, (flags & RWF_NOWAIT) != 0);
  file->set_status_flags(saved);
  return r;
}

}  // namespace ms::sys
