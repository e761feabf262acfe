// Directories: getdents(2), getdents64(2), mkdir(2), mkdirat(2), rmdir(2), getcwd(2),
// chdir(2), fchdir(2), chroot(2).
#include <dirent.h>
#include <fcntl.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "fs/permission.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

// The records getdents64 writes (struct linux_dirent64), and getdents's older one, whose
// type byte sits at the end of the record.
struct Dirent64Header {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
};
struct DirentHeader {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
};

constexpr size_t align8(size_t n) {
  return (n + 7) & ~size_t{7};
}

SysRet read_dir(kernel::Task& t, int fd, uint64_t buf, uint64_t count, bool legacy) {
  auto file = TRY(io_file(t, fd));
  // A generous cap on one call's buffer; a larger one just gets fewer entries.
  const size_t capacity = std::min<uint64_t>(count, 1 << 20);
  std::vector<std::byte> out;
  bool too_small = false;
  TRY(file->readdir([&](const fs::DirEntry& e, uint64_t next) {
    const size_t header = legacy ? offsetof(DirentHeader, reclen) + 2 : 19;
    const size_t reclen = align8(header + e.name.size() + (legacy ? 2 : 1));
    if (out.size() + reclen > capacity) {
      too_small = out.empty();
      return false;
    }
    const size_t at = out.size();
    out.resize(at + reclen);
    std::byte* rec = out.data() + at;
    if (legacy) {
      const DirentHeader h{e.ino, static_cast<int64_t>(next), static_cast<uint16_t>(reclen)};
      std::memcpy(rec, &h, offsetof(DirentHeader, reclen) + 2);
      std::memcpy(rec + header, e.name.data(), e.name.size());
      rec[reclen - 1] = static_cast<std::byte>(e.type);
    } else {
      const Dirent64Header h{e.ino, static_cast<int64_t>(next), static_cast<uint16_t>(reclen),
                             e.type};
      std::memcpy(rec, &h, 19);
      std::memcpy(rec + header, e.name.data(), e.name.size());
    }
    return true;
  }));
  if (too_small) return fail(EINVAL);
  if (!out.empty()) TRY(t.mm().copy_out(buf, out));
  return out.size();
}

SysRet make_dir(kernel::Task& t, int dirfd, uint64_t path_addr, uint64_t mode) {
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path start = TRY(start_at(t, dirfd, path));
  TRY(t.kernel().vfs().mkdir(caller(t), start, path, static_cast<mode_t>(mode)));
  return 0;
}

// chdir and chroot: a directory the caller may search.
Result<fs::Path> searchable_dir(kernel::Task& t, uint64_t path_addr) {
  const std::string path = TRY(path_arg(t, path_addr));
  const fs::Path start = TRY(start_at(t, AT_FDCWD, path));
  const fs::Path p =
      TRY(t.kernel().vfs().resolve(caller(t), start, path, fs::kFollow | fs::kDirectory));
  TRY(fs::permission(p.inode(), fs::kMayExec, t.thread_group().creds()));
  return p;
}

}  // namespace

SysRet sys_getdents64(kernel::Task& t, const SyscallArgs& a) {
  return read_dir(t, static_cast<int>(a[0]), a[1], a[2], /*legacy=*/false);
}

SysRet sys_getdents(kernel::Task& t, const SyscallArgs& a) {
  return read_dir(t, static_cast<int>(a[0]), a[1], a[2], /*legacy=*/true);
}

SysRet sys_mkdir(kernel::Task& t, const SyscallArgs& a) {
  return make_dir(t, AT_FDCWD, a[0], a[1]);
}

SysRet sys_mkdirat(kernel::Task& t, const SyscallArgs& a) {
  return make_dir(t, static_cast<int>(a[0]), a[1], a[2]);
}

SysRet sys_rmdir(kernel::Task& t, const SyscallArgs& a) {
  const std::string path = TRY(path_arg(t, a[0]));
  const fs::Path start = TRY(start_at(t, AT_FDCWD, path));
  TRY(t.kernel().vfs().rmdir(caller(t), start, path));
  return 0;
}

SysRet sys_getcwd(kernel::Task& t, const SyscallArgs& a) {
  const fs::Path& cwd = t.fs().cwd;
  if (cwd.dentry->deleted()) return fail(ENOENT);
  const std::string path = fs::Vfs::path_string(cwd, t.fs().root, /*deleted_suffix=*/false);
  const uint64_t len = path.size() + 1;
  if (a[1] < len) return fail(ERANGE);
  TRY(t.mm().copy_out(a[0], std::as_bytes(std::span(path.c_str(), len))));
  return len;
}

SysRet sys_chdir(kernel::Task& t, const SyscallArgs& a) {
  t.fs().cwd = TRY(searchable_dir(t, a[0]));
  return 0;
}

SysRet sys_fchdir(kernel::Task& t, const SyscallArgs& a) {
  auto file = TRY(t.file(static_cast<int>(a[0])));
  const fs::Path& p = file->path();
  if (!p || !p.inode().is_dir()) return fail(ENOTDIR);
  TRY(fs::permission(p.inode(), fs::kMayExec, t.thread_group().creds()));
  t.fs().cwd = p;
  return 0;
}

SysRet sys_chroot(kernel::Task& t, const SyscallArgs& a) {
  const fs::Path p = TRY(searchable_dir(t, a[0]));
  if (t.thread_group().creds().euid != 0) return fail(EPERM);  // CAP_SYS_CHROOT
  t.fs().root = p;
  return 0;
}

}  // namespace ms::sys
