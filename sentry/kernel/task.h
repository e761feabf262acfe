// A guest thread: the sentry's state for it and the host thread that runs its code.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/fd_table.h"
#include "fs/fs_context.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/signal_state.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/platform/platform.h"

namespace ms::kernel {

class Kernel;
class ThreadGroup;

class Task {
 public:
  enum class State {
    kRunning,   // guest code runs on the host
    kSyscall,   // stopped in a syscall the sentry is serving
    kParked,    // stopped in a syscall, waiting on queues or a deadline
    kRunnable,  // woken: its syscall handler runs again soon
    kStopped,   // job control: its process is stopped (SIGSTOP, SIGTSTP, ...)
    kDead,      // gone; the kernel frees it from the event loop
  };

  Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
       std::unique_ptr<platform::Thread> thread);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  Kernel& kernel() const { return kernel_; }
  int tid() const { return tid_; }
  // execve from a non-leader thread: the thread takes over the process's id.
  void set_tid(int tid) { tid_ = tid; }
  int pid() const;
  ThreadGroup& thread_group() const { return *group_; }
  const std::shared_ptr<ThreadGroup>& thread_group_ptr() const { return group_; }
  platform::Thread& thread() const { return *thread_; }
  void set_thread(std::unique_ptr<platform::Thread> thread);

  mm::MemoryManager& mm() const { return *mm_; }
  const std::shared_ptr<mm::MemoryManager>& mm_ptr() const { return mm_; }
  void set_mm(std::shared_ptr<mm::MemoryManager> mm) { mm_ = std::move(mm); }
  fs::FdTable& fds() const { return *fds_; }
  // The open file behind fd, or EBADF.
  Result<std::shared_ptr<fs::FileDescription>> file(int fd) const;
  const std::shared_ptr<fs::FdTable>& fds_ptr() const { return fds_; }
  void set_fds(std::shared_ptr<fs::FdTable> fds) { fds_ = std::move(fds); }
  // Root, cwd and umask: shared by CLONE_FS, copied (FsContext::clone) by fork.
  fs::FsContext& fs() const { return *fs_; }
  const std::shared_ptr<fs::FsContext>& fs_ptr() const { return fs_; }
  void set_fs(std::shared_ptr<fs::FsContext> fs) { fs_ = std::move(fs); }
  SignalHandlers& signal_handlers() const { return *handlers_; }
  const std::shared_ptr<SignalHandlers>& signal_handlers_ptr() const { return handlers_; }
  void set_signal_handlers(std::shared_ptr<SignalHandlers> h) { handlers_ = std::move(h); }

  SigSet& signal_mask() { return signal_mask_; }
  // Sets the mask; SIGKILL and SIGSTOP are never blocked.
  void set_signal_mask(SigSet mask) { signal_mask_ = SigSet(mask.bits() & ~kUnblockable); }
  // Blocked now, or by the real mask that rt_sigtimedwait set aside while it waits.
  bool really_blocks(int sig) const {
    return signal_mask_.has(sig) || (sigwait_mask && sigwait_mask->has(sig));
  }
  SignalStack& alt_stack() { return alt_stack_; }
  bool on_alt_stack(uint64_t sp) const {
    return alt_stack_.size != 0 && sp - alt_stack_.sp < alt_stack_.size;
  }
  PendingSignals& pending() { return pending_; }
  // sigsuspend/pselect/ppoll: the mask to restore once a signal has been delivered.
  std::optional<SigSet> saved_mask;
  // rt_sigtimedwait: the mask to put back once the wait ends (the waited signals are
  // unblocked meanwhile, so that their arrival wakes the task).
  std::optional<SigSet> sigwait_mask;
  // PR_SET_PDEATHSIG: sent to this task when its parent process dies.
  int pdeath_signal = 0;
  uint64_t clear_child_tid = 0;
  uint64_t robust_list_head = 0;
  uint64_t robust_list_len = 0;
  std::string comm;  // the thread name (prctl PR_SET_NAME, /proc/PID/comm)
  // sched_setaffinity: the CPUs this thread may run on (bit per CPU); empty means all the
  // host offers.
  std::vector<uint64_t> cpu_affinity;

  State state() const { return state_; }
  void set_state(State s) { state_ = s; }

  // --- Blocking, for syscall handlers -----------------------------------------------
  // A handler that cannot finish registers what it waits for and returns park()'s error.
  // When woken (a queue fired, the deadline passed, or a signal arrived) the handler runs
  // again from the start with the same arguments, and re-checks its condition.
  void add_wait(WaitQueue& queue, uint32_t events);
  // The current syscall's deadline: set on the first run, kept across later runs.
  Duration deadline_after(Duration relative);
  void set_deadline(Duration absolute);
  std::optional<Duration> deadline() const { return deadline_; }
  // EPARKED normally; ERESTARTSYS if a signal is already pending (unless the wait is not
  // interruptible, like vfork's); ETIMEDOUT if the deadline has passed. Either way the waits
  // registered so far are dropped unless parked.
  std::unexpected<Errno> park(bool interruptible = true);
  // True when a signal the task does not block is pending (for it or its process).
  bool signal_pending() const;
  // Progress a handler keeps across reruns (e.g. bytes already written).
  uint64_t syscall_progress = 0;
  // This task's registration while it waits on a futex.
  FutexWaiter& futex_waiter() { return futex_waiter_; }

  // rt_sigreturn set every register: the syscall's result must not overwrite rax.
  bool regs_restored = false;

  // An object a handler keeps across reruns (a FIFO end waiting for its partner); dropped,
  // and so released, when the syscall ends.
  std::shared_ptr<void> syscall_state;

  // --- For the event loop ---------------------------------------------------------------
  // Makes a parked task runnable.
  void wake();
  // Drops waits and the deadline: the syscall is over.
  void end_syscall();
  // The sentry asked the running host thread to stop (PTRACE_INTERRUPT) and waits for it.
  bool interrupt_requested = false;
  // Stopped in the middle of a syscall that runs again once the process continues.
  bool restart_after_stop = false;
  // vfork: the parent sleeps on this queue until the child execs or exits.
  WaitQueue vfork_done;
  bool vfork_pending = false;

 private:
  class QueueWaiter;
  void drop_waits();

  Kernel& kernel_;
  int tid_;
  std::shared_ptr<ThreadGroup> group_;
  std::unique_ptr<platform::Thread> thread_;
  std::shared_ptr<mm::MemoryManager> mm_;
  std::shared_ptr<fs::FdTable> fds_;
  std::shared_ptr<fs::FsContext> fs_;
  std::shared_ptr<SignalHandlers> handlers_;
  SigSet signal_mask_;
  SignalStack alt_stack_;
  PendingSignals pending_;
  State state_ = State::kRunning;

  FutexWaiter futex_waiter_{*this};
  std::vector<std::unique_ptr<QueueWaiter>> waiters_;
  size_t waiters_used_ = 0;
  std::optional<Duration> deadline_;
  std::optional<uint64_t> deadline_timer_;
};

}  // namespace ms::kernel
