#include "fs/path_walk.h"

#include "fs/dentry.h"
#include "fs/fs_context.h"
#include "fs/permission.h"

namespace ms::fs {
namespace {

LastComponent::Kind kind_of(std::string_view name) {
  if (name == ".") return LastComponent::Kind::kDot;
  if (name == "..") return LastComponent::Kind::kDotDot;
  return LastComponent::Kind::kNormal;
}

}  // namespace

PathWalk::PathWalk(const MountNamespace& ns, const Caller& caller, const Path& start,
                   unsigned restrictions)
    : ns_(ns),
      caller_(caller),
      start_(start),
      root_((restrictions & (kBeneath | kInRoot)) != 0 ? start : caller.fs.root),
      restrictions_(restrictions) {}

Result<LastComponent> PathWalk::resolve_parent(std::string_view path) {
  if (path.empty()) return fail(ENOENT);
  Path cur;
  size_t i = 0;
  if (path[0] == '/') {
    if ((restrictions_ & kBeneath) != 0) return fail(EXDEV);
    if ((restrictions_ & kNoXdev) != 0 && root_.mnt != start_.mnt) return fail(EXDEV);
    cur = root_;
    while (i < path.size() && path[i] == '/')
      ++i;
    if (i == path.size()) return LastComponent{cur, "", LastComponent::Kind::kRoot, false};
  } else {
    cur = start_;
    if (!cur.inode().is_dir()) return fail(ENOTDIR);
  }
  for (;;) {
    TRY(permission(cur.inode(), kMayExec, caller_.creds));
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view name = path.substr(i, end - i);
    size_t next = end;
    while (next < path.size() && path[next] == '/')
      ++next;
    if (next == path.size()) {
      return LastComponent{cur, std::string(name), kind_of(name), end != path.size()};
    }
    cur = TRY(step(cur, name, kind_of(name)));
    if (!cur.inode().is_dir()) return fail(ENOTDIR);
    i = next;
  }
}

Result<Path> PathWalk::resolve(std::string_view path, unsigned flags) {
  const LastComponent last = TRY(resolve_parent(path));
  return finish(last, flags);
}

Result<Path> PathWalk::finish(const LastComponent& last, unsigned flags) {
  Path p;
  switch (last.kind) {
    case LastComponent::Kind::kRoot:
    case LastComponent::Kind::kDot:
      p = last.dir;
      break;
    case LastComponent::Kind::kDotDot:
      p = TRY(dotdot(last.dir));
      break;
    case LastComponent::Kind::kNormal:
      p = TRY(lookup(last.dir, last.name));
      // A trailing slash asks for a directory, through a symlink if need be.
      if (p.inode().is_symlink() && ((flags & kFollow) != 0 || last.trailing_slash)) {
        p = TRY(follow_link(last.dir, p));
      }
      break;
  }
  if ((last.trailing_slash || (flags & kDirectory) != 0) && !p.inode().is_dir()) {
    return fail(ENOTDIR);
  }
  return p;
}

Result<Path> PathWalk::step(const Path& dir, std::string_view name, LastComponent::Kind kind) {
  switch (kind) {
    case LastComponent::Kind::kDot:
    case LastComponent::Kind::kRoot:
      return dir;
    case LastComponent::Kind::kDotDot:
      return dotdot(dir);
    case LastComponent::Kind::kNormal:
      break;
  }
  Path child = TRY(lookup(dir, name));
  if (child.inode().is_symlink()) return follow_link(dir, child);
  return child;
}

Result<Path> PathWalk::lookup(const Path& dir, std::string_view name, bool mounts) {
  if (name.size() > kNameMax) return fail(ENAMETOOLONG);
  Dentry& d = *dir.dentry;
  auto child = d.find_child(name);
  // A mountpoint stays what it is while mounted on (its mount hangs off this dentry).
  if (child != nullptr && child->mounts == 0 && !d.ino().cached_child_valid(name, child->ino())) {
    d.forget_child(name);
    child = nullptr;
  }
  if (child == nullptr) {
    if ((restrictions_ & kCached) != 0) return fail(EAGAIN);
    auto inode = TRY(d.ino().lookup(name));
    child = d.add_child(name, std::move(inode));
  }
  Path p{dir.mnt, std::move(child)};
  if (!mounts) return p;
  return cross_mounts(std::move(p));
}

Result<Path> PathWalk::cross_mounts(Path p) {
  while (auto m = ns_.mounted_on(p)) {
    if ((restrictions_ & kNoXdev) != 0) return fail(EXDEV);
    p = Path{m, m->root()};
  }
  return p;
}

Result<Path> PathWalk::dotdot(Path p) {
  for (;;) {
    if (p == root_) {
      if ((restrictions_ & kBeneath) != 0) return fail(EXDEV);
      return p;
    }
    if (p.dentry != p.mnt->root()) break;
    // The root of a mount: ".." is the parent of its mountpoint.
    if (p.mnt->parent() == nullptr) return p;
    if ((restrictions_ & kNoXdev) != 0) return fail(EXDEV);
    p = Path{p.mnt->parent(), p.mnt->mountpoint()};
  }
  if (p.dentry->parent() == nullptr) return p;
  return cross_mounts(Path{p.mnt, p.dentry->parent()});
}

Result<PathWalk::LinkStep> PathWalk::read_link(const Path& dir, const Path& link) {
  if ((restrictions_ & kNoSymlinks) != 0) return fail(ELOOP);
  if (++links_ > kMaxSymlinks) return fail(ELOOP);
  LinkTarget target = TRY(link.inode().get_link(caller_));
  if (target.jump) {
    if ((restrictions_ & kNoMagicLinks) != 0) return fail(ELOOP);
    if ((restrictions_ & (kBeneath | kInRoot)) != 0) return fail(EXDEV);
    if ((restrictions_ & kNoXdev) != 0 && target.jump.mnt != link.mnt) return fail(EXDEV);
    return LinkStep{{}, std::move(target.jump)};
  }
  // The link's text is walked from the directory holding it.
  const Path saved = start_;
  start_ = dir;
  auto last = resolve_parent(target.text);
  start_ = saved;
  if (!last) return std::unexpected(last.error());
  return LinkStep{std::move(*last), {}};
}

Result<Path> PathWalk::follow_link(const Path& dir, const Path& link) {
  LinkStep s = TRY(read_link(dir, link));
  if (s.jump) return s.jump;
  return finish(s.last, kFollow);
}

}  // namespace ms::fs
