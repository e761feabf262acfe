#include "fs/hostfs/hostfs.h"

#include <dirent.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "fs/directory_file.h"
#include "fs/mapped_file.h"
#include "fs/seekable_file.h"

namespace ms::fs {
namespace {

// Pseudo filesystems of the host kernel: never shown to the guest.
bool hidden_fs(uint64_t magic) {
  switch (magic) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case BPF_FS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case EFIVARFS_MAGIC:
    case 0x62656570:  // configfs
    case 0x65735543:  // fusectl
      return true;
    default:
      return false;
  }
}

// One name beneath dir, never leaving it and never following a symlink.
int open_beneath(int dir, std::string_view name) {
  const std::string n(name);
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir, n.c_str(), &how, sizeof(how)));
}

Result<InodePtr> inode_for(const std::shared_ptr<Superblock>& sb, UniqueFd fd,
                           uint64_t parent_dev) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno);
  bool hidden = false;
  if (S_ISDIR(st.st_mode) && st.st_dev != parent_dev) {
    struct statfs sfs {};
    hidden = ::fstatfs(fd.get(), &sfs) == 0 && hidden_fs(static_cast<uint64_t>(sfs.f_type));
  }
  return std::make_shared<HostInode>(sb, std::move(fd), st.st_mode & S_IFMT, st.st_dev, st.st_ino,
                                     hidden);
}

Result<void> check(int r) {
  if (r != 0) return fail(errno);
  return {};
}

// A regular host file opened for the guest: transfers go straight to the host descriptor,
// which was opened with the guest's access mode, so the host enforces it too (a read-only
// descriptor cannot be mapped shared and writable).
class HostRegularFile final : public SeekableFile {
 public:
  HostRegularFile(int flags, Path path, UniqueFd fd)
      : SeekableFile(flags, std::move(path)), fd_(std::move(fd)) {}

  Result<void> allocate(int mode, uint64_t offset, uint64_t len) override {
    if (::fallocate(fd_.get(), mode, static_cast<off_t>(offset), static_cast<off_t>(len)) != 0) {
      return fail(errno);
    }
    return {};
  }
  Result<void> sync(bool data_only) override {
    if (!writable()) return {};
    return check(data_only ? ::fdatasync(fd_.get()) : ::fsync(fd_.get()));
  }
  Result<MmapTarget> mmap_target(bool /*shared_write*/) override {
    const Stat st = TRY(stat());
    return MmapTarget{fd_.get(), std::make_shared<PathMappedFile>(path(), st.dev, st.ino)};
  }

 protected:
  Result<size_t> read_at(std::span<std::byte> dst, uint64_t offset) override {
    const ssize_t n = ::pread(fd_.get(), dst.data(), dst.size(), static_cast<off_t>(offset));
    if (n < 0) return fail(errno);
    return static_cast<size_t>(n);
  }
  Result<size_t> write_at(std::span<const std::byte> src, uint64_t offset) override {
    const ssize_t n = ::pwrite(fd_.get(), src.data(), src.size(), static_cast<off_t>(offset));
    if (n < 0) return fail(errno);
    return static_cast<size_t>(n);
  }
  Result<uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return fail(errno);
    return static_cast<uint64_t>(st.st_size);
  }
  Result<uint64_t> seek_data(uint64_t offset, int whence) override {
    const off_t r = ::lseek(fd_.get(), static_cast<off_t>(offset), whence);
    if (r < 0) return fail(errno);
    return static_cast<uint64_t>(r);
  }

 private:
  UniqueFd fd_;
};

struct HostListing {
  std::vector<std::pair<std::string, DirEntry>> entries;
};

}  // namespace

HostfsSuperblock::HostfsSuperblock(uint64_t dev, const kernel::Clock& clock, std::string host_path,
                                   bool writable, int root_fd)
    : Superblock("hostfs", 0, dev, clock), host_path_(std::move(host_path)), root_fd_(root_fd) {
  set_read_only(!writable);
}

Result<struct statfs> HostfsSuperblock::statfs() {
  struct statfs st {};
  if (::fstatfs(root_fd_, &st) != 0) return fail(errno);
  return st;
}

std::string HostfsSuperblock::mount_options() const {
  return "source=" + host_path_;
}

