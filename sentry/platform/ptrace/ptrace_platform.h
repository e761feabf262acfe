// The ptrace platform: guest threads are host threads traced with PTRACE_SYSEMU, so no guest
// syscall ever runs on the host; every new address space is forked from a clean zygote stub.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <deque>
#include <memory>
#include <unordered_map>

#include "base/unique_fd.h"
#include "sentry/platform/platform.h"
#include "sentry/platform/ptrace/ptrace_address_space.h"

namespace ms::platform::ptrace {

class PtraceThread;

class PtracePlatform final : public Platform {
 public:
  // Installs the stub and starts the zygote.
  static Result<std::unique_ptr<PtracePlatform>> create();
  ~PtracePlatform() override;

  const Layout& layout() const override { return layout_; }
  Result<std::unique_ptr<Thread>> new_process() override;
  Result<std::unique_ptr<Thread>> fork(Thread& parent) override;
  Result<std::unique_ptr<Thread>> clone_vm(Thread& parent, bool thread_group) override;
  void set_single_cpu(bool single) override;
  std::optional<Event> poll() override;
  std::optional<Event> wait() override;
  int notify_fd() const override { return sigchld_fd_.get(); }
  void clear_notify() override;

  // Waits for the next stop of one thread, for injections. Stops that belong to normal flow
  // are never seen here: the thread was stopped and only the injection resumed it.
  Result<int> wait_for(pid_t tid);
  // A stop of tid that arrived while waiting for something else, reported later by poll().
  void defer(const Event& event) { deferred_.push_back(event); }
  uint64_t syscall_site() const { return syscall_site_; }
  uint64_t cmpxchg_site() const { return cmpxchg_site_; }
  void register_thread(PtraceThread* thread);
  void unregister_thread(PtraceThread* thread);

 private:
  PtracePlatform() = default;
  Result<void> start_zygote();
  // Creates a host task by injecting clone(flags) into parent, and waits for its first stop.
  Result<pid_t> inject_clone(PtraceThread& parent, uint64_t flags);
  // Turns a wait status into an event (fetching syscall or signal details).
  std::optional<Event> decode(pid_t tid, int status);

  Layout layout_{};
  uint64_t syscall_site_ = 0;
  uint64_t cmpxchg_site_ = 0;
  UniqueFd sigchld_fd_;
  FdChannel channel_;
  UniqueFd stub_channel_end_;  // the stubs' end, handed to the zygote
  std::unique_ptr<PtraceThread> zygote_;
  std::deque<Event> deferred_;
  std::unordered_map<pid_t, PtraceThread*> threads_;
  bool single_cpu_ = false;
  int home_cpu_ = 0;
  cpu_set_t original_cpus_{};  // what minisentry was allowed when it started
};

}  // namespace ms::platform::ptrace
