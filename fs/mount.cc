#include "fs/mount.h"

namespace ms::fs {

MountNamespace::MountNamespace(std::shared_ptr<Superblock> sb, std::shared_ptr<Dentry> root,
                               unsigned flags, std::string source)
    : root_(std::make_shared<Mount>(next_id_++, std::move(sb), std::move(root), flags,
                                    std::move(source))) {
  all_.push_back(root_);
}

std::shared_ptr<Mount> MountNamespace::mount(const Path& at, std::shared_ptr<Superblock> sb,
                                             std::shared_ptr<Dentry> root, unsigned flags,
                                             std::string source) {
  auto m =
      std::make_shared<Mount>(next_id_++, std::move(sb), std::move(root), flags, std::move(source));
  m->parent_ = at.mnt;
  m->mountpoint_ = at.dentry;
  at.dentry->mounts++;
  on_[{at.mnt.get(), at.dentry.get()}] = m;
  all_.push_back(m);
  return m;
}

std::shared_ptr<Mount> MountNamespace::mounted_on(const Path& p) const {
  if (p.dentry->mounts == 0) return nullptr;
  auto it = on_.find({p.mnt.get(), p.dentry.get()});
  return it == on_.end() ? nullptr : it->second;
}

}  // namespace ms::fs
