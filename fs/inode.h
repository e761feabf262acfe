// An inode: a file, directory, symlink or special file of some filesystem. The VFS above
// (path walk, permission checks, the order of errors) is the same for every filesystem; an
// Inode only does what its filesystem must decide: find a name, make or remove one, list a
// directory, read a link, open itself, keep attributes.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/path.h"
#include "fs/stat.h"
#include "sentry/kernel/credentials.h"

namespace ms::fs {

class FileDescription;
class FileLocks;
class Superblock;
struct FsContext;

// Who asks: the identity that mode bits are checked against, the process's root and cwd,
// and its ids (for /proc/self and /dev/tty).
struct Caller {
  const kernel::Credentials& creds;
  const FsContext& fs;
  int pid = 0;
  int tid = 0;
};

// What create() makes: the type and permission bits (umask applied), the owner, a device
// number for mknod, the target for symlink.
struct NewNode {
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  std::string_view symlink_target;
};

// setattr(): the attributes to change. ctime is set by the VFS whenever anything changes.
struct AttrChange {
  std::optional<uint32_t> mode;  // permission bits (07777)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  std::optional<Timestamp> atime;
  std::optional<Timestamp> mtime;
  std::optional<Timestamp> ctime;
};

struct DirEntry {
  std::string_view name;
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_REG, DT_DIR, ...
};
// Receives one entry and the offset of the entry after it; returns false to stop (the entry
// was not consumed).
using DirEmit = std::function<bool(const DirEntry&, uint64_t next)>;

// A position in a directory listing. Offsets 0 and 1 are "." and ".." (the directory file
// emits those); an Inode's entries use offsets from 2. `state` is the filesystem's own (a
// snapshot of a host listing, for example), dropped by rewinddir.
struct DirCursor {
  uint64_t offset = 2;
  std::shared_ptr<void> state;
};

// What a symlink leads to: a path to walk, or (for /proc magic links) a place to jump to.
struct LinkTarget {
  std::string text;
  Path jump;
};

struct OpenRequest {
  int flags = 0;  // the open(2) flags that survive open
  Path path;      // where the inode was found
  const Caller& caller;
  bool truncate = false;  // O_TRUNC: the VFS empties the file right after opening it
};

class Inode : public std::enable_shared_from_this<Inode> {
 public:
  using Ptr = std::shared_ptr<Inode>;

  // type: the S_IFMT bits, fixed for the inode's life.
  Inode(std::shared_ptr<Superblock> sb, uint32_t type);
  virtual ~Inode();
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  Superblock& sb() const { return *sb_; }
  const std::shared_ptr<Superblock>& sb_ptr() const { return sb_; }
  uint32_t type() const { return type_; }
  bool is_dir() const { return type_ == S_IFDIR; }
  bool is_reg() const { return type_ == S_IFREG; }
  bool is_symlink() const { return type_ == S_IFLNK; }

  virtual Result<Stat> stat() = 0;
  virtual Result<void> setattr(const AttrChange& change);

  // --- Directories --------------------------------------------------------------------
  // ENOENT when there is no such name. The VFS has checked the name's length.
  virtual Result<Ptr> lookup(std::string_view name);
  // Makes a regular file, directory, special file or symlink, by node.mode's type.
  virtual Result<Ptr> create(std::string_view name, const NewNode& node);
  virtual Result<void> link(std::string_view name, const Ptr& target);
  // Removes a non-directory name.
  virtual Result<void> unlink(std::string_view name, Inode& victim);
  // Removes an empty directory (ENOTEMPTY otherwise).
  virtual Result<void> rmdir(std::string_view name, Inode& victim);
  // flags: RENAME_NOREPLACE / RENAME_EXCHANGE, already checked against what exists. The
  // VFS has checked types; the filesystem refuses a non-empty directory as target.
  // source and target (nullptr if none) are the inodes the names hold.
  virtual Result<void> rename(std::string_view old_name, Inode& source, Inode& new_dir,
                              std::string_view new_name, Inode* target, unsigned flags);
  virtual Result<void> readdir(DirCursor& cursor, const DirEmit& emit);
  // False if a cached child may no longer be what the filesystem holds under its name (a
  // host directory changed by the host); the walk then looks the name up again.
  virtual bool cached_child_valid(std::string_view /*name*/, Inode& /*child*/) { return true; }

  // --- Symlinks -------------------------------------------------------------------------
  virtual Result<LinkTarget> get_link(const Caller& caller);

  // --- Files ----------------------------------------------------------------------------
  // An open file description of this inode; permissions were checked by the VFS.
  virtual Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request);

  // --- Extended attributes --------------------------------------------------------------
  virtual Result<std::string> getxattr(std::string_view name);
  // flags: XATTR_CREATE / XATTR_REPLACE.
  virtual Result<void> setxattr(std::string_view name, std::string_view value, int flags);
  virtual Result<std::vector<std::string>> listxattr();
  virtual Result<void> removexattr(std::string_view name);

  // Advisory locks (fcntl record locks, OFD locks, flock), made on first use.
  FileLocks& locks();
  bool has_locks() const { return locks_ != nullptr; }

 private:
  std::shared_ptr<Superblock> sb_;
  uint32_t type_;
  std::unique_ptr<FileLocks> locks_;
};

using InodePtr = Inode::Ptr;

// DT_* for an S_IFMT type.
uint8_t dirent_type(uint32_t mode);

}  // namespace ms::fs
