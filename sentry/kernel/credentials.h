// A task's identity for permission checks (real, effective, saved, filesystem ids).
#pragma once

#include <sys/types.h>

#include <vector>

namespace ms::kernel {

struct Credentials {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;

  static Credentials of_ids(uid_t uid, gid_t gid) {
    return Credentials{uid, uid, uid, uid, gid, gid, gid, gid, {}};
  }
};

}  // namespace ms::kernel
