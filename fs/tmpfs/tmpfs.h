// tmpfs: files in memory. A file's data lives in page-sized blocks inside the sentry while it
// is small, and moves to a memfd once it grows past kInlineMax or is mapped or executed, so
// that a MAP_SHARED mapping and read()/write() see the same bytes (and the sentry does not
// spend a host descriptor on every small file). Holes read back as zeros in both forms.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "fs/dentry.h"
#include "fs/inode.h"
#include "fs/superblock.h"

namespace ms::fs {

class Pipe;

inline constexpr uint64_t kTmpfsMagic = 0x01021994;

struct TmpfsOptions {
  uint64_t size_bytes = 0;  // what statfs reports as the size (0: half the host's memory)
  uint32_t root_mode = 01777;
  uint32_t root_uid = 0;
  uint32_t root_gid = 0;
};

class TmpfsSuperblock final : public Superblock {
 public:
  TmpfsSuperblock(uint64_t dev, const kernel::Clock& clock, const TmpfsOptions& options);
  Result<struct statfs> statfs() override;
  std::string mount_options() const override;
  // Bytes held by files' data (for statfs).
  int64_t used_bytes = 0;
  uint64_t inodes = 0;

 private:
  uint64_t size_bytes_;
  uint32_t root_mode_;
};

// A new tmpfs instance and the root dentry of its tree.
struct TmpfsInstance {
  std::shared_ptr<TmpfsSuperblock> sb;
  std::shared_ptr<Dentry> root;
};
TmpfsInstance make_tmpfs(uint64_t dev, const kernel::Clock& clock,
                         const TmpfsOptions& options = {});

// Attributes and extended attributes common to every tmpfs inode.
class TmpfsInode : public Inode {
 public:
  TmpfsInode(std::shared_ptr<Superblock> sb, const NewNode& node);
  ~TmpfsInode() override;
  Result<Stat> stat() override;
  Result<void> setattr(const AttrChange& change) override;
  Result<std::string> getxattr(std::string_view name) override;
  Result<void> setxattr(std::string_view name, std::string_view value, int flags) override;
  Result<std::vector<std::string>> listxattr() override;
  Result<void> removexattr(std::string_view name) override;

  uint64_t ino() const { return attrs_.ino; }
  uint32_t nlink() const { return attrs_.nlink; }
  void set_nlink(uint32_t n) { attrs_.nlink = n; }
  // The data changed: mtime and ctime move.
  void touch_modified();
  // Only the inode changed (links, owner...): ctime moves.
  void touch_changed();
  // relatime: atime moves if it is older than the last change or a day old.
  void touch_accessed();

 protected:
  // File sizes and blocks come from the data; the rest from attrs_.
  virtual void fill_size(Stat& st) { (void)st; }
  virtual Result<void> resize(uint64_t size);
  Stat attrs_;

 private:
  std::map<std::string, std::string, std::less<>> xattrs_;
};

class TmpfsDir final : public TmpfsInode {
 public:
  TmpfsDir(std::shared_ptr<Superblock> sb, const NewNode& node);

  Result<InodePtr> lookup(std::string_view name) override;
  Result<InodePtr> create(std::string_view name, const NewNode& node) override;
  Result<void> link(std::string_view name, const InodePtr& target) override;
  Result<void> unlink(std::string_view name, Inode& victim) override;
  Result<void> rmdir(std::string_view name, Inode& victim) override;
  Result<void> rename(std::string_view old_name, Inode& source, Inode& new_dir,
                      std::string_view new_name, Inode* target, unsigned flags) override;
  Result<void> readdir(DirCursor& cursor, const DirEmit& emit) override;
  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;

  bool empty() const { return entries_.empty(); }
  // Inserts an entry without the checks of create() (for building trees: devfs, overlay).
  void add(std::string_view name, InodePtr inode);

 protected:
  void fill_size(Stat& st) override;

 private:
  struct Entry {
    std::string name;
    InodePtr inode;
  };
  InodePtr remove(std::string_view name);
  InodePtr find(std::string_view name) const;

  // Entries by offset (creation order, stable for telldir), and offsets by name.
  std::map<uint64_t, Entry> entries_;
  std::map<std::string, uint64_t, std::less<>> index_;
  uint64_t next_offset_ = 2;
};

class TmpfsFile final : public TmpfsInode {
 public:
  // Past this size a file's data moves to a memfd.
  static constexpr uint64_t kInlineMax = 128 * 1024;

  TmpfsFile(std::shared_ptr<Superblock> sb, const NewNode& node);
  ~TmpfsFile() override;

  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;

  Result<size_t> read(std::span<std::byte> dst, uint64_t offset);
  Result<size_t> write(std::span<const std::byte> src, uint64_t offset);
  uint64_t size() const { return size_; }
  Result<uint64_t> seek_data(uint64_t offset, int whence);
  Result<void> allocate(int mode, uint64_t offset, uint64_t len);
  // The memfd holding the data (moving it there first): for mmap and exec.
  Result<int> memfd();
  // The same memfd opened read-only: for mappings that must never become writable.
  Result<int> memfd_read_only();

 protected:
  void fill_size(Stat& st) override;
  Result<void> resize(uint64_t size) override;

 private:
  using Page = std::array<std::byte, 4096>;
  Result<void> promote();
  void account(int64_t delta_bytes);

  std::vector<std::unique_ptr<Page>> pages_;  // while inline; null pages are holes
  UniqueFd memfd_;
  UniqueFd memfd_ro_;
  uint64_t size_ = 0;
  int64_t accounted_ = 0;
};

class TmpfsSymlink final : public TmpfsInode {
 public:
  TmpfsSymlink(std::shared_ptr<Superblock> sb, const NewNode& node);
  Result<LinkTarget> get_link(const Caller& caller) override;

 protected:
  void fill_size(Stat& st) override;

 private:
  std::string target_;
};

// Device nodes, FIFOs and sockets. Opening a device goes to the device registry (by the
// VFS); a FIFO keeps its pipe here.
class TmpfsSpecial final : public TmpfsInode {
 public:
  TmpfsSpecial(std::shared_ptr<Superblock> sb, const NewNode& node);
  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;

 private:
  std::shared_ptr<Pipe> pipe_;
};

// A tmpfs inode of node.mode's type.
InodePtr make_tmpfs_inode(const std::shared_ptr<Superblock>& sb, const NewNode& node);

}  // namespace ms::fs
