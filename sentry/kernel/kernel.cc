#include "sentry/kernel/kernel.h"

#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/wait.h>

#include <cstring>

#include "base/log.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/trace/crash_report.h"
#include "sentry/trace/tracer.h"

namespace ms::kernel {
namespace {

// Signals whose default action dumps core: the wait status says so (WCOREDUMP).
bool dumps_core(int sig) {
  switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
      return true;
    default:
      return false;
  }
}

int killed_by(int sig) {
  return sig | (dumps_core(sig) ? 0x80 : 0);
}

// A host without the i386 syscall entry faults `int 0x80` (#GP: SIGSEGV, SI_KERNEL) and
// `sysenter` (#UD: SIGILL) instead of reporting a syscall: still a refused 32-bit syscall.
bool is_foreign_syscall_fault(Task& t, const siginfo_t& info) {
  const bool gp = info.si_signo == SIGSEGV && info.si_code == SI_KERNEL;
  const bool ud = info.si_signo == SIGILL;
  if (!gp && !ud) return false;
  auto regs = t.thread().regs();
  if (!regs) return false;
  uint8_t insn[2] = {};
  if (!t.mm().copy_in((*regs)->rip, std::as_writable_bytes(std::span(insn)))) return false;
  return (gp && insn[0] == 0xcd && insn[1] == 0x80) || (ud && insn[0] == 0x0f && insn[1] == 0x34);
}

}  // namespace

Kernel::Kernel(std::unique_ptr<platform::Platform> platform, std::unique_ptr<Clock> clock,
               const KernelOptions& options)
    : platform_(std::move(platform)),
      clock_(std::move(clock)),
      options_(options),
      vfs_(std::make_unique<fs::Vfs>(*clock_)),
      proc_info_(std::make_unique<ProcProvider>(*this)) {
  if (options_.strace_out != nullptr || options_.stats) {
    tracer_ = std::make_unique<trace::Tracer>(options_.strace_out, options_.stats);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = platform_->notify_fd();
  epoll_ctl(poller_.epoll_fd(), EPOLL_CTL_ADD, platform_->notify_fd(), &ev);
}

Kernel::~Kernel() {
  for (auto& [tid, task] : tasks_)
    task->thread().kill_process();
}

void Kernel::random_bytes(std::span<std::byte> out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n > 0) done += static_cast<size_t>(n);
  }
}

uint64_t Kernel::random_u64() {
  uint64_t v = 0;
  random_bytes(std::as_writable_bytes(std::span(&v, 1)));
  return v;
}

int Kernel::allocate_pid() {
  while (tasks_.contains(next_pid_) || groups_.contains(next_pid_))
    ++next_pid_;
  return next_pid_++;
}

Task& Kernel::create_init_task(std::unique_ptr<platform::Thread> thread) {
  const int pid = allocate_pid();
  auto group = std::make_shared<ThreadGroup>(pid);
  groups_[pid] = group;
  auto task = std::make_unique<Task>(*this, pid, group, std::move(thread));
  Task& t = *task;
  group->tasks().push_back(&t);
  by_host_tid_[t.thread().host_tid()] = &t;
  tasks_[pid] = std::move(task);
  t.set_state(Task::State::kSyscall);  // stopped: run() starts it
  return t;
}

Task* Kernel::find_task(int tid) {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.get();
}

void Kernel::make_runnable(Task& t) {
  run_queue_.push_back(&t);
}

std::span<std::byte> Kernel::scratch(size_t len) {
  if (scratch_.size() < len) scratch_.resize(len);
  return std::span(scratch_.data(), len);
}

int Kernel::run() {
  for (auto& [tid, task] : tasks_) {
    if (task->state() == Task::State::kSyscall) {
      task->set_state(Task::State::kRunning);
      if (!task->thread().resume()) exit_thread_group(task->thread_group(), SIGKILL);
    }
  }
  while (!init_exited_) {
    while (!run_queue_.empty() && !init_exited_) {
      Task* t = run_queue_.front();
      run_queue_.pop_front();
      if (t->state() != Task::State::kRunnable) continue;
      t->set_state(Task::State::kSyscall);
      run_syscall(*t);
    }
    for (Task* t : dead_)
      reap(*t);
    dead_.clear();
    if (init_exited_) break;
    timers_.fire_due(clock_->monotonic());
    if (!run_queue_.empty()) continue;
    wait_for_events();
  }
  if (tracer_) tracer_->finish();
  if (WIFEXITED(init_status_)) return WEXITSTATUS(init_status_);
  return 128 + WTERMSIG(init_status_);
}

void Kernel::wait_for_events() {
  if (poller_.armed() == 0 && timers_.empty()) {
    // Nothing but guest stops to wait for: block in waitpid, the cheapest trap path.
    handle_event(platform_->wait());
    return;
  }
  if (auto ev = platform_->poll()) {
    handle_event(*ev);
    return;
  }
  timespec timeout{};
  timespec* timeout_ptr = nullptr;
  if (auto deadline = timers_.next_deadline()) {
    const Duration d = clock_->until(*deadline);
    timeout.tv_sec = static_cast<time_t>(d.count() / 1'000'000'000);
    timeout.tv_nsec = static_cast<long>(d.count() % 1'000'000'000);
    timeout_ptr = &timeout;
  }
  epoll_event events[16];
  const int n = epoll_pwait2(poller_.epoll_fd(), events, 16, timeout_ptr, nullptr);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == platform_->notify_fd()) {
      platform_->clear_notify();
    } else {
      poller_.dispatch(fd, events[i].events);
    }
  }
  while (auto ev = platform_->poll())
    handle_event(*ev);
}

