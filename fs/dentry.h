// A name in the directory tree, tying a parent and a name to an inode. Dentries are cached
// while anything holds them (open files, cwd, mounts, children): a cached dentry is the one
// object for that name, so a rename moves it and every holder sees the new path, and an
// unlink marks it deleted ("(deleted)" in /proc). The filesystem's own directories hold the
// truth; the cache holds only weak references and never keeps a name alive by itself.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace ms::fs {

class Inode;

class Dentry : public std::enable_shared_from_this<Dentry> {
 public:
  // The root of a filesystem tree: no parent, no name.
  static std::shared_ptr<Dentry> make_root(std::shared_ptr<Inode> inode);
  Dentry(std::string name, std::shared_ptr<Dentry> parent, std::shared_ptr<Inode> inode);
  ~Dentry();
  Dentry(const Dentry&) = delete;
  Dentry& operator=(const Dentry&) = delete;

  const std::string& name() const { return name_; }
  // nullptr at the root of a filesystem tree (or of a detached tree, such as pipefs).
  const std::shared_ptr<Dentry>& parent() const { return parent_; }
  const std::shared_ptr<Inode>& inode() const { return inode_; }
  Inode& ino() const { return *inode_; }
  bool is_root() const { return parent_ == nullptr; }
  // The name was unlinked, removed or replaced; the dentry lives on for its holders.
  bool deleted() const { return deleted_; }

  // The cached child named `name`, or nullptr.
  std::shared_ptr<Dentry> find_child(std::string_view name) const;
  // Caches a child just looked up or created.
  std::shared_ptr<Dentry> add_child(std::string_view name, std::shared_ptr<Inode> inode);
  // The name is gone: drops it from the cache and marks it deleted.
  void unhash();
  // Drops the cached child `name`, if any (the filesystem changed underneath).
  void forget_child(std::string_view name);
  // rename(2): this dentry becomes new_parent/new_name. Whatever was cached under the new
  // name must have been unhashed first.
  void move(const std::shared_ptr<Dentry>& new_parent, std::string_view new_name);
  // True when this is `ancestor` or lies beneath it.
  bool is_descendant_of(const Dentry& ancestor) const;
  // Calls f for every cached child that is still alive.
  void for_each_cached_child(const std::function<void(Dentry&)>& f) const;

  // How many mounts sit on this dentry (a fast check before looking in the mount table).
  int mounts = 0;

 private:
  std::string name_;
  std::shared_ptr<Dentry> parent_;
  std::shared_ptr<Inode> inode_;
  std::map<std::string, std::weak_ptr<Dentry>, std::less<>> children_;
  bool deleted_ = false;
};

}  // namespace ms::fs
