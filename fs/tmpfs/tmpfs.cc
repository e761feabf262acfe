#include "fs/tmpfs/tmpfs.h"

#include <fmt/format.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/directory_file.h"
#include "fs/pipe.h"

namespace ms::fs {
namespace {

// Linux's BOGO_DIRENT_SIZE: a tmpfs directory's size grows by this per entry.
constexpr uint64_t kDirentSize = 20;

uint64_t default_size() {
  struct sysinfo si {};
  if (::sysinfo(&si) != 0) return 1ULL << 30;
  return static_cast<uint64_t>(si.totalram) * si.mem_unit / 2;
}

// tmpfs keeps user, trusted and security attributes; others are not supported.
bool supported_xattr(std::string_view name) {
  return name.starts_with("user.") || name.starts_with("trusted.") || name.starts_with("security.");
}

}  // namespace

TmpfsSuperblock::TmpfsSuperblock(uint64_t dev, const kernel::Clock& clock,
                                 const TmpfsOptions& options)
    : Superblock("tmpfs", kTmpfsMagic, dev, clock),
      size_bytes_(options.size_bytes != 0 ? options.size_bytes : default_size()),
      root_mode_(options.root_mode) {}

Result<struct statfs> TmpfsSuperblock::statfs() {
  struct statfs st = TRY(Superblock::statfs());
  const uint64_t blocks = size_bytes_ / 4096;
  const uint64_t used = static_cast<uint64_t>(std::max<int64_t>(used_bytes, 0)) / 4096;
  st.f_blocks = blocks;
  st.f_bfree = st.f_bavail = blocks > used ? blocks - used : 0;
  st.f_files = blocks / 2;
  st.f_ffree = st.f_files > inodes ? st.f_files - inodes : 0;
  return st;
}

std::string TmpfsSuperblock::mount_options() const {
  return fmt::format("size={}k,mode={:o}", size_bytes_ / 1024, root_mode_ & 07777);
}

TmpfsInstance make_tmpfs(uint64_t dev, const kernel::Clock& clock, const TmpfsOptions& options) {
  auto sb = std::make_shared<TmpfsSuperblock>(dev, clock, options);
  auto root = std::make_shared<TmpfsDir>(sb, NewNode{.mode = S_IFDIR | (options.root_mode & 07777),
                                                     .uid = options.root_uid,
                                                     .gid = options.root_gid});
  return TmpfsInstance{sb, Dentry::make_root(std::move(root))};
}

InodePtr make_tmpfs_inode(const std::shared_ptr<Superblock>& sb, const NewNode& node) {
  switch (node.mode & S_IFMT) {
    case S_IFDIR:
      return std::make_shared<TmpfsDir>(sb, node);
    case S_IFREG:
      return std::make_shared<TmpfsFile>(sb, node);
    case S_IFLNK:
      return std::make_shared<TmpfsSymlink>(sb, node);
    default:
      return std::make_shared<TmpfsSpecial>(sb, node);
  }
}

// --- TmpfsInode ---------------------------------------------------------------------------

TmpfsInode::TmpfsInode(std::shared_ptr<Superblock> sb, const NewNode& node)
    : Inode(std::move(sb), node.mode & S_IFMT) {
  const Timestamp now = this->sb().now();
  attrs_ = Stat{.dev = this->sb().dev(),
                .ino = this->sb().allocate_ino(),
                .mode = node.mode,
                .nlink = 1,
                .uid = node.uid,
                .gid = node.gid,
                .rdev = node.rdev,
                .blksize = 4096,
                .atime = now,
                .mtime = now,
                .ctime = now,
                .btime = now};
  if (auto* tsb = dynamic_cast<TmpfsSuperblock*>(&this->sb())) ++tsb->inodes;
}

TmpfsInode::~TmpfsInode() {
  if (auto* tsb = dynamic_cast<TmpfsSuperblock*>(&sb())) --tsb->inodes;
}

Result<Stat> TmpfsInode::stat() {
  Stat st = attrs_;
  fill_size(st);
  return st;
}

Result<void> TmpfsInode::resize(uint64_t /*size*/) {
  return fail(EINVAL);
}

Result<void> TmpfsInode::setattr(const AttrChange& change) {
  if (change.size) TRY(resize(*change.size));
  if (change.mode) attrs_.mode = (attrs_.mode & S_IFMT) | (*change.mode & 07777);
  if (change.uid) attrs_.uid = *change.uid;
  if (change.gid) attrs_.gid = *change.gid;
  if (change.atime) attrs_.atime = *change.atime;
  if (change.mtime) attrs_.mtime = *change.mtime;
  if (change.ctime) attrs_.ctime = *change.ctime;
  return {};
}

void TmpfsInode::touch_modified() {
  attrs_.mtime = attrs_.ctime = sb().now();
}

void TmpfsInode::touch_changed() {
  attrs_.ctime = sb().now();
}

void TmpfsInode::touch_accessed() {
  const Timestamp now = sb().now();
  auto before = [](const Timestamp& a, const Timestamp& b) {
    return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
  };
  if (before(attrs_.atime, attrs_.mtime) || before(attrs_.atime, attrs_.ctime) ||
      now.sec - attrs_.atime.sec >= 24 * 3600) {
    attrs_.atime = now;
  }
}

Result<std::string> TmpfsInode::getxattr(std::string_view name) {
  if (!supported_xattr(name)) return fail(EOPNOTSUPP);
  auto it = xattrs_.find(name);
  if (it == xattrs_.end()) return fail(ENODATA);
  return it->second;
}

Result<void> TmpfsInode::setxattr(std::string_view name, std::string_view value, int flags) {
  if (!supported_xattr(name)) return fail(EOPNOTSUPP);
  auto it = xattrs_.find(name);
  if ((flags & XATTR_CREATE) != 0 && it != xattrs_.end()) return fail(EEXIST);
  if ((flags & XATTR_REPLACE) != 0 && it == xattrs_.end()) return fail(ENODATA);
  xattrs_.insert_or_assign(std::string(name), std::string(value));
  touch_changed();
  return {};
}

Result<std::vector<std::string>> TmpfsInode::listxattr() {
  std::vector<std::string> names;
  names.reserve(xattrs_.size());
  for (const auto& [name, value] : xattrs_)
    names.push_back(name);
  return names;
}

Result<void> TmpfsInode::removexattr(std::string_view name) {
  if (!supported_xattr(name)) return fail(EOPNOTSUPP);
  auto it = xattrs_.find(name);
  if (it == xattrs_.end()) return fail(ENODATA);
  xattrs_.erase(it);
  touch_changed();
  return {};
}

// --- TmpfsDir -----------------------------------------------------------------------------

TmpfsDir::TmpfsDir(std::shared_ptr<Superblock> sb, const NewNode& node)
    : TmpfsInode(std::move(sb), node) {
  attrs_.nlink = 2;
}

void TmpfsDir::fill_size(Stat& st) {
  st.size = (entries_.size() + 2) * kDirentSize;
  st.blocks = 0;
}

InodePtr TmpfsDir::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : entries_.at(it->second).inode;
}

