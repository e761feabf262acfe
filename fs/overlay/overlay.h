// overlay: a writable in-memory layer (tmpfs) above a read-only one (usually hostfs), as
// Linux's overlayfs: a name in the upper layer hides the lower one; a file is copied up
// (data, mode, owner, times, user xattrs) before it changes; removing a lower name leaves a
// whiteout (a 0:0 character device) in the upper layer; a directory made where a lower one
// was removed is opaque (trusted.overlay.opaque) so the lower contents stay hidden. The
// lower layer is never written.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fs/dentry.h"
#include "fs/inode.h"
#include "fs/superblock.h"
#include "fs/tmpfs/tmpfs.h"

namespace ms::fs {

inline constexpr uint64_t kOverlayMagic = 0x794c7630;

class OverlaySuperblock final : public Superblock {
 public:
  OverlaySuperblock(uint64_t dev, const kernel::Clock& clock,
                    std::shared_ptr<TmpfsSuperblock> upper, std::string lower_name);
  Result<struct statfs> statfs() override;
  std::string mount_options() const override;

 private:
  std::shared_ptr<TmpfsSuperblock> upper_;
  std::string lower_name_;
};

struct OverlayInstance {
  std::shared_ptr<OverlaySuperblock> sb;
  std::shared_ptr<Dentry> root;
};
// An overlay of a fresh tmpfs over lower_root (lower_name names it in /proc/mounts).
OverlayInstance make_overlay(uint64_t dev, uint64_t upper_dev, const kernel::Clock& clock,
                             const std::shared_ptr<Dentry>& lower_root, std::string lower_name);

class OverlayInode final : public Inode {
 public:
  OverlayInode(std::shared_ptr<Superblock> sb, uint32_t type, std::shared_ptr<OverlayInode> parent,
               std::string name, InodePtr upper, InodePtr lower, bool opaque);

  Result<Stat> stat() override;
  Result<void> setattr(const AttrChange& change) override;
  Result<InodePtr> lookup(std::string_view name) override;
  Result<InodePtr> create(std::string_view name, const NewNode& node) override;
  Result<void> link(std::string_view name, const InodePtr& target) override;
  Result<void> unlink(std::string_view name, Inode& victim) override;
  Result<void> rmdir(std::string_view name, Inode& victim) override;
  Result<void> rename(std::string_view old_name, Inode& source, Inode& new_dir,
                      std::string_view new_name, Inode* target, unsigned flags) override;
  Result<void> readdir(DirCursor& cursor, const DirEmit& emit) override;
  bool cached_child_valid(std::string_view name, Inode& child) override;
  Result<LinkTarget> get_link(const Caller& caller) override;
  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;
  Result<std::string> getxattr(std::string_view name) override;
  Result<void> setxattr(std::string_view name, std::string_view value, int flags) override;
  Result<std::vector<std::string>> listxattr() override;
  Result<void> removexattr(std::string_view name) override;

  const InodePtr& upper() const { return upper_; }
  const InodePtr& lower() const { return lower_; }

 private:
  struct Listing;
  Inode& real() const { return upper_ ? *upper_ : *lower_; }
  // Makes this object exist in the upper layer (its directories first).
  Result<void> copy_up(bool with_data = true);
  // The lower layer holds `name` beneath this directory (and it is not hidden).
  bool lower_has(std::string_view name);
  Result<InodePtr> upper_whiteout(std::string_view name);
  Result<void> make_whiteout(std::string_view name);
  Result<void> make_opaque();
  Result<void> clear_whiteouts();
  Result<std::shared_ptr<Listing>> listing();

  std::shared_ptr<OverlayInode> parent_;
  std::string name_;
  InodePtr upper_;
  InodePtr lower_;
  bool opaque_;
};

}  // namespace ms::fs
