// The VFS of one sandbox: its mount namespace, device drivers, and the namei operations the
// file syscalls are made of. Each operation resolves its paths with PathWalk and checks
// arguments, permissions and types in the order Linux does, then asks the filesystem.
#pragma once

#include <sys/stat.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "fs/devices.h"
#include "fs/file_description.h"
#include "fs/inode.h"
#include "fs/locks.h"
#include "fs/mount.h"
#include "fs/path.h"
#include "fs/path_walk.h"
#include "sentry/kernel/clock.h"

namespace ms::fs {

using FilePtr = std::shared_ptr<FileDescription>;

// open(2)/openat2(2) after argument checks: the flags that survive open, the creation mode,
// RESOLVE_* restrictions (kNoXdev...), and the permission the open asks for.
struct OpenHow {
  int flags = 0;
  mode_t mode = 0;
  unsigned restrictions = 0;
  bool exec = false;  // opening a program for execve: MAY_EXEC, regular files only
};

// A filesystem outside the tree (pipefs, anonymous inodes, memfd's tmpfs): its files have
// a mount (for may_open's checks) but no place in the namespace.
struct InternalFs {
  std::shared_ptr<Superblock> sb;
  std::shared_ptr<Mount> mnt;
};

// A time for utimensat: nullopt leaves it alone.
struct TimeChange {
  std::optional<Timestamp> atime;
  std::optional<Timestamp> mtime;
  bool explicit_times = false;  // set to given values (owner only), not to "now"
};

class Vfs {
 public:
  explicit Vfs(const kernel::Clock& clock);

  // The root filesystem, set once before anything else.
  void set_root(std::shared_ptr<Superblock> sb, std::shared_ptr<Dentry> root, unsigned flags,
                std::string source);
  MountNamespace& mounts() { return *ns_; }
  const MountNamespace& mounts() const { return *ns_; }
  Path root() const { return ns_->root(); }
  DeviceRegistry& devices() { return devices_; }
  LockRegistry& locks() { return locks_; }
  const kernel::Clock& clock() const { return clock_; }
  // An anonymous device number (major 0), as each tmpfs or procfs instance gets.
  uint64_t allocate_anon_dev();
  // The internal filesystem of that type, made on first use.
  const InternalFs& internal_fs(const std::string& type, uint64_t magic);
  // A dentry outside the tree (pipes, memfds); its name is what /proc links show.
  Path detached(const InternalFs& fs, std::shared_ptr<Inode> inode, std::string name);

  // --- Paths --------------------------------------------------------------------------
  // flags: kFollow, kDirectory; start: the cwd or a dirfd's place.
  Result<Path> resolve(const Caller& c, const Path& start, std::string_view path, unsigned flags);
  // The path from root to p, as getcwd and /proc show it; "(unreachable)" prefixes a place
  // outside root; an empty root means the namespace's. deleted_suffix adds " (deleted)" for
  // unlinked names.
  static std::string path_string(const Path& p, const Path& root, bool deleted_suffix = true);

  // --- Opening ------------------------------------------------------------------------
  Result<FilePtr> open(const Caller& c, const Path& start, std::string_view path,
                       const OpenHow& how);
  // Opens what p names (magic-link targets, exec): may_open and the filesystem's open.
  Result<FilePtr> open_path(const Caller& c, const Path& p, const OpenHow& how,
                            bool created = false);

  // --- Creating and removing names ----------------------------------------------------
  Result<void> mkdir(const Caller& c, const Path& start, std::string_view path, mode_t mode);
  // mode carries the type (S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK).
  Result<void> mknod(const Caller& c, const Path& start, std::string_view path, mode_t mode,
                     uint64_t dev);
  Result<void> symlink(const Caller& c, std::string_view target, const Path& start,
                       std::string_view path);
  // flags: kFollow for AT_SYMLINK_FOLLOW. old_path empty with old_start: AT_EMPTY_PATH.
  Result<void> link(const Caller& c, const Path& old_start, std::string_view old_path,
                    const Path& new_start, std::string_view new_path, unsigned flags);
  // link(2) of an already resolved object (AT_EMPTY_PATH, /proc/self/fd links).
  Result<void> link_path(const Caller& c, const Path& old, const Path& new_start,
                         std::string_view new_path);
  Result<void> unlink(const Caller& c, const Path& start, std::string_view path);
  Result<void> rmdir(const Caller& c, const Path& start, std::string_view path);
  // flags: RENAME_NOREPLACE, RENAME_EXCHANGE.
  Result<void> rename(const Caller& c, const Path& old_start, std::string_view old_path,
                      const Path& new_start, std::string_view new_path, unsigned flags);

  // --- Attributes ---------------------------------------------------------------------
  Result<void> chmod(const Caller& c, const Path& p, mode_t mode);
  // -1 (as uint32_t) leaves an id unchanged.
  Result<void> chown(const Caller& c, const Path& p, uint32_t uid, uint32_t gid);
  Result<void> utimes(const Caller& c, const Path& p, const TimeChange& change);
  // truncate(2): checks write permission on the file; ftruncate checks the description.
  Result<void> truncate(const Caller& c, const Path& p, uint64_t size, bool check_access);

 private:
  // Owner and mode of a new node in dir (setgid directories, umask applied by the caller).
  Result<NewNode> new_node(const Caller& c, Inode& dir, mode_t mode);
  // may_create(): the directory still exists and is writable and searchable.
  Result<void> may_create(const Caller& c, const Path& dir);
  // may_delete(): victim may be removed from dir.
  Result<void> may_delete(const Caller& c, const Path& dir, const Path& victim, bool want_dir);
  Result<Path> create_in(const Caller& c, const LastComponent& last, const NewNode& node);
  Result<void> setattr(const Path& p, AttrChange change);
  Result<FilePtr> open_last(const Caller& c, PathWalk& walk, LastComponent last,
                            const OpenHow& how);

  const kernel::Clock& clock_;
  std::unique_ptr<MountNamespace> ns_;
  DeviceRegistry devices_;
  LockRegistry locks_;
  uint32_t next_anon_minor_ = 16;
  std::map<std::string, InternalFs, std::less<>> internal_;
};

}  // namespace ms::fs
