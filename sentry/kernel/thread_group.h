// A process: the threads that share a pid, dispositions, credentials and resource limits.
#pragma once

#include <sys/resource.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sentry/kernel/credentials.h"
#include "sentry/kernel/signal_state.h"

namespace ms::kernel {

class Task;

class ThreadGroup {
 public:
  explicit ThreadGroup(int tgid) : tgid_(tgid) {}

  int tgid() const { return tgid_; }
  std::vector<Task*>& tasks() { return tasks_; }
  Task* leader() const { return tasks_.empty() ? nullptr : tasks_.front(); }

  Credentials& creds() { return creds_; }
  std::array<rlimit, RLIM_NLIMITS>& rlimits() { return rlimits_; }
  const std::string& exe_path() const { return exe_path_; }
  void set_exe_path(std::string path) { exe_path_ = std::move(path); }

  // Set once the process starts dying (exit_group, fatal signal).
  bool exiting() const { return exiting_; }
  // The wait status the process ends with (as waitpid reports it).
  int exit_status() const { return exit_status_; }
  void begin_exit(int wait_status) {
    if (exiting_) return;
    exiting_ = true;
    exit_status_ = wait_status;
  }

  int parent_tgid() const { return parent_tgid_; }
  void set_parent_tgid(int tgid) { parent_tgid_ = tgid; }

 private:
  int tgid_;
  std::vector<Task*> tasks_;
  Credentials creds_;
  std::array<rlimit, RLIM_NLIMITS> rlimits_{};
  std::string exe_path_;
  bool exiting_ = false;
  int exit_status_ = 0;
  int parent_tgid_ = 0;
};

}  // namespace ms::kernel
