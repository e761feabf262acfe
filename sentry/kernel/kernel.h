// The kernel: every task and process, the clock and timers, and the event loop that serves
// guest syscalls. Single-threaded: one loop owns all sentry state. The methods are spread
// over files by concern: kernel.cc (the loop and syscall dispatch), process.cc (clone, exit,
// reaping), signals.cc (sending, delivery, job control), exec.cc (new images).
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
#include "sentry/kernel/exec.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/host_poller.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/platform/platform.h"
#include "sentry/syscalls/syscall_table.h"

namespace ms::trace {
class Tracer;
}

namespace ms::kernel {

// Where guest threads and the sentry run (see Platform::set_single_cpu).
enum class CpuPolicy {
  kAuto,    // one CPU while every guest process is single-threaded, all CPUs otherwise
  kSingle,  // always one CPU
  kSpread,  // always all CPUs
};

struct KernelOptions {
  // --strace output goes here (nullptr: off).
  std::FILE* strace_out = nullptr;
  bool stats = false;
  // Randomize addresses (stack, mmap base, PIE base, brk) like Linux's ASLR.
  bool randomize = true;
  CpuPolicy cpu_policy = CpuPolicy::kAuto;
};

// clone(2)/clone3(2) arguments after validation.
struct CloneArgs {
  uint64_t flags = 0;
  uint64_t stack = 0;  // 0: the child continues on the parent's stack pointer
  uint64_t parent_tid = 0;
  uint64_t child_tid = 0;
  uint64_t tls = 0;
  int exit_signal = SIGCHLD;
};

class Kernel {
 public:
  Kernel(std::unique_ptr<platform::Platform> platform, std::unique_ptr<Clock> clock,
         const KernelOptions& options);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Creates the first process (pid 1) from a loaded image, not yet running.
  Task& create_init_task(NewImage image);
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
  // A scratch buffer for copies between guest memory and files, valid until the next call.
  std::span<std::byte> scratch(size_t len);

  Task* find_task(int tid);
  // Every task, by tid (for /proc).
  const std::map<int, std::unique_ptr<Task>>& tasks() const { return tasks_; }
  // The pid most recently handed out.
  int last_pid() const { return next_pid_ - 1; }
  // What /proc says about processes.
  const fs::ProcessInfoProvider& proc_info() const { return *proc_info_; }
  ThreadGroup* find_process(int tgid);
  // Every process, for kill(-1) and process-group operations.
  std::vector<ThreadGroup*> processes();
  // Puts a woken task on the run queue.
  void make_runnable(Task& t);
  // The task whose syscall is being served (Linux's `current`), nullptr between syscalls:
  // for files whose behaviour depends on who asks (a signalfd reads the caller's signals).
  Task* current_task() const { return current_; }

  // --- Processes (process.cc) -----------------------------------------------------------
  // Creates a task as clone(2) does; returns the child's tid.
  Result<int> clone_task(Task& parent, const CloneArgs& args);
  // Replaces t's image with a loaded one (the rest of execve after loading succeeded).
  void install_image(Task& t, NewImage image, const ExecRequest& request);
  // Ends one thread (exit(2)).
  void exit_task(Task& t, int exit_code);
  // Ends every thread of a process with the given wait status (exit_group(2), fatal
  // signals).
  void exit_thread_group(ThreadGroup& group, int wait_status);
  // Frees a zombie once its parent has collected it (or did not want to).
  void release(ThreadGroup& zombie);

  // --- Signals (signals.cc) -------------------------------------------------------------
  // A signal for the whole process (kill), or for one thread (tgkill, faults).
  void send_signal(ThreadGroup& group, const siginfo_t& info);
  void send_signal(Task& t, const siginfo_t& info);
  // A synchronous fault the guest raised: delivered even if blocked or ignored (then fatal).
  void force_signal(Task& t, const siginfo_t& info);
  // Takes the next signal among `allowed` for t: its own first, then its process's
  // (dequeue_signal). A POSIX timer's signal carries the overruns counted while it waited.
  std::optional<siginfo_t> dequeue_signal(Task& t, SigSet allowed);
  // Runs handlers or default actions for t's deliverable signals before it returns to the
  // guest. False when t must not run guest code now (it died or its process stopped).
  bool deliver_signals(Task& t);
  // The process group the terminal sends Ctrl-C to.
  int foreground_pgid() const { return foreground_pgid_; }
  void set_foreground_pgid(int pgid) { foreground_pgid_ = pgid; }
  // The session whose controlling terminal is the host terminal (init's, at first).
  int tty_session() const { return tty_session_; }
  void set_tty_session(int sid) { tty_session_ = sid; }
  // Signals the host sent minisentry itself (Ctrl-C, terminal resize), to forward.
  void on_host_signal(int sig);

  // Resumes t's guest code unless its process is stopped.
  void resume(Task& t);

  FutexTable& futexes() { return futexes_; }

 private:
  void handle_event(const platform::Event& ev);
  void handle_fault(Task& t, const siginfo_t& info);
  void handle_interrupt(Task& t);
  // Runs (or reruns) the handler of t's current syscall and finishes it unless parked.
  void run_syscall(Task& t);
  void finish_syscall(Task& t, sys::SysRet result);
  void refuse_foreign_syscall(Task& t);
  void reap(Task& t);
  void wait_for_events();
  int allocate_pid();
  void register_task(std::unique_ptr<Task> task);
  // Applies the CPU policy after threads come or go.
  void update_cpu_placement();

  // process.cc
  // What a thread leaves behind: its clear_child_tid word is zeroed and woken, its robust
  // futexes released.
  void release_thread_resources(Task& t);
  void notify_parent_of_exit(ThreadGroup& group);
  void reparent_children(ThreadGroup& group);
  void finish_vfork(Task& child);
  // signals.cc
  void notify_signal(Task& t);
  Task* pick_signal_target(ThreadGroup& group, int sig);
  bool ignored(Task& t, int sig);
  void stop_group(ThreadGroup& group, int sig);
  void continue_group(ThreadGroup& group);
  void notify_parent_of_stop(ThreadGroup& group, int why);
  // Applies a restart code to t's registers given the handler about to run (if any).
  bool setup_frame(Task& t, int sig, const siginfo_t& info);

  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<Clock> clock_;
  KernelOptions options_;
  std::unique_ptr<trace::Tracer> tracer_;
  TimerQueue timers_;
  HostPoller poller_;
  std::unique_ptr<fs::Vfs> vfs_;
  std::unique_ptr<fs::ProcessInfoProvider> proc_info_;
  FutexTable futexes_;
  std::map<int, std::unique_ptr<Task>> tasks_;  // by tid
  std::unordered_map<int, Task*> by_host_tid_;
  std::map<int, std::shared_ptr<ThreadGroup>> groups_;  // by tgid, zombies included
  std::deque<Task*> run_queue_;
  std::vector<Task*> dead_;
  std::unordered_set<uint64_t> enosys_logged_;
  std::vector<std::byte> scratch_;
  Task* current_ = nullptr;
  int next_pid_ = 1;
  int foreground_pgid_ = 1;
  int tty_session_ = 1;
  bool init_exited_ = false;
  int init_status_ = 0;
};

// siginfo for a signal sent by a process (kill, tgkill): SI_USER or SI_TKILL.
siginfo_t user_siginfo(int sig, int code, int sender_pid, uid_t sender_uid);

}  // namespace ms::kernel
