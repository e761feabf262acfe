#include "fs/dentry.h"

#include "fs/inode.h"
#include "fs/mount.h"

namespace ms::fs {

Inode& Path::inode() const {
  return dentry->ino();
}

std::shared_ptr<Dentry> Dentry::make_root(std::shared_ptr<Inode> inode) {
  return std::make_shared<Dentry>(std::string(), nullptr, std::move(inode));
}

Dentry::Dentry(std::string name, std::shared_ptr<Dentry> parent, std::shared_ptr<Inode> inode)
    : name_(std::move(name)), parent_(std::move(parent)), inode_(std::move(inode)) {}

Dentry::~Dentry() {
  if (parent_ == nullptr || deleted_) return;
  auto it = parent_->children_.find(name_);
  // A newer dentry may hold the name by now; only an expired entry is ours.
  if (it != parent_->children_.end() && it->second.expired()) parent_->children_.erase(it);
}

std::shared_ptr<Dentry> Dentry::find_child(std::string_view name) const {
  auto it = children_.find(name);
  if (it == children_.end()) return nullptr;
  return it->second.lock();
}

std::shared_ptr<Dentry> Dentry::add_child(std::string_view name, std::shared_ptr<Inode> inode) {
  auto child = std::make_shared<Dentry>(std::string(name), shared_from_this(), std::move(inode));
  children_.insert_or_assign(std::string(name), child);
  return child;
}

void Dentry::unhash() {
  if (deleted_) return;
  deleted_ = true;
  if (parent_ == nullptr) return;
  auto it = parent_->children_.find(name_);
  if (it != parent_->children_.end()) {
    auto held = it->second.lock();
    if (held == nullptr || held.get() == this) parent_->children_.erase(it);
  }
}

void Dentry::forget_child(std::string_view name) {
  auto it = children_.find(name);
  if (it == children_.end()) return;
  if (auto child = it->second.lock()) {
    child->unhash();
  } else {
    children_.erase(it);
  }
}

void Dentry::move(const std::shared_ptr<Dentry>& new_parent, std::string_view new_name) {
  if (parent_ != nullptr && !deleted_) {
    auto it = parent_->children_.find(name_);
    if (it != parent_->children_.end() && it->second.lock().get() == this) {
      parent_->children_.erase(it);
    }
  }
  parent_ = new_parent;
  name_ = std::string(new_name);
  deleted_ = false;
  parent_->children_.insert_or_assign(name_, weak_from_this());
}

bool Dentry::is_descendant_of(const Dentry& ancestor) const {
  for (const Dentry* d = this; d != nullptr; d = d->parent_.get()) {
    if (d == &ancestor) return true;
  }
  return false;
}

void Dentry::for_each_cached_child(const std::function<void(Dentry&)>& f) const {
  for (const auto& [name, weak] : children_) {
    if (auto child = weak.lock()) f(*child);
  }
}

}  // namespace ms::fs
