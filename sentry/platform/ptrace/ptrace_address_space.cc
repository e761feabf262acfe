#include "sentry/platform/ptrace/ptrace_address_space.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>
#include <string>

#include "sentry/platform/ptrace/ptrace_thread.h"

namespace ms::platform::ptrace {

void PtraceAddressSpace::attach(PtraceThread* thread) { threads_.push_back(thread); }

void PtraceAddressSpace::detach(PtraceThread* thread) {
  std::erase(threads_, thread);
  if (thread->host_tid() == mem_fd_tid_) mem_fd_.reset();
}

pid_t PtraceAddressSpace::any_tid() const {
  return threads_.empty() ? -1 : threads_.front()->host_tid();
}

bool PtraceAddressSpace::in_guest_range(uint64_t addr, uint64_t len) const {
  return addr < layout_.guest_top && len <= layout_.guest_top - addr;
}

Result<uint64_t> PtraceAddressSpace::inject(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                            uint64_t a3, uint64_t a4, uint64_t a5) {
  auto it = std::find_if(threads_.begin(), threads_.end(),
                         [](PtraceThread* t) { return t->stopped(); });
  if (it == threads_.end()) return fail(EAGAIN);
  return (*it)->inject(nr, {a0, a1, a2, a3, a4, a5});
}

Result<void> PtraceAddressSpace::map(uint64_t addr, uint64_t len, int prot, int flags,
                                     int host_fd, uint64_t offset) {
  if (!in_guest_range(addr, len)) return fail(ENOMEM);
  const int fixed = (flags & ~(MAP_FIXED_NOREPLACE)) | MAP_FIXED;
  const uint64_t got = TRY(inject(SYS_mmap, addr, len, static_cast<uint64_t>(prot),
                                  static_cast<uint64_t>(fixed), static_cast<uint64_t>(host_fd),
                                  offset));
  if (got != addr) return fail(ENOMEM);
  return {};
}

Result<void> PtraceAddressSpace::unmap(uint64_t addr, uint64_t len) {
  if (!in_guest_range(addr, len)) return fail(EINVAL);
  TRY(inject(SYS_munmap, addr, len));
  return {};
}

Result<void> PtraceAddressSpace::protect(uint64_t addr, uint64_t len, int prot) {
  if (!in_guest_range(addr, len)) return fail(ENOMEM);
  TRY(inject(SYS_mprotect, addr, len, static_cast<uint64_t>(prot)));
  return {};
}

Result<void> PtraceAddressSpace::remap(uint64_t old_addr, uint64_t old_len, uint64_t new_addr,
                                       uint64_t new_len) {
  if (!in_guest_range(old_addr, old_len) || !in_guest_range(new_addr, new_len)) {
    return fail(EINVAL);
  }
  // Growing in place must not use MREMAP_FIXED: the host refuses overlapping ranges.
  const uint64_t got =
      old_addr == new_addr
          ? TRY(inject(SYS_mremap, old_addr, old_len, new_len, 0))
          : TRY(inject(SYS_mremap, old_addr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED,
                       new_addr));
  if (got != new_addr) return fail(ENOMEM);
  return {};
}

Result<void> PtraceAddressSpace::advise(uint64_t addr, uint64_t len, int advice) {
  if (!in_guest_range(addr, len)) return fail(ENOMEM);
  TRY(inject(SYS_madvise, addr, len, static_cast<uint64_t>(advice)));
  return {};
}

Result<size_t> PtraceAddressSpace::read(uint64_t addr, std::span<std::byte> dst) {
  if (dst.empty()) return 0;
  if (!in_guest_range(addr, 1)) return fail(EFAULT);
  const size_t len = std::min<uint64_t>(dst.size(), layout_.guest_top - addr);
  iovec local{dst.data(), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  const ssize_t n = process_vm_readv(any_tid(), &local, 1, &remote, 1, 0);
  if (n <= 0) return fail(EFAULT);
  return static_cast<size_t>(n);
}

Result<size_t> PtraceAddressSpace::write(uint64_t addr, std::span<const std::byte> src) {
  if (src.empty()) return 0;
  if (!in_guest_range(addr, 1)) return fail(EFAULT);
  const size_t len = std::min<uint64_t>(src.size(), layout_.guest_top - addr);
  iovec local{const_cast<std::byte*>(src.data()), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  const ssize_t n = process_vm_writev(any_tid(), &local, 1, &remote, 1, 0);
  if (n <= 0) return fail(EFAULT);
  return static_cast<size_t>(n);
}

Result<void> PtraceAddressSpace::write_force(uint64_t addr, std::span<const std::byte> src) {
  if (!in_guest_range(addr, src.size())) return fail(EFAULT);
  if (!mem_fd_) {
    const std::string path = "/proc/" + std::to_string(any_tid()) + "/mem";
    mem_fd_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!mem_fd_) return fail(errno);
    mem_fd_tid_ = any_tid();
  }
  size_t done = 0;
  while (done < src.size()) {
    const ssize_t n = ::pwrite(mem_fd_.get(), src.data() + done, src.size() - done,
                               static_cast<off_t>(addr + done));
    if (n <= 0) return fail(EFAULT);
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace ms::platform::ptrace