void Kernel::handle_event(const platform::Event& ev) {
  auto it = by_host_tid_.find(ev.host_tid);
  if (it == by_host_tid_.end()) return;
  Task& t = *it->second;
  if (t.state() == Task::State::kDead) return;
  switch (ev.stop.kind) {
    case platform::StopKind::kSyscall:
      t.set_state(Task::State::kSyscall);
      run_syscall(t);
      return;
    case platform::StopKind::kFault:
      handle_fault(t, ev.stop.info);
      return;
    case platform::StopKind::kInterrupt:
      if (!t.thread().resume()) exit_thread_group(t.thread_group(), SIGKILL);
      return;
    case platform::StopKind::kExited: {
      // The host thread died under us (killed from outside the sandbox).
      const int status = ev.stop.wait_status;
      exit_thread_group(t.thread_group(), WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL);
      return;
    }
  }
}

void Kernel::handle_fault(Task& t, const siginfo_t& info) {
  if (info.si_code <= 0) {
    // Sent by a host process with kill(2), not raised by guest code: not the guest's.
    log::info("ignoring host signal {} sent to guest pid {}", info.si_signo, t.pid());
    if (!t.thread().resume()) exit_thread_group(t.thread_group(), SIGKILL);
    return;
  }
  if (is_foreign_syscall_fault(t, info)) {
    refuse_foreign_syscall(t);
    return;
  }
  trace::report_crash(t, info);
  exit_thread_group(t.thread_group(), killed_by(info.si_signo));
}

void Kernel::refuse_foreign_syscall(Task& t) {
  log::error(
      "pid {}: a 32-bit syscall (int 0x80 or sysenter) was refused; killing the process "
      "with SIGSYS",
      t.pid());
  exit_thread_group(t.thread_group(), killed_by(SIGSYS));
}

void Kernel::run_syscall(Task& t) {
  const platform::SyscallEntry& e = t.thread().syscall();
  if (!e.native_abi) {
    refuse_foreign_syscall(t);
    return;
  }
  const sys::SyscallSpec* spec = sys::find_syscall(e.nr);
  sys::SysRet result;
  if (spec != nullptr && spec->handler != nullptr) {
    sys::SyscallArgs args;
    std::memcpy(args.a, e.args, sizeof(args.a));
    result = spec->handler(t, args);
  } else {
    result = fail(ENOSYS);
    if ((spec == nullptr || spec->support == sys::Support::None) &&
        enosys_logged_.insert(e.nr).second) {
      log::warn("unimplemented syscall {} ({}): returning ENOSYS",
                spec != nullptr ? spec->name : std::string_view("unknown"), e.nr);
    }
  }
  if (!result && result.error() == Errno{EPARKED}) {
    if (t.state() == Task::State::kSyscall) t.set_state(Task::State::kParked);
    return;
  }
  finish_syscall(t, result);
}

void Kernel::finish_syscall(Task& t, sys::SysRet result) {
  t.end_syscall();
  if (tracer_) tracer_->syscall_exit(t, result);
  if (t.state() == Task::State::kDead) return;
  int64_t value = 0;
  if (result) {
    value = static_cast<int64_t>(*result);
  } else {
    int err = errno_value(result.error());
    // No signal handlers run yet, so an interrupted syscall cannot be restarted into one.
    if (err == ERESTARTSYS || err == ERESTARTNOINTR || err == ERESTARTNOHAND ||
        err == ERESTART_RESTARTBLOCK) {
      err = EINTR;
    }
    value = -err;
  }
  t.thread().set_syscall_return(static_cast<uint64_t>(value));
  t.set_state(Task::State::kRunning);
  if (!t.thread().resume()) exit_thread_group(t.thread_group(), SIGKILL);
}

void Kernel::exit_task(Task& t, int exit_code) {
  ThreadGroup& group = t.thread_group();
  size_t live = 0;
  for (Task* other : group.tasks())
    live += other->state() != Task::State::kDead;
  if (live <= 1) {
    exit_thread_group(group, W_EXITCODE(exit_code & 0xff, 0));
    return;
  }
  t.thread().exit_thread();
  t.set_state(Task::State::kDead);
  dead_.push_back(&t);
}

void Kernel::exit_thread_group(ThreadGroup& group, int wait_status) {
  group.begin_exit(wait_status);
  vfs_->locks().process_exited(group.tgid());
  for (Task* t : group.tasks()) {
    if (t->state() == Task::State::kDead) continue;
    t->end_syscall();
    t->thread().kill_process();
    t->set_state(Task::State::kDead);
    dead_.push_back(t);
  }
  if (group.tgid() == 1 && !init_exited_) {
    init_exited_ = true;
    init_status_ = group.exit_status();
  }
}

void Kernel::reap(Task& t) {
  by_host_tid_.erase(t.thread().host_tid());
  std::erase(t.thread_group().tasks(), &t);
  std::erase(run_queue_, &t);
  const int tgid = t.pid();
  const bool group_empty = t.thread_group().tasks().empty();
  tasks_.erase(t.tid());
  if (group_empty) groups_.erase(tgid);
}

}  // namespace ms::kernel
