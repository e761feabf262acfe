// File attributes as the VFS reports them; the syscall layer turns them into struct stat or
// struct statx.
#pragma once

#include <sys/stat.h>
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

// What the host's fstat/fstatat reported, as the VFS reports it (host files the guest sees
// directly: stdio, bound directories).
inline Stat stat_from_host(const struct stat& st) {
  auto ts = [](const timespec& t) { return Timestamp{t.tv_sec, static_cast<uint32_t>(t.tv_nsec)}; };
  return Stat{.dev = st.st_dev,
              .ino = st.st_ino,
              .mode = st.st_mode,
              .nlink = static_cast<uint32_t>(st.st_nlink),
              .uid = st.st_uid,
              .gid = st.st_gid,
              .rdev = st.st_rdev,
              .size = static_cast<uint64_t>(st.st_size),
              .blksize = static_cast<uint32_t>(st.st_blksize),
              .blocks = static_cast<uint64_t>(st.st_blocks),
              .atime = ts(st.st_atim),
              .mtime = ts(st.st_mtim),
              .ctime = ts(st.st_ctim)};
}

}  // namespace ms::fs