Result<HostfsInstance> make_hostfs(uint64_t dev, const kernel::Clock& clock,
                                   const std::string& host_path, bool writable) {
  UniqueFd fd(::open(host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno);
  auto sb = std::make_shared<HostfsSuperblock>(dev, clock, host_path, writable, fd.get());
  auto root = std::make_shared<HostInode>(sb, std::move(fd), S_IFDIR, st.st_dev, st.st_ino,
                                          /*hidden=*/false);
  return HostfsInstance{sb, Dentry::make_root(std::move(root))};
}

HostInode::HostInode(std::shared_ptr<Superblock> sb, UniqueFd fd, uint32_t type, uint64_t host_dev,
                     uint64_t host_ino, bool hidden)
    : Inode(std::move(sb), type),
      fd_(std::move(fd)),
      host_dev_(host_dev),
      host_ino_(host_ino),
      hidden_(hidden) {}

std::string HostInode::proc_path() const {
  return "/proc/self/fd/" + std::to_string(fd_.get());
}

Result<UniqueFd> HostInode::reopen(int flags) const {
  // Reading through the sandbox leaves the host's access times alone (O_NOATIME needs the
  // file's owner or CAP_FOWNER; without either the host updates them as usual).
  if ((flags & O_ACCMODE) == O_RDONLY) {
    UniqueFd fd(::open(proc_path().c_str(), flags | O_NOATIME | O_CLOEXEC | O_NOCTTY));
    if (fd || errno != EPERM) {
      if (!fd) return fail(errno);
      return fd;
    }
  }
  UniqueFd fd(::open(proc_path().c_str(), flags | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(errno);
  return fd;
}

Result<Stat> HostInode::stat() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail(errno);
  return stat_from_host(st);
}

Result<void> HostInode::setattr(const AttrChange& change) {
  if (change.size) {
    UniqueFd w = TRY(reopen(O_WRONLY));
    TRY(check(::ftruncate(w.get(), static_cast<off_t>(*change.size))));
  }
  if (change.mode) TRY(check(::chmod(proc_path().c_str(), *change.mode)));
  if (change.uid || change.gid) {
    const uid_t uid = change.uid ? *change.uid : static_cast<uid_t>(-1);
    const gid_t gid = change.gid ? *change.gid : static_cast<gid_t>(-1);
    TRY(check(::fchownat(fd_.get(), "", uid, gid, AT_EMPTY_PATH)));
  }
  if (change.atime || change.mtime) {
    timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    if (change.atime) times[0] = {change.atime->sec, change.atime->nsec};
    if (change.mtime) times[1] = {change.mtime->sec, change.mtime->nsec};
    TRY(check(::utimensat(fd_.get(), "", times, AT_EMPTY_PATH)));
  }
  return {};
}

Result<InodePtr> HostInode::lookup(std::string_view name) {
  if (!is_dir()) return fail(ENOTDIR);
  if (hidden_) return fail(ENOENT);
  UniqueFd fd(open_beneath(fd_.get(), name));
  if (!fd) return fail(errno == EXDEV || errno == ELOOP ? ENOENT : errno);
  return inode_for(sb_ptr(), std::move(fd), host_dev_);
}

bool HostInode::cached_child_valid(std::string_view name, Inode& child) {
  // The host may change a directory behind the sentry's back.
  struct stat st {};
  const std::string n(name);
  if (::fstatat(fd_.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  auto* c = dynamic_cast<HostInode*>(&child);
  return c != nullptr && c->host_ino_ == st.st_ino && c->host_dev_ == st.st_dev;
}

Result<InodePtr> HostInode::create(std::string_view name, const NewNode& node) {
  if (hidden_) return fail(EPERM);
  const std::string n(name);
  const mode_t perm = node.mode & 07777;
  switch (node.mode & S_IFMT) {
    case S_IFREG: {
      UniqueFd f(::openat(fd_.get(), n.c_str(),
                          O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, perm));
      if (!f) return fail(errno);
      break;
    }
    case S_IFDIR:
      TRY(check(::mkdirat(fd_.get(), n.c_str(), perm)));
      break;
    case S_IFLNK: {
      const std::string target(node.symlink_target);
      TRY(check(::symlinkat(target.c_str(), fd_.get(), n.c_str())));
      break;
    }
    default:
      // Special files on the host would be opened by host programs outside the sandbox.
      return fail(EPERM);
  }
  return lookup(name);
}

Result<void> HostInode::link(std::string_view name, const InodePtr& target) {
  auto* t = dynamic_cast<HostInode*>(target.get());
  if (t == nullptr) return fail(EXDEV);
  const std::string n(name);
  return check(::linkat(t->fd_.get(), "", fd_.get(), n.c_str(), AT_EMPTY_PATH));
}

Result<void> HostInode::unlink(std::string_view name, Inode& /*victim*/) {
  const std::string n(name);
  return check(::unlinkat(fd_.get(), n.c_str(), 0));
}

Result<void> HostInode::rmdir(std::string_view name, Inode& /*victim*/) {
  const std::string n(name);
  return check(::unlinkat(fd_.get(), n.c_str(), AT_REMOVEDIR));
}

Result<void> HostInode::rename(std::string_view old_name, Inode& /*source*/, Inode& new_dir,
                               std::string_view new_name, Inode* /*target*/, unsigned flags) {
  auto* to = dynamic_cast<HostInode*>(&new_dir);
  if (to == nullptr) return fail(EXDEV);
  const std::string o(old_name);
  const std::string n(new_name);
  return check(::renameat2(fd_.get(), o.c_str(), to->fd_.get(), n.c_str(), flags));
}

Result<void> HostInode::readdir(DirCursor& cursor, const DirEmit& emit) {
  if (!is_dir()) return fail(ENOTDIR);
  if (!cursor.state) {
    // One listing per pass through the directory, as the host returned it.
    auto listing = std::make_shared<HostListing>();
    if (!hidden_) {
      UniqueFd d = TRY(reopen(O_RDONLY | O_DIRECTORY));
      std::vector<std::byte> buf(32768);
      for (;;) {
        const long n = ::syscall(SYS_getdents64, d.get(), buf.data(), buf.size());
        if (n < 0) return fail(errno);
        if (n == 0) break;
        for (long off = 0; off < n;) {
          const auto* e = reinterpret_cast<const dirent64*>(buf.data() + off);
          const std::string_view nm(e->d_name);
          if (nm != "." && nm != "..") {
            listing->entries.emplace_back(std::string(nm), DirEntry{{}, e->d_ino, e->d_type});
          }
          off += e->d_reclen;
        }
      }
    }
    cursor.state = listing;
  }
  auto& entries = static_cast<HostListing*>(cursor.state.get())->entries;
  for (uint64_t i = cursor.offset - 2; i < entries.size(); ++i) {
    DirEntry e = entries[i].second;
    e.name = entries[i].first;
    if (!emit(e, i + 3)) return {};
    cursor.offset = i + 3;
  }
  return {};
}

Result<LinkTarget> HostInode::get_link(const Caller& /*caller*/) {
  if (!is_symlink()) return fail(EINVAL);
  std::string buf(4096, '\0');
  const ssize_t n = ::readlinkat(fd_.get(), "", buf.data(), buf.size());
  if (n < 0) return fail(errno);
  buf.resize(static_cast<size_t>(n));
  return LinkTarget{std::move(buf), {}};
}

Result<std::shared_ptr<FileDescription>> HostInode::open(const OpenRequest& request) {
  switch (type()) {
    case S_IFDIR:
      return std::make_shared<DirectoryFile>(request.flags, request.path);
    case S_IFREG: {
      // The guest's status flags stay in the sentry (O_APPEND is applied by the VFS).
      UniqueFd fd = TRY(reopen(request.flags & O_ACCMODE));
      return std::make_shared<HostRegularFile>(request.flags, request.path, std::move(fd));
    }
    default:
      return fail(ENXIO);
  }
}

// Only user.* attributes pass through; the others belong to the host's security policy.
Result<std::string> HostInode::getxattr(std::string_view name) {
  if (!name.starts_with("user.") || (!is_reg() && !is_dir())) return fail(ENODATA);
  const std::string n(name);
  std::string value(65536, '\0');
  const ssize_t r = ::getxattr(proc_path().c_str(), n.c_str(), value.data(), value.size());
  if (r < 0) return fail(errno);
  value.resize(static_cast<size_t>(r));
  return value;
}

Result<void> HostInode::setxattr(std::string_view name, std::string_view value, int flags) {
  if (!name.starts_with("user.") || (!is_reg() && !is_dir())) return fail(EOPNOTSUPP);
  const std::string n(name);
  return check(::setxattr(proc_path().c_str(), n.c_str(), value.data(), value.size(), flags));
}

Result<std::vector<std::string>> HostInode::listxattr() {
  std::vector<std::string> names;
  if (!is_reg() && !is_dir()) return names;
  std::string buf(65536, '\0');
  const ssize_t r = ::listxattr(proc_path().c_str(), buf.data(), buf.size());
  if (r < 0) return fail(errno);
  for (size_t i = 0; i < static_cast<size_t>(r);) {
    const std::string n(buf.data() + i);
    if (n.starts_with("user.")) names.push_back(n);
    i += n.size() + 1;
  }
  return names;
}

Result<void> HostInode::removexattr(std::string_view name) {
  if (!name.starts_with("user.") || (!is_reg() && !is_dir())) return fail(EOPNOTSUPP);
  const std::string n(name);
  return check(::removexattr(proc_path().c_str(), n.c_str()));
}

}  // namespace ms::fs
