// signalfd(2): a file that reads pending signals. Like Linux's, it belongs to no process:
// every operation acts on the calling task (Kernel::current_task()), so a signalfd
// inherited across fork reads the child's signals. Reading dequeues signals in the mask from
// the caller's own pending set first, then from its process's; it is readable while one is
// pending, and waiters wait on the caller's process signal queue (notified whenever a signal
// is queued to the process or one of its threads).
#pragma once

#include <sys/signalfd.h>

#include "fs/file_description.h"
#include "sentry/kernel/signal_state.h"

namespace ms::kernel {

class Kernel;
class Task;

class SignalFd final : public fs::FileDescription {
 public:
  // flags: O_NONBLOCK (SFD_NONBLOCK) is kept. SIGKILL and SIGSTOP are never in the mask.
  SignalFd(Kernel& kernel, SigSet mask, int flags);

  SigSet mask() const { return mask_; }
  // signalfd on an existing descriptor: a new mask, and waiters look again.
  void set_mask(SigSet mask);

  // One struct signalfd_siginfo per signal, as many as fit and are pending (EINVAL when
  // not even one fits, EAGAIN when none is pending).
  Result<size_t> read(std::span<std::byte> dst) override;
  Result<fs::Stat> stat() override;
  // noop_llseek: the position stays 0 and lseek reports it.
  Result<uint64_t> seek(int64_t /*offset*/, int /*whence*/) override { return 0; }
  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override;
  bool pollable() override { return true; }
  std::string describe() const override { return "anon_inode:[signalfd]"; }

 private:
  Kernel& kernel_;
  SigSet mask_;
  // What wait_queue() gives outside any syscall (nobody to read for): never notified.
  WaitQueue idle_queue_;
};

// The signalfd_siginfo Linux fills for a dequeued signal (signalfd_copyinfo()): which
// fields are meaningful depends on the signal and its si_code.
::signalfd_siginfo to_signalfd_siginfo(const siginfo_t& info);

}  // namespace ms::kernel
