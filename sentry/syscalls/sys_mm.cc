// Memory: brk(2), mmap(2), munmap(2), mprotect(2), mremap(2), madvise(2).
#include <sys/mman.h>

#include "fs/mount.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

using mm::kPageSize;
using mm::page_up;

bool page_aligned(uint64_t a) {
  return (a & (kPageSize - 1)) == 0;
}

// Flags mmap accepts with MAP_SHARED_VALIDATE (LEGACY_MAP_MASK plus the validated ones).
// glibc does not define it; the kernel ignores it without CONFIG_MMAP_ALLOW_UNINITIALIZED.
constexpr int kMapUninitialized = 0x4000000;
constexpr int kKnownMapFlags =
    MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |
    kMapUninitialized | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
    MAP_STACK | MAP_HUGETLB | MAP_32BIT | MAP_FIXED_NOREPLACE | (0x3f << MAP_HUGE_SHIFT);

// A file mapping at [start, start + len): the access the descriptor allows, then the host
// fd the file gives (a read-only one unless the mapping is shared and may be written, so
// the host refuses what Linux would refuse later in mprotect).
SysRet map_file(kernel::Task& t, fs::FileDescription& file, uint64_t start, uint64_t len, int prot,
                int flags, int type, uint64_t offset) {
  const bool shared = type == MAP_SHARED;
  if (shared && (prot & PROT_WRITE) != 0 && !file.writable()) return fail(EACCES);
  if (!file.readable()) return fail(EACCES);
  if ((prot & PROT_EXEC) != 0 && file.path() && file.path().mnt->noexec()) return fail(EPERM);
  if ((flags & MAP_GROWSDOWN) != 0) return fail(EINVAL);
  const fs::MmapTarget target = TRY(file.mmap_target(shared && file.writable()));
  TRY(t.mm().map(mm::Vma{.start = start,
                         .end = start + len,
                         .prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
                         .flags = type | (flags & (MAP_NORESERVE | MAP_POPULATE)),
                         .offset = offset,
                         .file = target.file},
                 target.host_fd));
  return start;
}

}  // namespace

SysRet sys_brk(kernel::Task& t, const SyscallArgs& a) {
  return t.mm().brk(a[0]);
}

SysRet sys_mmap(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t addr = a[0];
  const uint64_t len_in = a[1];
  const int prot = static_cast<int>(a[2]);
  const int flags = static_cast<int>(a[3]);
  const int fd = static_cast<int>(a[4]);
  const uint64_t offset = a[5];

  if (!page_aligned(offset)) return fail(EINVAL);
  std::shared_ptr<fs::FileDescription> file;
  if ((flags & MAP_ANONYMOUS) == 0) file = TRY(io_file(t, fd));
  if (len_in == 0) return fail(EINVAL);
  if (len_in > t.mm().guest_top()) return fail(ENOMEM);
  const uint64_t len = page_up(len_in);
  if (file && offset + len < offset) return fail(EOVERFLOW);
  switch (flags & MAP_TYPE) {
    case MAP_SHARED:
    case MAP_PRIVATE:
      break;
    case MAP_SHARED_VALIDATE:
      // Only file mappings validate their flags; anonymous memory has no such type.
      if ((flags & MAP_ANONYMOUS) != 0) return fail(EINVAL);
      if ((flags & ~kKnownMapFlags) != 0) return fail(EOPNOTSUPP);
      break;
    default:
      return fail(EINVAL);
  }
  if ((flags & MAP_HUGETLB) != 0) return fail(EINVAL);  // no hugetlbfs in the sandbox

  uint64_t start = 0;
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
    if (!page_aligned(addr)) return fail(EINVAL);
    if (addr > t.mm().guest_top() - len) return fail(ENOMEM);
    if ((flags & MAP_FIXED) == 0 && !t.mm().vmas().free(addr, addr + len)) return fail(EEXIST);
    start = addr;
  } else {
    start = TRY(t.mm().choose_address(addr, len, (flags & MAP_32BIT) != 0));
  }
  const int type = (flags & MAP_TYPE) == MAP_SHARED_VALIDATE ? MAP_SHARED : flags & MAP_TYPE;
  if (file) return map_file(t, *file, start, len, prot, flags, type, offset);
  TRY(t.mm().map(mm::Vma{
      .start = start,
      .end = start + len,
      .prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
      .flags = type | MAP_ANONYMOUS | (flags & (MAP_GROWSDOWN | MAP_NORESERVE | MAP_POPULATE)),
      .name = (flags & MAP_GROWSDOWN) != 0 ? "[stack]" : ""}));
  return start;
}

