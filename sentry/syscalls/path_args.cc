#include "sentry/syscalls/path_args.h"

#include <fcntl.h>
#include <linux/limits.h>

#include "fs/locks.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::sys {

fs::Caller caller(kernel::Task& t) {
  return fs::Caller{t.thread_group().creds(), t.fs(), t.pid(), t.tid()};
}

Result<std::string> path_arg(kernel::Task& t, uint64_t addr) {
  return t.mm().copy_in_string(addr, PATH_MAX - 1);
}

Result<fs::Path> start_at(kernel::Task& t, int dirfd, std::string_view path) {
  if (!path.empty() && path[0] == '/') return t.fs().root;
  if (dirfd == AT_FDCWD) return t.fs().cwd;
  auto file = TRY(t.file(dirfd));
  if (!file->path()) return fail(ENOTDIR);
  return file->path();
}

Result<fs::Path> path_at(kernel::Task& t, int dirfd, const std::string& path, int at_flags,
                         bool follow_by_default) {
  if (path.empty()) {
    if ((at_flags & AT_EMPTY_PATH) == 0) return fail(ENOENT);
    if (dirfd == AT_FDCWD) return t.fs().cwd;
    auto file = TRY(t.file(dirfd));
    // Host stdio has no place in the tree: nothing to change through a path.
    if (!file->path()) return fail(EPERM);
    return file->path();
  }
  const fs::Path start = TRY(start_at(t, dirfd, path));
  bool follow = follow_by_default;
  if ((at_flags & AT_SYMLINK_NOFOLLOW) != 0) follow = false;
  if ((at_flags & AT_SYMLINK_FOLLOW) != 0) follow = true;
  const fs::Caller c = caller(t);
  return t.kernel().vfs().resolve(c, start, path, follow ? fs::kFollow : 0);
}

Result<std::shared_ptr<fs::FileDescription>> io_file(kernel::Task& t, int fd) {
  auto file = TRY(t.file(fd));
  if ((file->flags() & O_PATH) != 0) return fail(EBADF);
  return file;
}

void file_closed(kernel::Task& t, const std::shared_ptr<fs::FileDescription>& file) {
  fs::Inode* inode = file->inode();
  if (inode != nullptr && inode->has_locks()) {
    inode->locks().release(fs::LockOwner::process(t.pid()));
  }
}

}  // namespace ms::sys
