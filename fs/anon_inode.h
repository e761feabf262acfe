// The inode behind eventfds, epoll instances, timerfds and signalfds (Linux's anon_inode:
// one shared inode, mode 0600 with no file type bits).
#pragma once

#include <sys/stat.h>

#include "fs/stat.h"

namespace ms::fs {

inline Stat anon_inode_stat() {
  Stat st;
  st.mode = S_IRUSR | S_IWUSR;
  st.nlink = 1;
  st.blksize = 4096;
  return st;
}

}  // namespace ms::fs
