// Paths, before the VFS exists: readlink(2)/readlinkat(2) know only /proc/self/exe, and
// getcwd(2) is always "/".
#include <fcntl.h>
#include <linux/limits.h>

#include <algorithm>
#include <string>

#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

SysRet readlink_path(kernel::Task& t, uint64_t path_addr, uint64_t buf, uint64_t size) {
  const std::string path = TRY(t.mm().copy_in_string(path_addr, PATH_MAX - 1));
  if (static_cast<int64_t>(size) <= 0) return fail(EINVAL);
  if (path.empty()) return fail(ENOENT);
  const std::string self = "/proc/" + std::to_string(t.pid()) + "/exe";
  if (path != "/proc/self/exe" && path != self) return fail(ENOENT);
  const std::string& target = t.thread_group().exe_path();
  const uint64_t n = std::min<uint64_t>(size, target.size());
  TRY(t.mm().copy_out(buf, std::as_bytes(std::span(target.data(), n))));
  return n;
}

}  // namespace

SysRet sys_readlink(kernel::Task& t, const SyscallArgs& a) {
  return readlink_path(t, a[0], a[1], a[2]);
}

SysRet sys_readlinkat(kernel::Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a[0]) != AT_FDCWD) TRY(t.file(static_cast<int>(a[0])));
  return readlink_path(t, a[1], a[2], a[3]);
}

SysRet sys_getcwd(kernel::Task& t, const SyscallArgs& a) {
  static constexpr char kRoot[] = "/";
  if (a[1] < sizeof(kRoot)) return fail(ERANGE);
  TRY(t.mm().copy_out(a[0], std::as_bytes(std::span(kRoot, sizeof(kRoot)))));
  return sizeof(kRoot);
}

}  // namespace ms::sys
