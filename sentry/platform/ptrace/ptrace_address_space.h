// A guest address space held by one host process (or several sharing an mm via CLONE_VM).
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/unique_fd.h"
#include "sentry/platform/platform.h"

namespace ms::platform::ptrace {

class PtraceThread;

// The sentry's end of the socket every stub holds at kStubControlFd: host fds for file
// mappings travel over it with SCM_RIGHTS. Each message carries a sequence number, so that a
// stub never maps a file meant for another (a guest that corrupts its scratch page can make
// its own receive fail and leave a message behind).
struct FdChannel {
  UniqueFd socket;
  uint64_t next_sequence = 1;
};

class PtraceAddressSpace final : public AddressSpace {
 public:
  PtraceAddressSpace(const Layout& layout, FdChannel& channel)
      : layout_(layout), channel_(channel) {}

  Result<void> map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
                   uint64_t offset) override;
  Result<void> unmap(uint64_t addr, uint64_t len) override;
  Result<void> protect(uint64_t addr, uint64_t len, int prot) override;
  Result<void> remap(uint64_t old_addr, uint64_t old_len, uint64_t new_addr,
                     uint64_t new_len) override;
  Result<void> advise(uint64_t addr, uint64_t len, int advice) override;
  Result<size_t> read(uint64_t addr, std::span<std::byte> dst) override;
  Result<size_t> write(uint64_t addr, std::span<const std::byte> src) override;
  Result<void> write_force(uint64_t addr, std::span<const std::byte> src) override;
  Result<uint32_t> compare_exchange(uint64_t addr, uint32_t expected, uint32_t desired) override;

  // The stub's scratch page, outside the guest's range, for injected syscalls' arguments.
  Result<void> write_scratch(uint64_t offset, std::span<const std::byte> src);
  Result<void> read_scratch(uint64_t offset, std::span<std::byte> dst);
  uint64_t scratch_address(uint64_t offset) const;

  // Threads register themselves so that injections can use any stopped one.
  void attach(PtraceThread* thread);
  void detach(PtraceThread* thread);

 private:
  // Runs a host syscall in this address space through one of its stopped threads.
  Result<uint64_t> inject(uint64_t nr, uint64_t a0, uint64_t a1 = 0, uint64_t a2 = 0,
                          uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0);
  // Guest addresses must stay below the stub; an attempt to touch it is refused.
  bool in_guest_range(uint64_t addr, uint64_t len) const;
  pid_t any_tid() const;
  // Puts a duplicate of the sentry's host_fd into this space's host process; returns its
  // number there.
  Result<int> transfer_fd(PtraceThread& via, int host_fd);

  Layout layout_;
  FdChannel& channel_;
  std::vector<PtraceThread*> threads_;
  UniqueFd mem_fd_;  // /proc/PID/mem, opened on first write_force
  pid_t mem_fd_tid_ = -1;
};

}  // namespace ms::platform::ptrace
