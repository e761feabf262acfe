// read(2), write(2), readv(2), writev(2), pread64(2), pwrite64(2).
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
  auto file = TRY(readable_file(t, a[0]));
  const uint64_t pos = TRY(position(a[3]));
  const GuestRange dst{a[1], a[2]};
  return read_to_guest(t, *file, std::span(&dst, 1), pos);
}

SysRet sys_pwrite64(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(writable_file(t, a[0]));
  const uint64_t pos = TRY(position(a[3]));
  const GuestRange src{a[1], a[2]};
  return write_from_guest(t, *file, std::span(&src, 1), pos);
}

}  // namespace ms::sys
