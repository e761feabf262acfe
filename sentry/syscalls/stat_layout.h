// fs::Stat in the guest's struct stat (x86-64) layout.
#pragma once

#include <sys/stat.h>

#include "fs/stat.h"

namespace ms::sys {

inline struct stat to_guest_stat(const fs::Stat& s) {
  struct stat out {};
  out.st_dev = s.dev;
  out.st_ino = s.ino;
  out.st_nlink = s.nlink;
  out.st_mode = s.mode;
  out.st_uid = s.uid;
  out.st_gid = s.gid;
  out.st_rdev = s.rdev;
  out.st_size = static_cast<off_t>(s.size);
  out.st_blksize = s.blksize;
  out.st_blocks = static_cast<blkcnt_t>(s.blocks);
  out.st_atim = {s.atime.sec, s.atime.nsec};
  out.st_mtim = {s.mtime.sec, s.mtime.nsec};
  out.st_ctim = {s.ctime.sec, s.ctime.nsec};
  return out;
}

}  // namespace ms::sys
