// One mounted instance of a filesystem: its device number, inode numbers, clock, and what
// statfs(2) and /proc/mounts say about it.
#pragma once

#include <sys/vfs.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "fs/stat.h"
#include "sentry/kernel/clock.h"

namespace ms::fs {

class Superblock {
 public:
  // fs_type: the name /proc/mounts shows ("tmpfs", "proc", ...); magic: statfs's f_type.
  Superblock(std::string fs_type, uint64_t magic, uint64_t dev, const kernel::Clock& clock);
  virtual ~Superblock() = default;
  Superblock(const Superblock&) = delete;
  Superblock& operator=(const Superblock&) = delete;

  const std::string& fs_type() const { return fs_type_; }
  uint64_t dev() const { return dev_; }
  // A read-only filesystem refuses every change with EROFS (a read-only mount does too).
  bool read_only() const { return read_only_; }
  void set_read_only(bool ro) { read_only_ = ro; }
  uint64_t allocate_ino() { return next_ino_++; }
  Timestamp now() const;
  const kernel::Clock& clock() const { return clock_; }

  virtual Result<struct statfs> statfs();
  // Filesystem-specific options for /proc/mounts ("size=...,mode=755").
  virtual std::string mount_options() const { return {}; }

 private:
  std::string fs_type_;
  uint64_t magic_;
  uint64_t dev_;
  const kernel::Clock& clock_;
  bool read_only_ = false;
  uint64_t next_ino_ = 2;
};

Timestamp to_timestamp(kernel::Duration since_epoch);

}  // namespace ms::fs