SysRet sys_munmap(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t addr = a[0];
  if (!page_aligned(addr) || a[1] == 0) return fail(EINVAL);
  const uint64_t len = page_up(a[1]);
  if (addr > t.mm().guest_top() || len > t.mm().guest_top() - addr) return fail(EINVAL);
  TRY(t.mm().unmap(addr, addr + len));
  return 0;
}

SysRet sys_mprotect(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t start = a[0];
  const int prot = static_cast<int>(a[2]);
  if (!page_aligned(start)) return fail(EINVAL);
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) != 0 ||
      (prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP)) {
    return fail(EINVAL);
  }
  const uint64_t len = page_up(a[1]);
  if (a[1] != 0 && len == 0) return fail(ENOMEM);
  const uint64_t end = start + len;
  if (end < start) return fail(ENOMEM);
  if (end == start) return 0;
  if (end > t.mm().guest_top()) return fail(ENOMEM);
  TRY(t.mm().protect(start, end, prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
  return 0;
}

SysRet sys_mremap(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t old_addr = a[0];
  const uint64_t flags = a[3];
  const uint64_t new_addr = a[4];
  if ((flags & ~static_cast<uint64_t>(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) != 0) {
    return fail(EINVAL);
  }
  if ((flags & MREMAP_FIXED) != 0 && (flags & MREMAP_MAYMOVE) == 0) return fail(EINVAL);
  if ((flags & MREMAP_DONTUNMAP) != 0) return fail(EINVAL);  // see the table's note
  if (!page_aligned(old_addr)) return fail(EINVAL);
  const uint64_t old_len = page_up(a[1]);
  const uint64_t new_len = page_up(a[2]);
  if (new_len == 0 || (a[2] != 0 && new_len == 0)) return fail(EINVAL);
  if (old_len == 0) return fail(EINVAL);  // duplicating a shared mapping: not supported
  std::optional<uint64_t> fixed;
  if ((flags & MREMAP_FIXED) != 0) {
    if (!page_aligned(new_addr)) return fail(EINVAL);
    fixed = new_addr;
  }
  return t.mm().remap(old_addr, old_len, new_len, (flags & MREMAP_MAYMOVE) != 0, fixed);
}

SysRet sys_madvise(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t start = a[0];
  const int advice = static_cast<int>(a[2]);
  bool host = false;  // advice that changes memory contents must reach the host
  switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
      host = true;
      break;
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
      break;
    default:
      // DONTFORK, WIPEONFORK and the like change what fork copies: not supported yet.
      return fail(EINVAL);
  }
  if (!page_aligned(start)) return fail(EINVAL);
  const uint64_t len = page_up(a[1]);
  if (a[1] != 0 && len == 0) return fail(EINVAL);
  const uint64_t end = start + len;
  if (end < start) return fail(EINVAL);
  if (end == start) return 0;
  bool unmapped = !t.mm().vmas().covered(start, end);
  if (host) {
    for (const mm::Vma* v : t.mm().vmas().overlapping(start, end)) {
      const uint64_t s = std::max(start, v->start);
      const uint64_t e = std::min(end, v->end);
      TRY(t.mm().advise(s, e, advice));
    }
  }
  if (unmapped) return fail(ENOMEM);
  return 0;
}

}  // namespace ms::sys
