// One traced host thread running one guest thread.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>

#include "sentry/platform/platform.h"

namespace ms::platform::ptrace {

class PtracePlatform;
class PtraceAddressSpace;

class PtraceThread final : public Thread {
 public:
  PtraceThread(PtracePlatform& platform, pid_t tid, std::shared_ptr<AddressSpace> as);
  ~PtraceThread() override;
  PtraceThread(const PtraceThread&) = delete;
  PtraceThread& operator=(const PtraceThread&) = delete;

  int host_tid() const override { return tid_; }
  const std::shared_ptr<AddressSpace>& address_space() const override { return as_; }
  const SyscallEntry& syscall() const override { return syscall_; }
  Result<Regs*> regs() override;
  void set_regs_dirty() override { regs_dirty_ = true; }
  void set_syscall_return(uint64_t value) override;
  Result<size_t> get_fpstate(std::span<std::byte> dst) override;
  Result<void> set_fpstate(std::span<const std::byte> src) override;
  Result<void> resume() override;
  void interrupt() override;
  void exit_thread() override;
  void kill_process() override;
  HostUsage usage(bool whole_process) const override;
  unsigned last_cpu() const override;
  Result<itimerval> cpu_timer(int which, const itimerval* value) override;

  bool stopped() const { return stopped_; }
  // Called by the platform when it reports a stop of this thread.
  void on_stop(const Stop& stop, const SyscallEntry* entry);

  // Runs one host syscall in this thread's process from the stub, then returns to the stop
  // the thread was in. If the syscall creates a host task, its tid is stored in *new_tid.
  Result<uint64_t> inject(uint64_t nr, const std::array<uint64_t, 6>& args,
                          pid_t* new_tid = nullptr);
  // Runs the stub's cmpxchg in this stopped thread: see AddressSpace::compare_exchange.
  Result<uint32_t> compare_exchange(uint64_t addr, uint32_t expected, uint32_t desired);

 private:
  // Runs stub code with `call` until its int3 and returns the registers there; the guest's
  // registers are restored when the thread resumes. A fault in the stub code is EFAULT.
  Result<Regs> run_stub(const Regs& call, pid_t* new_tid);
  // Writes back changed registers before the thread runs again.
  Result<void> flush_regs();

  PtracePlatform& platform_;
  pid_t tid_;
  std::shared_ptr<AddressSpace> as_;
  bool stopped_ = true;
  bool exiting_ = false;
  SyscallEntry syscall_;
  Regs regs_{};
  bool regs_valid_ = false;
  bool regs_dirty_ = false;
  bool rax_pending_ = false;
  uint64_t rax_ = 0;
};

}  // namespace ms::platform::ptrace
