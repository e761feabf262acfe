// Names: link(2), linkat(2), symlink(2), symlinkat(2), readlink(2), readlinkat(2),
// unlink(2), unlinkat(2), rename(2), renameat(2), renameat2(2), mknod(2), mknodat(2).
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

SysRet do_link(kernel::Task& t, int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath,
               int flags) {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0) return fail(EINVAL);
  const std::string from = TRY(path_arg(t, oldpath));
  const fs::Path old = TRY(path_at(t, olddirfd, from, flags, /*follow_by_default=*/false));
  const std::string to = TRY(path_arg(t, newpath));
  const fs::Path start = TRY(start_at(t, newdirfd, to));
  TRY(t.kernel().vfs().link_path(caller(t), old, start, to));
  return 0;
}

SysRet do_symlink(kernel::Task& t, uint64_t target_addr, int newdirfd, uint64_t path_addr) {
  const std::string target = TRY(path_arg(t, target_addr));
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path start = TRY(start_at(t, newdirfd, path));
  TRY(t.kernel().vfs().symlink(caller(t), target, start, path));
  return 0;
}

SysRet do_readlink(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t buf, uint64_t size) {
  if (static_cast<int>(size) <= 0) return fail(EINVAL);
  const std::string path = TRY(path_arg(t, path_addr));
  // An empty path names dirfd itself (an O_PATH descriptor of a link), without a flag.
  const fs::Path p = TRY(path_at(t, dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
  if (!p.inode().is_symlink()) return fail(path.empty() ? ENOENT : EINVAL);
  const fs::LinkTarget target = TRY(p.inode().get_link(caller(t)));
  const std::string text =
      target.jump ? fs::Vfs::path_string(target.jump, t.fs().root) : target.text;
  const uint64_t n = std::min<uint64_t>(static_cast<int>(size), text.size());
  TRY(t.mm().copy_out(buf, std::as_bytes(std::span(text.data(), n))));
  return n;
}

SysRet do_unlink(kernel::Task& t, int dirfd, uint64_t path_addr, int flags) {
  if ((flags & ~AT_REMOVEDIR) != 0) return fail(EINVAL);
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path start = TRY(start_at(t, dirfd, path));
  if ((flags & AT_REMOVEDIR) != 0) {
    TRY(t.kernel().vfs().rmdir(caller(t), start, path));
  } else {
    TRY(t.kernel().vfs().unlink(caller(t), start, path));
  }
  return 0;
}

SysRet do_rename(kernel::Task& t, int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath,
                 unsigned flags) {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0) {
    return fail(EINVAL);
  }
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) != 0 && (flags & RENAME_EXCHANGE) != 0) {
    return fail(EINVAL);
  }
  // No filesystem here makes whiteouts on request (see the table's note).
  if ((flags & RENAME_WHITEOUT) != 0) return fail(EINVAL);
  const std::string from = TRY(path_arg(t, oldpath));
  const fs::Path old_start = TRY(start_at(t, olddirfd, from));
  const std::string to = TRY(path_arg(t, newpath));
  const fs::Path new_start = TRY(start_at(t, newdirfd, to));
  TRY(t.kernel().vfs().rename(caller(t), old_start, from, new_start, to, flags));
  return 0;
}

SysRet do_mknod(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t mode, uint64_t dev) {
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path start = TRY(start_at(t, dirfd, path));
  // The syscall takes the kernel's 32-bit encoding (new_decode_dev).
  const auto d = static_cast<uint32_t>(dev);
  const uint64_t rdev = makedev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
  TRY(t.kernel().vfs().mknod(caller(t), start, path, static_cast<mode_t>(mode), rdev));
  return 0;
}

}  // namespace

SysRet sys_link(kernel::Task& t, const SyscallArgs& a) {
  return do_link(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

SysRet sys_linkat(kernel::Task& t, const SyscallArgs& a) {
  return do_link(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]), a[3],
                 static_cast<int>(a[4]));
}

SysRet sys_symlink(kernel::Task& t, const SyscallArgs& a) {
  return do_symlink(t, a[0], AT_FDCWD, a[1]);
}

SysRet sys_symlinkat(kernel::Task& t, const SyscallArgs& a) {
  return do_symlink(t, a[0], static_cast<int>(a[1]), a[2]);
}

SysRet sys_readlink(kernel::Task& t, const SyscallArgs& a) {
  return do_readlink(t, AT_FDCWD, a[0], a[1], a[2]);
}

SysRet sys_readlinkat(kernel::Task& t, const SyscallArgs& a) {
  return do_readlink(t, static_cast<int>(a[0]), a[1], a[2], a[3]);
}

SysRet sys_unlink(kernel::Task& t, const SyscallArgs& a) {
  return do_unlink(t, AT_FDCWD, a[0], 0);
}

SysRet sys_unlinkat(kernel::Task& t, const SyscallArgs& a) {
  return do_unlink(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]));
}

SysRet sys_rename(kernel::Task& t, const SyscallArgs& a) {
  return do_rename(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

SysRet sys_renameat(kernel::Task& t, const SyscallArgs& a) {
  return do_rename(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]), a[3], 0);
}

SysRet sys_renameat2(kernel::Task& t, const SyscallArgs& a) {
  return do_rename(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]), a[3],
                   static_cast<unsigned>(a[4]));
}

SysRet sys_mknod(kernel::Task& t, const SyscallArgs& a) {
  return do_mknod(t, AT_FDCWD, a[0], a[1], a[2]);
}

SysRet sys_mknodat(kernel::Task& t, const SyscallArgs& a) {
  return do_mknod(t, static_cast<int>(a[0]), a[1], a[2], a[3]);
}

}  // namespace ms::sys
