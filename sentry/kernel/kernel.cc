#include "sentry/kernel/kernel.h"

#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/wait.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/log.h"
#include "net/network.h"
#include "sentry/kernel/host_signals.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/trace/crash_report.h"
#include "sentry/trace/tracer.h"

namespace ms::kernel {
namespace {

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

bool is_restart_code(int err) {
  return err == ERESTARTSYS || err == ERESTARTNOINTR || err == ERESTARTNOHAND ||
         err == ERESTART_RESTARTBLOCK;
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
  // Loading the first image is a burst of injected syscalls: place CPUs before it.
  update_cpu_placement();
}

Kernel::~Kernel() {
  for (auto& [tid, task] : tasks_)
    task->thread().kill_process();
}

net::Network& Kernel::network() {
  if (!network_) {
    net::NetworkOptions defaults;
    defaults.stack.seed = random_u64();
    network_ = std::make_unique<net::Network>(*clock_, timers_, poller_, std::move(defaults));
  }
  return *network_;
}

void Kernel::set_network(std::unique_ptr<net::Network> network) {
  network_ = std::move(network);
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

std::span<std::byte> Kernel::scratch(size_t len) {
  if (scratch_.size() < len) scratch_.resize(len);
  return std::span(scratch_.data(), len);
}

int Kernel::allocate_pid() {
  // Linux hands out increasing pids and wraps at pid_max.
  constexpr int kPidMax = 4194304;
  for (;;) {
    if (next_pid_ >= kPidMax) next_pid_ = 2;
    const int pid = next_pid_++;
    if (!tasks_.contains(pid) && !groups_.contains(pid)) return pid;
  }
}

void Kernel::register_task(std::unique_ptr<Task> task) {
  Task& t = *task;
  t.thread_group().tasks().push_back(&t);
  by_host_tid_[t.thread().host_tid()] = &t;
  tasks_[t.tid()] = std::move(task);
}

Task& Kernel::create_init_task(NewImage image) {
  const int pid = allocate_pid();
  auto group = std::make_shared<ThreadGroup>(pid);
  groups_[pid] = group;
  foreground_pgid_ = pid;
  auto task = std::make_unique<Task>(*this, pid, group, std::move(image.thread));
  Task& t = *task;
  t.set_mm(std::move(image.mm));
  t.set_signal_handlers(std::make_shared<SignalHandlers>());
  group->set_exe_path(std::move(image.exe_path));
  register_task(std::move(task));
  t.set_state(Task::State::kSyscall);  // stopped: run() starts it
  return t;
}

Task* Kernel::find_task(int tid) {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.get();
}

ThreadGroup* Kernel::find_process(int tgid) {
  auto it = groups_.find(tgid);
  return it == groups_.end() ? nullptr : it->second.get();
}

std::vector<ThreadGroup*> Kernel::processes() {
  std::vector<ThreadGroup*> out;
  out.reserve(groups_.size());
  for (auto& [tgid, g] : groups_)
    out.push_back(g.get());
  return out;
}

void Kernel::make_runnable(Task& t) {
  run_queue_.push_back(&t);
}

void Kernel::resume(Task& t) {
  if (t.state() == Task::State::kDead) return;
  if (t.thread_group().stopped) {
    t.set_state(Task::State::kStopped);
    return;
  }
  t.set_state(Task::State::kRunning);
  if (!t.thread().resume()) exit_thread_group(t.thread_group(), SIGKILL);
}

void Kernel::update_cpu_placement() {
  bool single = options_.cpu_policy == CpuPolicy::kSingle;
  if (options_.cpu_policy == CpuPolicy::kAuto) {
    // Threads mean the guest wants parallelism; processes mostly take turns.
    single = std::none_of(groups_.begin(), groups_.end(),
                          [](const auto& g) { return g.second->live_tasks() > 1; });
  }
  platform_->set_single_cpu(single);
}

int Kernel::run() {
  update_cpu_placement();
  for (auto& [tid, task] : tasks_) {
    if (task->state() == Task::State::kSyscall) resume(*task);
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
    if (!run_queue_.empty() || !dead_.empty()) continue;
    wait_for_events();
    for (uint64_t sigs = take_host_signals(); sigs != 0; sigs &= sigs - 1) {
      on_host_signal(std::countr_zero(sigs) + 1);
    }
  }
  if (tracer_) tracer_->finish();
  if (WIFEXITED(init_status_)) return WEXITSTATUS(init_status_);
  return 128 + WTERMSIG(init_status_);
}

void Kernel::wait_for_events() {
  if (poller_.armed() == 0 && timers_.empty()) {
    // Nothing but guest stops to wait for: block in waitpid, the cheapest trap path.
    if (auto ev = platform_->wait()) handle_event(*ev);
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
      t.interrupt_requested = false;
      t.set_state(Task::State::kSyscall);
      run_syscall(t);
      return;
    case platform::StopKind::kFault:
      handle_fault(t, ev.stop.info);
      return;
    case platform::StopKind::kInterrupt:
      handle_interrupt(t);
      return;
    case platform::StopKind::kExited: {
      // The host thread died under us (killed from outside the sandbox).
      const int status = ev.stop.wait_status;
      exit_thread_group(t.thread_group(), WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL);
      return;
    }
  }
}

void Kernel::handle_interrupt(Task& t) {
  t.interrupt_requested = false;
  t.set_state(Task::State::kSyscall);  // stopped, between two guest instructions
  deliver_signals(t);
  resume(t);
}

void Kernel::handle_fault(Task& t, const siginfo_t& info) {
  t.set_state(Task::State::kSyscall);
  if ((info.si_signo == SIGVTALRM || info.si_signo == SIGPROF) && info.si_code == SI_KERNEL) {
    // The host's CPU-time interval timer (setitimer ITIMER_VIRTUAL/ITIMER_PROF) expired: a
    // signal for the guest process.
    send_signal(t.thread_group(), user_siginfo(info.si_signo, SI_KERNEL, 0, 0));
    deliver_signals(t);
    resume(t);
    return;
  }
  if (info.si_code <= 0) {
    // Sent by a host process with kill(2), not raised by guest code: not the guest's.
    log::info("ignoring host signal {} sent to guest pid {}", info.si_signo, t.pid());
    resume(t);
    return;
  }
  if (is_foreign_syscall_fault(t, info)) {
    refuse_foreign_syscall(t);
    return;
  }
  const auto& action = t.signal_handlers()[info.si_signo];
  const bool handled =
      action.handler != kSigDfl && action.handler != kSigIgn && !t.signal_mask().has(info.si_signo);
  if (!handled && default_action(info.si_signo) != DefaultAction::kIgnore) {
    trace::report_crash(t, info);
  }
  force_signal(t, info);
  deliver_signals(t);
  resume(t);
}

void Kernel::refuse_foreign_syscall(Task& t) {
  log::error(
      "pid {}: a 32-bit syscall (int 0x80 or sysenter) was refused; killing the process "
      "with SIGSYS",
      t.pid());
  exit_thread_group(t.thread_group(), SIGSYS);
}

void Kernel::run_syscall(Task& t) {
  const platform::SyscallEntry& e = t.thread().syscall();
  if (!e.native_abi) {
    refuse_foreign_syscall(t);
    return;
  }
  t.restart_after_stop = false;
  const sys::SyscallSpec* spec = sys::find_syscall(e.nr);
  sys::SysRet result;
  if (spec != nullptr && spec->handler != nullptr) {
    sys::SyscallArgs args;
    std::memcpy(args.a, e.args, sizeof(args.a));
    current_ = &t;
    result = spec->handler(t, args);
    current_ = nullptr;
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
  if (t.state() == Task::State::kDead) {
    if (tracer_) tracer_->syscall_exit(t, result);
    t.end_syscall();
    return;
  }
  if (!result && is_restart_code(errno_value(result.error()))) {
    // Interrupted by a signal. Signals without a handler (ignored, stop, fatal) are dealt
    // with here; then the syscall runs again as if never interrupted. With a handler, the
    // restart code and the handler's SA_RESTART decide between EINTR and a restart.
    const int code = errno_value(result.error());
    for (;;) {
      const int sig = [&] {
        const SigSet allowed(~t.signal_mask().bits());
        auto own = t.pending().next(allowed);
        auto shared = t.thread_group().shared_pending().next(allowed);
        if (own && shared) return std::min(*own, *shared);
        return own ? *own : shared ? *shared : 0;
      }();
      const KernelSigaction* action = sig != 0 ? &t.signal_handlers()[sig] : nullptr;
      if (action != nullptr && action->handler != kSigDfl && action->handler != kSigIgn) {
        const bool restart =
            code == ERESTARTNOINTR || (code == ERESTARTSYS && (action->flags & SA_RESTART) != 0);
        if (restart) {
          auto regs = t.thread().regs();
          if (regs) {
            (*regs)->rip -= 2;  // back onto the syscall instruction
            (*regs)->rax = t.thread().syscall().nr;
            t.thread().set_regs_dirty();
          }
          t.regs_restored = true;
        } else {
          result = fail(EINTR);
        }
        break;
      }
      // No handler: run the default actions now; a stop leaves the syscall to rerun after
      // SIGCONT.
      if (sig != 0 && !deliver_signals(t)) {
        if (t.state() == Task::State::kStopped) t.restart_after_stop = true;
        return;
      }
      if (t.signal_pending()) continue;
      // Nothing left to interrupt for: run the syscall again with its state (deadline,
      // progress) intact.
      t.set_state(Task::State::kRunnable);
      make_runnable(t);
      return;
    }
  }
  if (tracer_) tracer_->syscall_exit(t, result);
  t.end_syscall();
  if (t.regs_restored) {
    t.regs_restored = false;
  } else {
    const int64_t value =
        result ? static_cast<int64_t>(*result) : -static_cast<int64_t>(errno_value(result.error()));
    t.thread().set_syscall_return(static_cast<uint64_t>(value));
  }
  if (t.signal_pending()) deliver_signals(t);
  if (t.saved_mask) {
    // sigsuspend and friends restore their caller's mask once no handler needs it.
    t.set_signal_mask(*t.saved_mask);
    t.saved_mask.reset();
  }
  resume(t);
}

void Kernel::reap(Task& t) {
  by_host_tid_.erase(t.thread().host_tid());
  std::erase(t.thread_group().tasks(), &t);
  std::erase(run_queue_, &t);
  tasks_.erase(t.tid());
  update_cpu_placement();
}

}  // namespace ms::kernel
