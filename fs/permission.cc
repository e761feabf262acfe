#include "fs/permission.h"

#include <algorithm>

#include "fs/superblock.h"

namespace ms::fs {

bool in_group(const kernel::Credentials& c, uint32_t gid) {
  return c.fsgid == gid || std::find(c.groups.begin(), c.groups.end(), gid) != c.groups.end();
}

Result<void> check_mode(const Stat& st, int mask, const kernel::Credentials& creds) {
  mask &= kMayRead | kMayWrite | kMayExec;
  uint32_t bits = st.mode;
  if (creds.fsuid == st.uid) {
    bits >>= 6;
  } else if (in_group(creds, st.gid)) {
    bits >>= 3;
  }
  if ((mask & ~static_cast<int>(bits & 7)) == 0) return {};
  if (fs_capable(creds)) {
    const bool dir = S_ISDIR(st.mode);
    // CAP_DAC_OVERRIDE: everything but executing a file nobody may execute.
    if (dir || (mask & kMayExec) == 0 || (st.mode & 0111) != 0) return {};
  }
  return fail(EACCES);
}

Result<void> permission(Inode& inode, int mask, const kernel::Credentials& creds) {
  if ((mask & kMayWrite) != 0 && inode.sb().read_only() &&
      (inode.is_reg() || inode.is_dir() || inode.is_symlink())) {
    return fail(EROFS);
  }
  // Root searches and changes any directory without looking at its mode.
  if (fs_capable(creds) && inode.is_dir()) return {};
  const Stat st = TRY(inode.stat());
  return check_mode(st, mask, creds);
}

bool owner_or_capable(const Stat& st, const kernel::Credentials& creds) {
  return creds.fsuid == st.uid || fs_capable(creds);
}

}  // namespace ms::fs