void TmpfsDir::add(std::string_view name, InodePtr inode) {
  const uint64_t off = next_offset_++;
  index_.emplace(std::string(name), off);
  entries_.emplace(off, Entry{std::string(name), std::move(inode)});
}

InodePtr TmpfsDir::remove(std::string_view name) {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  auto e = entries_.find(it->second);
  InodePtr inode = std::move(e->second.inode);
  entries_.erase(e);
  index_.erase(it);
  return inode;
}

Result<InodePtr> TmpfsDir::lookup(std::string_view name) {
  InodePtr inode = find(name);
  if (inode == nullptr) return fail(ENOENT);
  return inode;
}

Result<InodePtr> TmpfsDir::create(std::string_view name, const NewNode& node) {
  if (find(name) != nullptr) return fail(EEXIST);
  InodePtr inode = make_tmpfs_inode(sb_ptr(), node);
  if (inode->is_dir()) ++attrs_.nlink;
  add(name, inode);
  touch_modified();
  return inode;
}

Result<void> TmpfsDir::link(std::string_view name, const InodePtr& target) {
  auto* t = dynamic_cast<TmpfsInode*>(target.get());
  if (t == nullptr) return fail(EXDEV);
  if (find(name) != nullptr) return fail(EEXIST);
  t->set_nlink(t->nlink() + 1);
  t->touch_changed();
  add(name, target);
  touch_modified();
  return {};
}

