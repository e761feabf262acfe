// A location in the mount tree: which mount, and which dentry inside it (Linux's struct
// path). Open files, cwd and root are Paths, so that ".." can climb out of a mount and a
// name can be rebuilt for getcwd and /proc.
#pragma once

#include <memory>

namespace ms::fs {

class Mount;
class Dentry;
class Inode;

struct Path {
  std::shared_ptr<Mount> mnt;
  std::shared_ptr<Dentry> dentry;

  explicit operator bool() const { return dentry != nullptr; }
  bool operator==(const Path& o) const { return mnt == o.mnt && dentry == o.dentry; }
  Inode& inode() const;
};

}  // namespace ms::fs
