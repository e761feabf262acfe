#include "fs/inode.h"

#include <dirent.h>

#include "fs/file_description.h"
#include "fs/locks.h"
#include "fs/superblock.h"

namespace ms::fs {

Inode::Inode(std::shared_ptr<Superblock> sb, uint32_t type) : sb_(std::move(sb)), type_(type) {}

Inode::~Inode() = default;

// Linux answers EPERM when a filesystem has no operation for a change, ENOTDIR when a
// non-directory is asked for names.
Result<void> Inode::setattr(const AttrChange& /*change*/) {
  return fail(EPERM);
}
Result<InodePtr> Inode::lookup(std::string_view /*name*/) {
  return fail(ENOTDIR);
}
Result<InodePtr> Inode::create(std::string_view /*name*/, const NewNode& /*node*/) {
  return fail(EPERM);
}
Result<void> Inode::link(std::string_view /*name*/, const InodePtr& /*target*/) {
  return fail(EPERM);
}
Result<void> Inode::unlink(std::string_view /*name*/, Inode& /*victim*/) {
  return fail(EPERM);
}
Result<void> Inode::rmdir(std::string_view /*name*/, Inode& /*victim*/) {
  return fail(EPERM);
}
Result<void> Inode::rename(std::string_view /*old_name*/, Inode& /*source*/, Inode& /*new_dir*/,
                           std::string_view /*new_name*/, Inode* /*target*/, unsigned /*flags*/) {
  return fail(EPERM);
}
Result<void> Inode::readdir(DirCursor& /*cursor*/, const DirEmit& /*emit*/) {
  return fail(ENOTDIR);
}
Result<LinkTarget> Inode::get_link(const Caller& /*caller*/) {
  return fail(EINVAL);
}
Result<std::shared_ptr<FileDescription>> Inode::open(const OpenRequest& /*request*/) {
  return fail(ENXIO);
}
Result<std::string> Inode::getxattr(std::string_view /*name*/) {
  return fail(EOPNOTSUPP);
}
Result<void> Inode::setxattr(std::string_view /*name*/, std::string_view /*value*/, int /*flags*/) {
  return fail(EOPNOTSUPP);
}
Result<std::vector<std::string>> Inode::listxattr() {
  return std::vector<std::string>{};
}
Result<void> Inode::removexattr(std::string_view /*name*/) {
  return fail(EOPNOTSUPP);
}

FileLocks& Inode::locks() {
  if (!locks_) locks_ = std::make_unique<FileLocks>();
  return *locks_;
}

uint8_t dirent_type(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return DT_REG;
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFBLK:
      return DT_BLK;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    default:
      return DT_UNKNOWN;
  }
}

}  // namespace ms::fs
