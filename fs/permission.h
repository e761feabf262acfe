// Permission checks from mode bits and credentials (Linux's generic_permission), with the
// capabilities root has: the filesystem ones follow the fsuid.
#pragma once

#include "base/result.h"
#include "fs/inode.h"
#include "fs/stat.h"
#include "sentry/kernel/credentials.h"

namespace ms::fs {

inline constexpr int kMayExec = 1;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayRead = 4;

// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_CHOWN: held while the
// fsuid is 0.
inline bool fs_capable(const kernel::Credentials& c) {
  return c.fsuid == 0;
}
bool in_group(const kernel::Credentials& c, uint32_t gid);

// Checks mask (kMayRead | kMayWrite | kMayExec) against st for creds, capabilities included.
Result<void> check_mode(const Stat& st, int mask, const kernel::Credentials& creds);
// inode_permission(): EROFS for writes to a read-only filesystem's files, directories and
// symlinks, then the mode bits.
Result<void> permission(Inode& inode, int mask, const kernel::Credentials& creds);
// The owner, or CAP_FOWNER (chmod, utimes with explicit times, O_NOATIME...).
bool owner_or_capable(const Stat& st, const kernel::Credentials& creds);

}  // namespace ms::fs
