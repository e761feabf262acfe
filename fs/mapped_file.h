// The mm side of a file mapping: what /proc/PID/maps shows for it, computed when read, so a
// renamed or deleted file shows its current name as on Linux.
#pragma once

#include "fs/path.h"
#include "sentry/mm/vma_set.h"

namespace ms::fs {

class PathMappedFile final : public mm::MappedFile {
 public:
  PathMappedFile(Path path, uint64_t dev, uint64_t ino)
      : path_(std::move(path)), dev_(dev), ino_(ino) {}
  std::string name() const override;
  uint64_t device() const override { return dev_; }
  uint64_t inode() const override { return ino_; }

 private:
  Path path_;
  uint64_t dev_;
  uint64_t ino_;
};

}  // namespace ms::fs
