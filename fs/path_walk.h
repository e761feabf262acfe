// The one path walk every syscall uses (Linux's namei): "." and "..", symlinks (ELOOP after
// 40), trailing slashes, mount crossings, search permission on every directory, NAME_MAX,
// and openat2's RESOLVE_* restrictions. Errors come in Linux's order.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "fs/inode.h"
#include "fs/mount.h"
#include "fs/path.h"

namespace ms::fs {

// resolve() flags.
inline constexpr unsigned kFollow = 1;     // follow a trailing symlink
inline constexpr unsigned kDirectory = 2;  // the result must be a directory
// Restrictions for the whole walk (openat2's RESOLVE_*).
inline constexpr unsigned kNoXdev = 0x10;
inline constexpr unsigned kNoMagicLinks = 0x20;
inline constexpr unsigned kNoSymlinks = 0x40;
inline constexpr unsigned kBeneath = 0x80;
inline constexpr unsigned kInRoot = 0x100;
inline constexpr unsigned kCached = 0x200;

inline constexpr int kMaxSymlinks = 40;
inline constexpr size_t kNameMax = 255;

// A path resolved up to its last component, for calls that create or remove that name.
struct LastComponent {
  enum class Kind { kNormal, kDot, kDotDot, kRoot };
  Path dir;
  std::string name;
  Kind kind = Kind::kNormal;
  bool trailing_slash = false;
};

class PathWalk {
 public:
  // restrictions: kNoXdev ... kCached. start is where relative paths begin, and the root for
  // kBeneath and kInRoot.
  PathWalk(const MountNamespace& ns, const Caller& caller, const Path& start,
           unsigned restrictions = 0);

  // The whole path; flags: kFollow, kDirectory.
  Result<Path> resolve(std::string_view path, unsigned flags);
  // Everything but the last component.
  Result<LastComponent> resolve_parent(std::string_view path);
  // Finishes a walk stopped at its last component: the object it names.
  Result<Path> finish(const LastComponent& last, unsigned flags);
  // The name in dir (ENOENT if absent), through mounts on it unless `mounts` is false (the
  // name itself is what unlink, rmdir and rename act on); no symlink is followed.
  Result<Path> lookup(const Path& dir, std::string_view name, bool mounts = true);
  // What a symlink leads to: its target's parent and last component (for O_CREAT), or, for
  // a magic link, the place itself (in `jump`). Counts towards the 40-link limit.
  struct LinkStep {
    LastComponent last;
    Path jump;
  };
  Result<LinkStep> read_link(const Path& dir, const Path& link);
  // Follows a symlink found in dir, its target's own last component included.
  Result<Path> follow_link(const Path& dir, const Path& link);
  const Path& root() const { return root_; }

 private:
  Result<Path> step(const Path& dir, std::string_view name, LastComponent::Kind kind);
  Result<Path> dotdot(Path p);
  Result<Path> cross_mounts(Path p);

  const MountNamespace& ns_;
  const Caller& caller_;
  Path start_;
  Path root_;
  unsigned restrictions_;
  int links_ = 0;
};

}  // namespace ms::fs
