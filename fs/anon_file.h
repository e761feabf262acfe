// The inode /proc/PID/fd/N leads to when the open file has no place in the tree (the host's
// stdio): opening it gives that same open file, so /dev/stdin works.
#pragma once

#include <memory>

#include "fs/file_description.h"
#include "fs/inode.h"

namespace ms::fs {

class AnonFileInode final : public Inode {
 public:
  AnonFileInode(std::shared_ptr<Superblock> sb, const std::shared_ptr<FileDescription>& file,
                uint32_t type)
      : Inode(std::move(sb), type), file_(file) {}

  Result<Stat> stat() override {
    auto file = file_.lock();
    if (!file) return fail(ENOENT);
    return file->stat();
  }
  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& /*request*/) override {
    auto file = file_.lock();
    if (!file) return fail(ENOENT);
    return file;
  }

 private:
  std::weak_ptr<FileDescription> file_;
};

}  // namespace ms::fs
