#include "fs/overlay/overlay.h"

#include <dirent.h>
#include <linux/fs.h>
#include <sys/xattr.h>

#include <algorithm>
#include <set>

#include "fs/directory_file.h"
#include "fs/file_description.h"
#include "fs/fs_context.h"

namespace ms::fs {
namespace {

constexpr std::string_view kOpaque = "trusted.overlay.opaque";
constexpr std::string_view kOrigin = "trusted.overlay.origin";
constexpr std::string_view kPrivate = "trusted.overlay.";

// The layers are read and copied by the sentry itself, not on behalf of a guest process.
const Caller& internal_caller() {
  static const kernel::Credentials creds = kernel::Credentials::of_ids(0, 0);
  static const FsContext fs;
  static const Caller caller{creds, fs, 0, 0};
  return caller;
}

bool is_whiteout(Inode& inode) {
  if (inode.type() != S_IFCHR) return false;
  auto st = inode.stat();
  return st && st->rdev == 0;
}

bool has_xattr(Inode& inode, std::string_view name) {
  auto v = inode.getxattr(name);
  return v && *v == "y";
}

bool all_zero(std::span<const std::byte> b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

}  // namespace

struct OverlayInode::Listing {
  std::vector<std::pair<std::string, DirEntry>> entries;
};

OverlaySuperblock::OverlaySuperblock(uint64_t dev, const kernel::Clock& clock,
                                     std::shared_ptr<TmpfsSuperblock> upper, std::string lower_name)
    : Superblock("overlay", kOverlayMagic, dev, clock),
      upper_(std::move(upper)),
      lower_name_(std::move(lower_name)) {}

Result<struct statfs> OverlaySuperblock::statfs() {
  struct statfs st = TRY(upper_->statfs());
  st.f_type = static_cast<__fsword_t>(kOverlayMagic);
  return st;
}

std::string OverlaySuperblock::mount_options() const {
  return "lowerdir=" + lower_name_ + ",upperdir=memory";
}

OverlayInstance make_overlay(uint64_t dev, uint64_t upper_dev, const kernel::Clock& clock,
                             const std::shared_ptr<Dentry>& lower_root, std::string lower_name) {
  const Stat lst = lower_root->ino().stat().value_or(Stat{.mode = S_IFDIR | 0755});
  TmpfsInstance upper = make_tmpfs(
      upper_dev, clock,
      TmpfsOptions{.root_mode = lst.mode & 07777, .root_uid = lst.uid, .root_gid = lst.gid});
  auto sb = std::make_shared<OverlaySuperblock>(dev, clock, upper.sb, std::move(lower_name));
  auto root = std::make_shared<OverlayInode>(sb, S_IFDIR, nullptr, "", upper.root->inode(),
                                             lower_root->inode(), /*opaque=*/false);
  return OverlayInstance{sb, Dentry::make_root(std::move(root))};
}

OverlayInode::OverlayInode(std::shared_ptr<Superblock> sb, uint32_t type,
                           std::shared_ptr<OverlayInode> parent, std::string name, InodePtr upper,
                           InodePtr lower, bool opaque)
    : Inode(std::move(sb), type),
      parent_(std::move(parent)),
      name_(std::move(name)),
      upper_(std::move(upper)),
      lower_(std::move(lower)),
      opaque_(opaque) {}

Result<Stat> OverlayInode::stat() {
  Stat st = TRY(real().stat());
  // An object keeps the device and inode number of its lower origin across a copy-up, so a
  // program never sees a file change identity when it is written.
  if (lower_) {
    const Stat l = TRY(lower_->stat());
    st.dev = l.dev;
    st.ino = l.ino;
    if (is_dir() && upper_) st.nlink = 1;  // a merged directory's count is unknown
  } else {
    st.dev = sb().dev();
  }
  return st;
}

Result<void> OverlayInode::setattr(const AttrChange& change) {
  const bool emptied = change.size && *change.size == 0;
  TRY(copy_up(!emptied));
  return upper_->setattr(change);
}

bool OverlayInode::lower_has(std::string_view name) {
  if (!lower_ || opaque_) return false;
  return static_cast<bool>(lower_->lookup(name));
}

Result<InodePtr> OverlayInode::lookup(std::string_view name) {
  if (!is_dir()) return fail(ENOTDIR);
  InodePtr up;
  InodePtr low;
  bool child_opaque = false;
  if (upper_) {
    auto r = upper_->lookup(name);
    if (r) {
      if (is_whiteout(**r)) return fail(ENOENT);
      up = *r;
    } else if (r.error() != Errno{ENOENT}) {
      return std::unexpected(r.error());
    }
  }
  if (up && up->is_dir()) child_opaque = has_xattr(*up, kOpaque);
  // The lower object shows through an upper directory that is not opaque, and is the origin
  // of an upper file copied up from it.
  const bool want_lower = !up || (up->is_dir() ? !child_opaque : has_xattr(*up, kOrigin));
  if (lower_ && !opaque_ && want_lower) {
    auto r = lower_->lookup(name);
    if (r) {
      low = *r;
    } else if (r.error() != Errno{ENOENT}) {
      return std::unexpected(r.error());
    }
  }
  if (up && low && up->type() != low->type()) low = nullptr;
  if (!up && !low) return fail(ENOENT);
  const uint32_t type = up ? up->type() : low->type();
  return std::make_shared<OverlayInode>(
      sb_ptr(), type, std::static_pointer_cast<OverlayInode>(shared_from_this()), std::string(name),
      std::move(up), std::move(low), child_opaque);
}

bool OverlayInode::cached_child_valid(std::string_view name, Inode& child) {
  auto* c = dynamic_cast<OverlayInode*>(&child);
  if (c == nullptr) return false;
  if (c->upper_ || !lower_) return true;
  return lower_->cached_child_valid(name, *c->lower_);
}

Result<InodePtr> OverlayInode::upper_whiteout(std::string_view name) {
  auto r = upper_->lookup(name);
  if (r && is_whiteout(**r)) return *r;
  return InodePtr{};
}

Result<void> OverlayInode::make_whiteout(std::string_view name) {
  TRY(upper_->create(name, NewNode{.mode = S_IFCHR, .rdev = 0}));
  return {};
}

Result<void> OverlayInode::make_opaque() {
  TRY(upper_->setxattr(kOpaque, "y", 0));
  opaque_ = true;
  return {};
}

Result<void> OverlayInode::clear_whiteouts() {
  std::vector<std::string> names;
  DirCursor cursor;
  TRY(upper_->readdir(cursor, [&](const DirEntry& e, uint64_t) {
    if (e.type == DT_CHR) names.emplace_back(e.name);
    return true;
  }));
  for (const std::string& n : names) {
    if (InodePtr w = TRY(upper_whiteout(n))) TRY(upper_->unlink(n, *w));
  }
  return {};
}

Result<void> OverlayInode::copy_up(bool with_data) {
  if (upper_) return {};
  if (!parent_) return fail(EIO);
  TRY(parent_->copy_up());
  const Stat st = TRY(lower_->stat());
  NewNode node{.mode = st.mode, .uid = st.uid, .gid = st.gid, .rdev = st.rdev};
  std::string target;
  if (is_symlink()) {
    target = TRY(lower_->get_link(internal_caller())).text;
    node.symlink_target = target;
  }
  InodePtr up = TRY(parent_->upper_->create(name_, node));
  if (is_reg() && with_data) {
    auto in = TRY(lower_->open(OpenRequest{O_RDONLY, Path{}, internal_caller()}));
    auto out = TRY(up->open(OpenRequest{O_WRONLY, Path{}, internal_caller()}));
    std::vector<std::byte> buf(1 << 20);
    for (uint64_t off = 0;;) {
      const size_t n = TRY(in->pread(buf, off));
      if (n == 0) break;
      const auto chunk = std::span(buf).first(n);
      // Zero blocks stay holes, as a sparse lower file is.
      if (!all_zero(chunk)) TRY(out->pwrite(chunk, off));
      off += n;
    }
  }
  for (const std::string& n : lower_->listxattr().value_or(std::vector<std::string>{})) {
    if (auto v = lower_->getxattr(n)) TRY(up->setxattr(n, *v, 0));
  }
  if (!is_dir()) TRY(up->setxattr(kOrigin, "y", 0));
  AttrChange times{.atime = st.atime, .mtime = st.mtime};
  if (is_reg() && with_data) times.size = st.size;
  TRY(up->setattr(times));
  upper_ = std::move(up);
  return {};
}

Result<InodePtr> OverlayInode::create(std::string_view name, const NewNode& node) {
  TRY(copy_up());
  bool replaced_whiteout = false;
  if (InodePtr w = TRY(upper_whiteout(name))) {
    TRY(upper_->unlink(name, *w));
    replaced_whiteout = true;
  }
  InodePtr up = TRY(upper_->create(name, node));
  // A new directory where a lower one was removed must not show the old contents.
  const bool opaque = replaced_whiteout && up->is_dir();
  if (opaque) TRY(up->setxattr(kOpaque, "y", 0));
  return std::make_shared<OverlayInode>(sb_ptr(), up->type(),
                                        std::static_pointer_cast<OverlayInode>(shared_from_this()),
                                        std::string(name), up, nullptr, opaque);
}

Result<void> OverlayInode::link(std::string_view name, const InodePtr& target) {
  auto* t = dynamic_cast<OverlayInode*>(target.get());
  if (t == nullptr) return fail(EXDEV);
  TRY(copy_up());
  TRY(t->copy_up());
  if (InodePtr w = TRY(upper_whiteout(name))) TRY(upper_->unlink(name, *w));
  return upper_->link(name, t->upper_);
}

Result<void> OverlayInode::unlink(std::string_view name, Inode& victim) {
  auto& v = static_cast<OverlayInode&>(victim);
  TRY(copy_up());
  const bool lower = lower_has(name);
  if (v.upper_) TRY(upper_->unlink(name, *v.upper_));
  if (lower) TRY(make_whiteout(name));
  return {};
}

Result<void> OverlayInode::rmdir(std::string_view name, Inode& victim) {
  auto& v = static_cast<OverlayInode&>(victim);
  auto entries = TRY(v.listing());
  if (!entries->entries.empty()) return fail(ENOTEMPTY);
  TRY(copy_up());
  const bool lower = lower_has(name);
  if (v.upper_) {
    TRY(v.clear_whiteouts());
    TRY(upper_->rmdir(name, *v.upper_));
  }
  if (lower) TRY(make_whiteout(name));
  return {};
}

Result<void> OverlayInode::rename(std::string_view old_name, Inode& source, Inode& new_dir,
                                  std::string_view new_name, Inode* target, unsigned flags) {
  auto& s = static_cast<OverlayInode&>(source);
  auto& to = static_cast<OverlayInode&>(new_dir);
  auto* t = static_cast<OverlayInode*>(target);
  const bool exchange = (flags & RENAME_EXCHANGE) != 0;
  // A directory with lower contents cannot move (overlayfs without redirect_dir): mv copies
  // it instead.
  if (s.is_dir() && s.lower_) return fail(EXDEV);
  if (exchange && t->is_dir() && t->lower_) return fail(EXDEV);
  if (t != nullptr && !exchange && t->is_dir()) {
    auto entries = TRY(t->listing());
    if (!entries->entries.empty()) return fail(ENOTEMPTY);
  }
  TRY(copy_up());
  TRY(to.copy_up());
  TRY(s.copy_up());
  if (exchange) TRY(t->copy_up());
  const bool source_lower = lower_has(old_name);
  const bool target_lower = to.lower_has(new_name);
  if (t != nullptr && t->upper_ && t->is_dir() && !exchange) TRY(t->clear_whiteouts());
  if (t == nullptr) {
    if (InodePtr w = TRY(to.upper_whiteout(new_name))) TRY(to.upper_->unlink(new_name, *w));
  }
  Inode* upper_target = t != nullptr ? t->upper_.get() : nullptr;
  TRY(upper_->rename(old_name, *s.upper_, *to.upper_, new_name, upper_target, flags));
  if (!exchange && source_lower) TRY(make_whiteout(old_name));
  if (s.is_dir() && target_lower) TRY(s.make_opaque());
  if (exchange && t->is_dir() && source_lower) TRY(t->make_opaque());
  auto self = std::static_pointer_cast<OverlayInode>(shared_from_this());
  auto dest = std::static_pointer_cast<OverlayInode>(to.shared_from_this());
  s.parent_ = dest;
  s.name_ = std::string(new_name);
  if (exchange) {
    t->parent_ = self;
    t->name_ = std::string(old_name);
  }
  return {};
}

Result<std::shared_ptr<OverlayInode::Listing>> OverlayInode::listing() {
  auto out = std::make_shared<Listing>();
  std::set<std::string, std::less<>> seen;
  if (upper_) {
    std::vector<std::pair<std::string, DirEntry>> specials;
    DirCursor cursor;
    TRY(upper_->readdir(cursor, [&](const DirEntry& e, uint64_t) {
      seen.emplace(e.name);
      if (e.type == DT_CHR) {
        specials.emplace_back(std::string(e.name), e);
      } else {
        out->entries.emplace_back(std::string(e.name), e);
      }
      return true;
    }));
    // Character devices are whiteouts unless their number says otherwise.
    for (auto& [name, e] : specials) {
      auto inode = upper_->lookup(name);
      if (inode && !is_whiteout(**inode)) out->entries.emplace_back(name, e);
    }
  }
  if (lower_ && !opaque_) {
    DirCursor cursor;
    TRY(lower_->readdir(cursor, [&](const DirEntry& e, uint64_t) {
      if (!seen.contains(e.name)) out->entries.emplace_back(std::string(e.name), e);
      return true;
    }));
  }
  return out;
}

Result<void> OverlayInode::readdir(DirCursor& cursor, const DirEmit& emit) {
  if (!is_dir()) return fail(ENOTDIR);
  if (!cursor.state) cursor.state = TRY(listing());
  auto& entries = static_cast<Listing*>(cursor.state.get())->entries;
  for (uint64_t i = cursor.offset - 2; i < entries.size(); ++i) {
    DirEntry e = entries[i].second;
    e.name = entries[i].first;
    if (!emit(e, i + 3)) return {};
    cursor.offset = i + 3;
  }
  return {};
}

Result<LinkTarget> OverlayInode::get_link(const Caller& caller) {
  return real().get_link(caller);
}

Result<std::shared_ptr<FileDescription>> OverlayInode::open(const OpenRequest& request) {
  if (is_dir()) return std::make_shared<DirectoryFile>(request.flags, request.path);
  if (is_reg() && ((request.flags & O_ACCMODE) != O_RDONLY || request.truncate)) {
    TRY(copy_up(!request.truncate));
  }
  // A FIFO is the sandbox's own: its node is copied up and the pipe lives there, so a host
  // FIFO below is never opened.
  if (type() == S_IFIFO) TRY(copy_up());
  return real().open(request);
}

Result<std::string> OverlayInode::getxattr(std::string_view name) {
  if (name.starts_with(kPrivate)) return fail(ENODATA);
  return real().getxattr(name);
}

Result<void> OverlayInode::setxattr(std::string_view name, std::string_view value, int flags) {
  if (name.starts_with(kPrivate)) return fail(EPERM);
  TRY(copy_up());
  return upper_->setxattr(name, value, flags);
}

Result<std::vector<std::string>> OverlayInode::listxattr() {
  auto names = TRY(real().listxattr());
  std::erase_if(names, [](const std::string& n) { return n.starts_with(kPrivate); });
  return names;
}

Result<void> OverlayInode::removexattr(std::string_view name) {
  if (name.starts_with(kPrivate)) return fail(ENODATA);
  TRY(copy_up());
  return upper_->removexattr(name);
}

}  // namespace ms::fs
