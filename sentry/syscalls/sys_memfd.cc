// memfd_create(2): an anonymous tmpfs file, shown in /proc as "/memfd:NAME (deleted)".
#include <linux/memfd.h>
#include <sys/resource.h>

#include "fs/dentry.h"
#include "fs/tmpfs/tmpfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

constexpr unsigned kNoExecSeal = 0x0008U;  // MFD_NOEXEC_SEAL (Linux 6.3)
constexpr unsigned kExec = 0x0010U;        // MFD_EXEC
constexpr unsigned kAllFlags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | kNoExecSeal | kExec;
constexpr size_t kNameMax = 249;  // MFD_NAME_MAX_LEN

}  // namespace

SysRet sys_memfd_create(kernel::Task& t, const SyscallArgs& a) {
  const auto flags = static_cast<unsigned>(a[1]);
  if ((flags & MFD_HUGETLB) == 0) {
    if ((flags & ~kAllFlags) != 0) return fail(EINVAL);
  } else if ((flags & ~(kAllFlags | (MFD_HUGE_MASK << MFD_HUGE_SHIFT))) != 0) {
    return fail(EINVAL);
  }
  if ((flags & kExec) != 0 && (flags & kNoExecSeal) != 0) return fail(EINVAL);
  auto name = t.mm().copy_in_string(a[0], kNameMax);
  if (!name) return fail(name.error() == Errno{ENAMETOOLONG} ? EINVAL : EFAULT);
  // No hugetlbfs in the sandbox (see the table's note).
  if ((flags & MFD_HUGETLB) != 0) return fail(EINVAL);
  const uint64_t limit = t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
  TRY(t.fds().lowest_free(0, limit));
  fs::Vfs& vfs = t.kernel().vfs();
  const fs::InternalFs& memfs = vfs.internal_fs("tmpfs", fs::kTmpfsMagic);
  const kernel::Credentials& creds = t.thread_group().creds();
  auto inode = fs::make_tmpfs_inode(
      memfs.sb, fs::NewNode{.mode = S_IFREG | 0777, .uid = creds.fsuid, .gid = creds.fsgid});
  const fs::Path path = vfs.detached(memfs, inode, "/memfd:" + *name);
  path.dentry->unhash();  // never had a name: "(deleted)"
  const fs::Caller c = caller(t);
  auto file = TRY(inode->open(fs::OpenRequest{O_RDWR | O_LARGEFILE, path, c}));
  return TRY(t.fds().install(std::move(file), (flags & MFD_CLOEXEC) != 0, 0, limit));
}

}  // namespace ms::sys