Result<void> TmpfsDir::unlink(std::string_view name, Inode& victim) {
  auto* v = dynamic_cast<TmpfsInode*>(&victim);
  if (v == nullptr || find(name).get() != &victim) return fail(ENOENT);
  remove(name);
  v->set_nlink(v->nlink() - 1);
  v->touch_changed();
  touch_modified();
  return {};
}

Result<void> TmpfsDir::rmdir(std::string_view name, Inode& victim) {
  auto* v = dynamic_cast<TmpfsDir*>(&victim);
  if (v == nullptr || find(name).get() != &victim) return fail(ENOENT);
  if (!v->empty()) return fail(ENOTEMPTY);
  remove(name);
  v->set_nlink(0);
  v->touch_changed();
  --attrs_.nlink;
  touch_modified();
  return {};
}

Result<void> TmpfsDir::rename(std::string_view old_name, Inode& /*source*/, Inode& new_dir,
                              std::string_view new_name, Inode* /*target*/, unsigned flags) {
  auto* to = dynamic_cast<TmpfsDir*>(&new_dir);
  if (to == nullptr) return fail(EXDEV);
  InodePtr src = find(old_name);
  if (src == nullptr) return fail(ENOENT);
  InodePtr dst = to->find(new_name);
  auto* s = static_cast<TmpfsInode*>(src.get());
  if ((flags & RENAME_EXCHANGE) != 0) {
    if (dst == nullptr) return fail(ENOENT);
    entries_.at(index_.find(old_name)->second).inode = dst;
    to->entries_.at(to->index_.find(new_name)->second).inode = src;
    if (this != to && src->is_dir() != dst->is_dir()) {
      TmpfsDir* gains = src->is_dir() ? to : this;
      TmpfsDir* loses = src->is_dir() ? this : to;
      ++gains->attrs_.nlink;
      --loses->attrs_.nlink;
    }
    s->touch_changed();
    static_cast<TmpfsInode*>(dst.get())->touch_changed();
    touch_modified();
    to->touch_modified();
    return {};
  }
  if (dst != nullptr) {
    auto* d = static_cast<TmpfsInode*>(dst.get());
    if (dst->is_dir()) {
      if (!static_cast<TmpfsDir*>(d)->empty()) return fail(ENOTEMPTY);
      d->set_nlink(0);
      --to->attrs_.nlink;
    } else {
      d->set_nlink(d->nlink() - 1);
    }
    d->touch_changed();
    to->remove(new_name);
  }
  remove(old_name);
  to->add(new_name, src);
  if (src->is_dir() && this != to) {
    --attrs_.nlink;
    ++to->attrs_.nlink;
  }
  s->touch_changed();
  touch_modified();
  to->touch_modified();
  return {};
}

Result<void> TmpfsDir::readdir(DirCursor& cursor, const DirEmit& emit) {
  for (auto it = entries_.lower_bound(cursor.offset); it != entries_.end(); ++it) {
    auto* inode = static_cast<TmpfsInode*>(it->second.inode.get());
    const DirEntry e{it->second.name, inode->ino(), dirent_type(inode->type())};
    if (!emit(e, it->first + 1)) return {};
    cursor.offset = it->first + 1;
  }
  return {};
}

Result<std::shared_ptr<FileDescription>> TmpfsDir::open(const OpenRequest& request) {
  return std::make_shared<DirectoryFile>(request.flags, request.path);
}

// --- TmpfsSymlink, TmpfsSpecial -----------------------------------------------------------

TmpfsSymlink::TmpfsSymlink(std::shared_ptr<Superblock> sb, const NewNode& node)
    : TmpfsInode(std::move(sb), node), target_(node.symlink_target) {}

void TmpfsSymlink::fill_size(Stat& st) {
  st.size = target_.size();
}

Result<LinkTarget> TmpfsSymlink::get_link(const Caller& /*caller*/) {
  touch_accessed();
  return LinkTarget{target_, {}};
}

TmpfsSpecial::TmpfsSpecial(std::shared_ptr<Superblock> sb, const NewNode& node)
    : TmpfsInode(std::move(sb), node) {}

Result<std::shared_ptr<FileDescription>> TmpfsSpecial::open(const OpenRequest& request) {
  if (type() != S_IFIFO) return fail(ENXIO);
  if (!pipe_) pipe_ = std::make_shared<Pipe>();
  return open_fifo(pipe_, request);
}

}  // namespace ms::fs
