// Arguments of the file syscalls, read as Linux reads them: path strings (EFAULT,
// ENAMETOOLONG at PATH_MAX, ENOENT for "" unless AT_EMPTY_PATH), dirfds (AT_FDCWD, EBADF,
// ENOTDIR), and the caller's identity for the VFS.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "fs/file_description.h"
#include "fs/inode.h"
#include "fs/path.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

fs::Caller caller(kernel::Task& t);
// A path argument of at most PATH_MAX bytes with its NUL.
Result<std::string> path_arg(kernel::Task& t, uint64_t addr);
// Where a relative path starts: the cwd for AT_FDCWD, else dirfd's place (EBADF; ENOTDIR
// for a descriptor outside the tree). Absolute paths ignore dirfd entirely.
Result<fs::Path> start_at(kernel::Task& t, int dirfd, std::string_view path);
// The object an *at() call names. An empty path with AT_EMPTY_PATH in at_flags means dirfd
// itself (ENOENT without it); AT_SYMLINK_NOFOLLOW leaves a trailing symlink unfollowed
// (follow_by_default is false for calls that follow only with AT_SYMLINK_FOLLOW).
Result<fs::Path> path_at(kernel::Task& t, int dirfd, const std::string& path, int at_flags,
                         bool follow_by_default = true);
// The file behind fd for calls that refuse O_PATH descriptors (EBADF).
Result<std::shared_ptr<fs::FileDescription>> io_file(kernel::Task& t, int fd);
// A descriptor was closed: the process's record locks on the file go with it (fcntl(2):
// closing any descriptor of a file releases all of the process's locks on it).
void file_closed(kernel::Task& t, const std::shared_ptr<fs::FileDescription>& file);

}  // namespace ms::sys
