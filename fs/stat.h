// File attributes as the VFS reports them; the syscall layer turns them into struct stat or
// struct statx.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace ms::fs {

struct Timestamp {
  int64_t sec = 0;
  uint32_t nsec = 0;
};

struct Stat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // type and permission bits (S_IFREG | 0644, ...)
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  uint32_t blksize = 4096;
  uint64_t blocks = 0;  // 512-byte units
  Timestamp atime;
  Timestamp mtime;
  Timestamp ctime;
  Timestamp btime;
};

}  // namespace ms::fs
