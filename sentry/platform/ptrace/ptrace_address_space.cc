#include "sentry/platform/ptrace/ptrace_address_space.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "sentry/platform/ptrace/ptrace_thread.h"
#include "sentry/platform/ptrace/stub.h"

namespace ms::platform::ptrace {
namespace {

// Where recvmsg's arguments go in the scratch page.
struct ScratchLayout {
  static constexpr uint64_t kMsghdr = 0;
  static constexpr uint64_t kIovec = 64;
  static constexpr uint64_t kPayload = 96;
  static constexpr uint64_t kControl = 128;
};
constexpr size_t kControlLen = CMSG_SPACE(sizeof(int));
constexpr int kMaxStaleMessages = 8;

}  // namespace

void PtraceAddressSpace::attach(PtraceThread* thread) {
  threads_.push_back(thread);
}

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
  auto it =
      std::find_if(threads_.begin(), threads_.end(), [](PtraceThread* t) { return t->stopped(); });
  if (it == threads_.end()) return fail(EAGAIN);
  return (*it)->inject(nr, {a0, a1, a2, a3, a4, a5});
}

Result<uint32_t> PtraceAddressSpace::compare_exchange(uint64_t addr, uint32_t expected,
                                                      uint32_t desired) {
  if (addr % 4 != 0) return fail(EINVAL);
  if (!in_guest_range(addr, 4)) return fail(EFAULT);
  auto it =
      std::find_if(threads_.begin(), threads_.end(), [](PtraceThread* t) { return t->stopped(); });
  if (it == threads_.end()) return fail(EAGAIN);
  return (*it)->compare_exchange(addr, expected, desired);
}

uint64_t PtraceAddressSpace::scratch_address(uint64_t offset) const {
  return stub_scratch(layout_) + offset;
}

Result<void> PtraceAddressSpace::write_scratch(uint64_t offset, std::span<const std::byte> src) {
  if (offset + src.size() > 4096) return fail(EINVAL);
  iovec local{const_cast<std::byte*>(src.data()), src.size()};
  iovec remote{reinterpret_cast<void*>(scratch_address(offset)), src.size()};
  if (process_vm_writev(any_tid(), &local, 1, &remote, 1, 0) != static_cast<ssize_t>(src.size())) {
    return fail(EFAULT);
  }
  return {};
}

Result<void> PtraceAddressSpace::read_scratch(uint64_t offset, std::span<std::byte> dst) {
  if (offset + dst.size() > 4096) return fail(EINVAL);
  iovec local{dst.data(), dst.size()};
  iovec remote{reinterpret_cast<void*>(scratch_address(offset)), dst.size()};
  if (process_vm_readv(any_tid(), &local, 1, &remote, 1, 0) != static_cast<ssize_t>(dst.size())) {
    return fail(EFAULT);
  }
  return {};
}

Result<int> PtraceAddressSpace::transfer_fd(PtraceThread& via, int host_fd) {
  const uint64_t sequence = channel_.next_sequence++;
  {
    iovec iov{const_cast<uint64_t*>(&sequence), sizeof(sequence)};
    alignas(cmsghdr) char control[kControlLen] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &host_fd, sizeof(int));
    if (::sendmsg(channel_.socket.get(), &msg, MSG_NOSIGNAL) < 0) return fail(errno);
  }
  const uint64_t scratch = scratch_address(0);
  struct {
    msghdr msg;
    char pad[ScratchLayout::kIovec - sizeof(msghdr)];
    iovec iov;
  } args{};
  args.msg.msg_iov = reinterpret_cast<iovec*>(scratch + ScratchLayout::kIovec);
  args.msg.msg_iovlen = 1;
  args.msg.msg_control = reinterpret_cast<void*>(scratch + ScratchLayout::kControl);
  args.msg.msg_controllen = kControlLen;
  args.iov = iovec{reinterpret_cast<void*>(scratch + ScratchLayout::kPayload), sizeof(uint64_t)};
  for (int attempt = 0; attempt < kMaxStaleMessages; ++attempt) {
    TRY(write_scratch(0, std::as_bytes(std::span(&args, 1))));
    TRY(via.inject(SYS_recvmsg,
                   {kStubControlFd, scratch, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, 0, 0, 0}));
    struct {
      uint64_t payload;
      char pad[ScratchLayout::kControl - ScratchLayout::kPayload - sizeof(uint64_t)];
      alignas(cmsghdr) char control[kControlLen];
    } got{};
    TRY(read_scratch(ScratchLayout::kPayload, std::as_writable_bytes(std::span(&got, 1))));
    const auto* c = reinterpret_cast<const cmsghdr*>(got.control);
    int fd = -1;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
    if (fd < 0) return fail(EIO);
    if (got.payload == sequence) return fd;
    // A message another receive left behind: drop its fd and take the next one.
    (void)via.inject(SYS_close, {static_cast<uint64_t>(fd), 0, 0, 0, 0, 0});
  }
  return fail(EIO);
}

Result<void> PtraceAddressSpace::map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
                                     uint64_t offset) {
  if (!in_guest_range(addr, len)) return fail(ENOMEM);
  const int fixed = (flags & ~(MAP_FIXED_NOREPLACE)) | MAP_FIXED;
  if (host_fd < 0) {
    const uint64_t got = TRY(inject(SYS_mmap, addr, len, static_cast<uint64_t>(prot),
                                    static_cast<uint64_t>(fixed), ~0ULL, offset));
    if (got != addr) return fail(ENOMEM);
    return {};
  }
  auto it =
      std::find_if(threads_.begin(), threads_.end(), [](PtraceThread* t) { return t->stopped(); });
  if (it == threads_.end()) return fail(EAGAIN);
  PtraceThread& via = **it;
  const int stub_fd = TRY(transfer_fd(via, host_fd));
  auto got =
      via.inject(SYS_mmap, {addr, len, static_cast<uint64_t>(prot), static_cast<uint64_t>(fixed),
                            static_cast<uint64_t>(stub_fd), offset});
  (void)via.inject(SYS_close, {static_cast<uint64_t>(stub_fd), 0, 0, 0, 0, 0});
  if (!got) return std::unexpected(got.error());
  if (*got != addr) return fail(ENOMEM);
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
  const uint64_t got = old_addr == new_addr ? TRY(inject(SYS_mremap, old_addr, old_len, new_len, 0))
                                            : TRY(inject(SYS_mremap, old_addr, old_len, new_len,
                                                         MREMAP_MAYMOVE | MREMAP_FIXED, new_addr));
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
