// hostfs: a host directory bound into the guest, read-only unless bound `:rw`. The VFS walks
// one component at a time and resolves every symlink itself (in the guest's namespace), so
// hostfs only ever opens a single name beneath a directory it already holds, with openat2
// and RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: no "..", symlink or
// /proc trick reaches outside the bound root. Host pseudo filesystems met below the root
// (proc, sys, cgroup...) show as empty directories, and host device nodes, FIFOs and
// sockets are never opened on the host.
#pragma once

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "fs/dentry.h"
#include "fs/inode.h"
#include "fs/superblock.h"

namespace ms::fs {

class HostfsSuperblock final : public Superblock {
 public:
  HostfsSuperblock(uint64_t dev, const kernel::Clock& clock, std::string host_path, bool writable,
                   int root_fd);
  Result<struct statfs> statfs() override;
  std::string mount_options() const override;
  const std::string& host_path() const { return host_path_; }

 private:
  std::string host_path_;
  int root_fd_;  // owned by the root inode
};

struct HostfsInstance {
  std::shared_ptr<HostfsSuperblock> sb;
  std::shared_ptr<Dentry> root;
};
// Binds host_path (which must be a directory). Errors: the host's, for a person to read.
Result<HostfsInstance> make_hostfs(uint64_t dev, const kernel::Clock& clock,
                                   const std::string& host_path, bool writable);

class HostInode final : public Inode {
 public:
  // fd: an O_PATH descriptor of the object (not followed if a symlink).
  HostInode(std::shared_ptr<Superblock> sb, UniqueFd fd, uint32_t type, uint64_t host_dev,
            uint64_t host_ino, bool hidden);

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

  int fd() const { return fd_.get(); }
  // A new host descriptor of this object with the given access flags.
  Result<UniqueFd> reopen(int flags) const;

 private:
  std::string proc_path() const;

  UniqueFd fd_;
  uint64_t host_dev_;
  uint64_t host_ino_;
  bool hidden_;  // a host pseudo filesystem: shown empty
};

}  // namespace ms::fs
