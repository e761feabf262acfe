// Extended attributes: setxattr(2), lsetxattr(2), fsetxattr(2), getxattr(2), lgetxattr(2),
// fgetxattr(2), listxattr(2), llistxattr(2), flistxattr(2), removexattr(2),
// lremovexattr(2), fremovexattr(2), with xattr_permission()'s rules per namespace.
#include <fcntl.h>
#include <linux/limits.h>
#include <sys/xattr.h>

#include <cstring>

#include "fs/permission.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

constexpr uint64_t kNameMax = XATTR_NAME_MAX;  // 255
constexpr uint64_t kSizeMax = XATTR_SIZE_MAX;  // 65536
constexpr uint64_t kListMax = XATTR_LIST_MAX;  // 65536

// An attribute name: ERANGE when empty or longer than XATTR_NAME_MAX.
Result<std::string> name_arg(kernel::Task& t, uint64_t addr) {
  auto name = t.mm().copy_in_string(addr, kNameMax);
  if (!name) return fail(name.error() == Errno{ENAMETOOLONG} ? ERANGE : EFAULT);
  if (name->empty()) return fail(ERANGE);
  return name;
}

// Where the attributes live: a path (following links or not) or an open file.
Result<fs::Path> target(kernel::Task& t, uint64_t arg, bool by_fd, bool follow) {
  if (by_fd) {
    auto file = TRY(io_file(t, static_cast<int>(arg)));
    if (!file->path()) return fail(EOPNOTSUPP);
    return file->path();
  }
  const std::string path = TRY(path_arg(t, arg));
  return path_at(t, AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

bool known_namespace(std::string_view name) {
  return name.starts_with("user.") || name.starts_with("trusted.") ||
         name.starts_with("security.") || name.starts_with("system.");
}

// xattr_permission().
Result<void> xattr_permission(kernel::Task& t, fs::Inode& inode, std::string_view name,
                              bool write) {
  const kernel::Credentials& creds = t.thread_group().creds();
  if (name.starts_with("security.") || name.starts_with("system.")) return {};
  if (name.starts_with("trusted.")) {
    if (creds.euid != 0) return fail(write ? EPERM : ENODATA);  // CAP_SYS_ADMIN
    return {};
  }
  if (name.starts_with("user.")) {
    if (!inode.is_reg() && !inode.is_dir()) return fail(write ? EPERM : ENODATA);
    if (inode.is_dir() && write) {
      const fs::Stat st = TRY(inode.stat());
      if ((st.mode & S_ISVTX) != 0 && !fs::owner_or_capable(st, creds)) return fail(EPERM);
    }
  }
  return fs::permission(inode, write ? fs::kMayWrite : fs::kMayRead, creds);
}

SysRet set(kernel::Task& t, const SyscallArgs& a, bool by_fd, bool follow) {
  const int flags = static_cast<int>(a[4]);
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return fail(EINVAL);
  const std::string name = TRY(name_arg(t, a[1]));
  const uint64_t size = a[3];
  if (size > kSizeMax) return fail(E2BIG);
  std::string value(size, '\0');
  if (size > 0) TRY(t.mm().copy_in(a[2], std::as_writable_bytes(std::span(value))));
  const fs::Path p = TRY(target(t, a[0], by_fd, follow));
  if (p.mnt->read_only()) return fail(EROFS);
  if (!known_namespace(name)) return fail(EOPNOTSUPP);
  TRY(xattr_permission(t, p.inode(), name, true));
  TRY(p.inode().setxattr(name, value, flags));
  return 0;
}

SysRet get(kernel::Task& t, const SyscallArgs& a, bool by_fd, bool follow) {
  const std::string name = TRY(name_arg(t, a[1]));
  const fs::Path p = TRY(target(t, a[0], by_fd, follow));
  if (!known_namespace(name)) return fail(EOPNOTSUPP);
  TRY(xattr_permission(t, p.inode(), name, false));
  const std::string value = TRY(p.inode().getxattr(name));
  const uint64_t size = std::min(a[3], kSizeMax);
  if (size == 0) return value.size();
  if (value.size() > size) return fail(ERANGE);
  TRY(t.mm().copy_out(a[2], std::as_bytes(std::span(value))));
  return value.size();
}

SysRet list(kernel::Task& t, const SyscallArgs& a, bool by_fd, bool follow) {
  const fs::Path p = TRY(target(t, a[0], by_fd, follow));
  const bool privileged = t.thread_group().creds().euid == 0;
  std::string out;
  for (const std::string& name : TRY(p.inode().listxattr())) {
    // trusted.* names are listed only for CAP_SYS_ADMIN.
    if (name.starts_with("trusted.") && !privileged) continue;
    out += name;
    out += '\0';
  }
  const uint64_t size = std::min(a[2], kListMax);
  if (size == 0) return out.size();
  if (out.size() > size) return fail(ERANGE);
  TRY(t.mm().copy_out(a[1], std::as_bytes(std::span(out))));
  return out.size();
}

SysRet remove(kernel::Task& t, const SyscallArgs& a, bool by_fd, bool follow) {
  const std::string name = TRY(name_arg(t, a[1]));
  const fs::Path p = TRY(target(t, a[0], by_fd, follow));
  if (p.mnt->read_only()) return fail(EROFS);
  if (!known_namespace(name)) return fail(EOPNOTSUPP);
  TRY(xattr_permission(t, p.inode(), name, true));
  TRY(p.inode().removexattr(name));
  return 0;
}

}  // namespace

SysRet sys_setxattr(kernel::Task& t, const SyscallArgs& a) {
  return set(t, a, false, true);
}
SysRet sys_lsetxattr(kernel::Task& t, const SyscallArgs& a) {
  return set(t, a, false, false);
}
SysRet sys_fsetxattr(kernel::Task& t, const SyscallArgs& a) {
  return set(t, a, true, true);
}
SysRet sys_getxattr(kernel::Task& t, const SyscallArgs& a) {
  return get(t, a, false, true);
}
SysRet sys_lgetxattr(kernel::Task& t, const SyscallArgs& a) {
  return get(t, a, false, false);
}
SysRet sys_fgetxattr(kernel::Task& t, const SyscallArgs& a) {
  return get(t, a, true, true);
}
SysRet sys_listxattr(kernel::Task& t, const SyscallArgs& a) {
  return list(t, a, false, true);
}
SysRet sys_llistxattr(kernel::Task& t, const SyscallArgs& a) {
  return list(t, a, false, false);
}
SysRet sys_flistxattr(kernel::Task& t, const SyscallArgs& a) {
  return list(t, a, true, true);
}
SysRet sys_removexattr(kernel::Task& t, const SyscallArgs& a) {
  return remove(t, a, false, true);
}
SysRet sys_lremovexattr(kernel::Task& t, const SyscallArgs& a) {
  return remove(t, a, false, false);
}
SysRet sys_fremovexattr(kernel::Task& t, const SyscallArgs& a) {
  return remove(t, a, true, true);
}

}  // namespace ms::sys
