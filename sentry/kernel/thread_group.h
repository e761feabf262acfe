// A process: the threads that share a pid, dispositions, credentials, resource limits, its
// place in the process tree, and job-control state.
#pragma once

#include <sys/resource.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sentry/kernel/clock.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/posix_timers.h"
#include "sentry/kernel/signal_state.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::kernel {

class Task;

// CPU time and memory a process (or its reaped children) used.
struct Usage {
  Duration user{};
  Duration system{};
  uint64_t max_rss_kb = 0;

  Usage& operator+=(const Usage& o) {
    user += o.user;
    system += o.system;
    max_rss_kb = std::max(max_rss_kb, o.max_rss_kb);
    return *this;
  }
};

class ThreadGroup {
 public:
  explicit ThreadGroup(int tgid) : tgid_(tgid), pgid_(tgid), sid_(tgid) {}

  int tgid() const { return tgid_; }
  std::vector<Task*>& tasks() { return tasks_; }
  Task* leader() const { return tasks_.empty() ? nullptr : tasks_.front(); }
  size_t live_tasks() const;

  Credentials& creds() { return creds_; }
  std::array<rlimit, RLIM_NLIMITS>& rlimits() { return rlimits_; }
  const std::string& exe_path() const { return exe_path_; }
  void set_exe_path(std::string path) { exe_path_ = std::move(path); }

  // --- The process tree -------------------------------------------------------------
  ThreadGroup* parent() const { return parent_; }
  void set_parent(ThreadGroup* parent) { parent_ = parent; }
  std::vector<ThreadGroup*>& children() { return children_; }
  int pgid() const { return pgid_; }
  void set_pgid(int pgid) { pgid_ = pgid; }
  int sid() const { return sid_; }
  void set_sid(int sid) { sid_ = sid; }
  // The signal the parent gets when this process ends (SIGCHLD, or clone's choice; 0: none).
  int exit_signal = SIGCHLD;
  bool child_subreaper = false;
  bool dumpable = true;       // PR_SET_DUMPABLE
  bool no_new_privs = false;  // PR_SET_NO_NEW_PRIVS
  // Set by execve: a parent may no longer setpgid() this child.
  bool did_exec = false;
  // Parents wait here (wait4, waitid) for their children to change state.
  WaitQueue& child_events() { return child_events_; }

  // --- Ending -------------------------------------------------------------------------
  // Set once the process starts dying (exit_group, fatal signal).
  bool exiting() const { return exiting_; }
  // Every thread is gone; the process waits for its parent to reap it.
  bool zombie() const { return zombie_; }
  void set_zombie() { zombie_ = true; }
  // The wait status the process ends with (as waitpid reports it).
  int exit_status() const { return exit_status_; }
  void begin_exit(int wait_status) {
    if (exiting_) return;
    exiting_ = true;
    exit_status_ = wait_status;
  }
  Usage& usage() { return usage_; }
  Usage& children_usage() { return children_usage_; }

  // --- Signals -------------------------------------------------------------------------
  PendingSignals& shared_pending() { return shared_pending_; }
  // Told (POLLIN) whenever a signal is queued for the process or one of its threads: what a
  // signalfd waits on.
  WaitQueue& signal_events() { return signal_events_; }
  // Job control: the process is stopped by `stop_signal`; parents see it once via WUNTRACED.
  bool stopped = false;
  int stop_signal = 0;
  bool stop_reported = true;
  bool continue_reported = true;
  // ITIMER_REAL (alarm, setitimer): the pending timer and its reload interval.
  std::optional<uint64_t> real_timer;
  Duration real_timer_deadline{};
  Duration real_timer_interval{};
  PosixTimers& posix_timers() { return posix_timers_; }
  // setpriority/getpriority: the nice value, -20..19.
  int nice = 0;

 private:
  int tgid_;
  std::vector<Task*> tasks_;
  Credentials creds_;
  std::array<rlimit, RLIM_NLIMITS> rlimits_{};
  std::string exe_path_;
  ThreadGroup* parent_ = nullptr;
  std::vector<ThreadGroup*> children_;
  int pgid_;
  int sid_;
  WaitQueue child_events_;
  bool exiting_ = false;
  bool zombie_ = false;
  int exit_status_ = 0;
  Usage usage_;
  Usage children_usage_;
  PendingSignals shared_pending_;
  WaitQueue signal_events_;
  PosixTimers posix_timers_;
};

}  // namespace ms::kernel
