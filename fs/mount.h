// Mounts and the mount namespace: which filesystem tree is visible where. One namespace per
// sandbox; the path walk crosses into a mount when it reaches a mountpoint and climbs out
// of it on "..".
#pragma once

#include <sys/mount.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "fs/dentry.h"
#include "fs/path.h"
#include "fs/superblock.h"

namespace ms::fs {

class Mount {
 public:
  Mount(int id, std::shared_ptr<Superblock> sb, std::shared_ptr<Dentry> root, unsigned flags,
        std::string source)
      : id_(id),
        sb_(std::move(sb)),
        root_(std::move(root)),
        flags_(flags),
        source_(std::move(source)) {}

  int id() const { return id_; }
  Superblock& sb() const { return *sb_; }
  const std::shared_ptr<Superblock>& sb_ptr() const { return sb_; }
  const std::shared_ptr<Dentry>& root() const { return root_; }
  // nullptr for the namespace's root mount.
  const std::shared_ptr<Mount>& parent() const { return parent_; }
  const std::shared_ptr<Dentry>& mountpoint() const { return mountpoint_; }
  // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME...
  unsigned flags() const { return flags_; }
  // Set up time only (a read-only root is made read-only after its mountpoints exist).
  void set_flags(unsigned flags) { flags_ = flags; }
  bool read_only() const { return (flags_ & MS_RDONLY) != 0 || sb_->read_only(); }
  bool noexec() const { return (flags_ & MS_NOEXEC) != 0; }
  bool nodev() const { return (flags_ & MS_NODEV) != 0; }
  const std::string& source() const { return source_; }

 private:
  friend class MountNamespace;
  int id_;
  std::shared_ptr<Superblock> sb_;
  std::shared_ptr<Dentry> root_;
  std::shared_ptr<Mount> parent_;
  std::shared_ptr<Dentry> mountpoint_;
  unsigned flags_;
  std::string source_;
};

class MountNamespace {
 public:
  // The namespace's root: sb's tree from `root`.
  MountNamespace(std::shared_ptr<Superblock> sb, std::shared_ptr<Dentry> root, unsigned flags,
                 std::string source);

  Path root() const { return {root_, root_->root()}; }
  // Mounts root (a dentry of sb) on `at`, above whatever is mounted there already.
  std::shared_ptr<Mount> mount(const Path& at, std::shared_ptr<Superblock> sb,
                               std::shared_ptr<Dentry> root, unsigned flags, std::string source);
  // The topmost mount on p, or nullptr.
  std::shared_ptr<Mount> mounted_on(const Path& p) const;
  // Every mount, parents before children (the order /proc/mounts lists them in).
  const std::vector<std::shared_ptr<Mount>>& all() const { return all_; }

 private:
  int next_id_ = 1;
  std::shared_ptr<Mount> root_;
  std::map<std::pair<const Mount*, const Dentry*>, std::shared_ptr<Mount>> on_;
  std::vector<std::shared_ptr<Mount>> all_;
};

}  // namespace ms::fs
