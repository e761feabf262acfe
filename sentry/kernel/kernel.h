// The kernel: every task and process, the clock and timers, and the event loop that serves
// guest syscalls. Single-threaded: one loop owns all sentry state.
#pragma once

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fs/procfs/provider.h"
#include "fs/vfs.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/host_poller.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/platform/platform.h"
#include "sentry/syscalls/syscall_table.h"

namespace ms::trace {
class Tracer;
}

namespace ms::kernel {

struct KernelOptions {
  // --strace output goes here (nullptr: off).
  std::FILE* strace_out = nullptr;
  bool stats = false;
  // Randomize addresses (stack, mmap base, PIE base, brk) like Linux's ASLR.
  bool randomize = true;
};

class Kernel {
 public:
  Kernel(std::unique_ptr<platform::Platform> platform, std::unique_ptr<Clock> clock,
         const KernelOptions& options);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Creates the first process (pid 1), not yet running.
  Task& create_init_task(std::unique_ptr<platform::Thread> thread);
  // Serves the guest until pid 1 has exited; returns minisentry's exit status (the guest's
  // exit code, or 128 + the signal that killed it).
  int run();

  platform::Platform& platform() { return *platform_; }
  Clock& clock() { return *clock_; }
  TimerQueue& timers() { return timers_; }
  HostPoller& poller() { return poller_; }
  // The sandbox's filesystem: mount namespace, devices, namei.
  fs::Vfs& vfs() { return *vfs_; }
  const KernelOptions& options() const { return options_; }
  trace::Tracer* tracer() { return tracer_.get(); }
  // Random bytes for AT_RANDOM, address randomization and getrandom.
  void random_bytes(std::span<std::byte> out);
  uint64_t random_u64();

  Task* find_task(int tid);
  // Every task, by tid (for /proc).
  const std::map<int, std::unique_ptr<Task>>& tasks() const { return tasks_; }
  // The pid most recently handed out.
  int last_pid() const { return next_pid_ - 1; }
  // What /proc says about processes.
  const fs::ProcessInfoProvider& proc_info() const { return *proc_info_; }
  // Puts a woken task on the run queue.
  void make_runnable(Task& t);

  // Ends one thread (exit(2)).
  void exit_task(Task& t, int exit_code);
  // Ends every thread of t's process with the given wait status (exit_group(2), fatal
  // signals).
  void exit_thread_group(ThreadGroup& group, int wait_status);

  // A scratch buffer for copies between guest memory and files, valid until the next call.
  std::span<std::byte> scratch(size_t len);

 private:
  void handle_event(const platform::Event& ev);
  void handle_fault(Task& t, const siginfo_t& info);
  // Runs (or reruns) the handler of t's current syscall and finishes it unless parked.
  void run_syscall(Task& t);
  void finish_syscall(Task& t, sys::SysRet result);
  void refuse_foreign_syscall(Task& t);
  void reap(Task& t);
  void wait_for_events();
  int allocate_pid();

  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<Clock> clock_;
  KernelOptions options_;
  std::unique_ptr<trace::Tracer> tracer_;
  TimerQueue timers_;
  HostPoller poller_;
  std::unique_ptr<fs::Vfs> vfs_;
  std::unique_ptr<fs::ProcessInfoProvider> proc_info_;
  std::map<int, std::unique_ptr<Task>> tasks_;  // by tid
  std::unordered_map<int, Task*> by_host_tid_;
  std::unordered_map<int, std::shared_ptr<ThreadGroup>> groups_;  // by tgid
  std::deque<Task*> run_queue_;
  std::vector<Task*> dead_;
  std::unordered_set<uint64_t> enosys_logged_;
  std::vector<std::byte> scratch_;
  int next_pid_ = 1;
  bool init_exited_ = false;
  int init_status_ = 0;
};

}  // namespace ms::kernel
