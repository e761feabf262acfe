#include "sentry/platform/ptrace/ptrace_platform.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "sentry/platform/ptrace/ptrace_address_space.h"
#include "sentry/platform/ptrace/ptrace_thread.h"
#include "sentry/platform/ptrace/stub.h"

namespace ms::platform::ptrace {
namespace {

constexpr int kTraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
                              PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;

// Runs in the freshly forked zygote: drop everything of the sentry's, then enter the stub,
// which unmaps the rest and traps. Only raw syscalls from here on.
[[noreturn]] void zygote_main(pid_t sentry, int sync_fd, int channel_fd, const Layout& layout) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != sentry) ::_exit(1);
  ::setsid();  // keep terminal signals (Ctrl-C) away from guests: the sentry forwards them
  char byte = 0;
  while (::read(sync_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  // Keep only the fd channel, at kStubControlFd.
  if (::dup2(channel_fd, kStubControlFd) != kStubControlFd) ::_exit(1);
  ::syscall(SYS_close_range, kStubControlFd + 1U, ~0U, 0U);
  // The fork inherited glibc's per-thread kernel registrations, which point into memory the
  // stub is about to unmap: a stale rseq area would make the kernel SIGSEGV the stub.
  if (__rseq_size > 0) {
    void* area = static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
    for (unsigned len : {static_cast<unsigned>(__rseq_size), 32U, 20U}) {
      if (::syscall(SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0) break;
    }
  }
  ::syscall(SYS_set_robust_list, nullptr, 24);
  ::syscall(SYS_set_tid_address, nullptr);
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  // Stubs need no privilege: everything they run was chosen by the sentry.
  __user_cap_header_struct cap_header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct no_caps[2] = {};
  ::syscall(SYS_capset, &cap_header, no_caps);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const uint64_t entry = stub_entry_address(layout);
  asm volatile(
      "mov %0, %%r12\n"
      "mov %1, %%r13\n"
      "mov %2, %%r14\n"
      "jmp *%3\n"
      :
      : "r"(layout.stub_begin), "r"(layout.stub_end), "r"(kUserTop), "r"(entry)
      : "r12", "r13", "r14", "memory");
  __builtin_unreachable();
}

}  // namespace

Result<std::unique_ptr<PtracePlatform>> PtracePlatform::create() {
  std::unique_ptr<PtracePlatform> p(new PtracePlatform());
  p->layout_ = TRY(install_stub());
  if (sched_getaffinity(0, sizeof(p->original_cpus_), &p->original_cpus_) != 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      CPU_SET(cpu, &p->original_cpus_);
  }
  p->syscall_site_ = stub_syscall_site(p->layout_);
  p->cmpxchg_site_ = stub_cmpxchg_site(p->layout_);
  // Stops are collected with waitpid; SIGCHLD only wakes an epoll-based loop through this fd.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, nullptr) != 0) return fail(errno);
  p->sigchld_fd_.reset(signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!p->sigchld_fd_) return fail(errno);
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0) return fail(errno);
  p->channel_.socket.reset(channel[0]);
  p->stub_channel_end_.reset(channel[1]);
  TRY(p->start_zygote());
  p->stub_channel_end_.reset();
  return p;
}

PtracePlatform::~PtracePlatform() {
  if (zygote_) zygote_->kill_process();
}

Result<void> PtracePlatform::start_zygote() {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return fail(errno);
  UniqueFd sync_read(sync[0]);
  UniqueFd sync_write(sync[1]);
  const pid_t sentry = getpid();
  const pid_t child = ::fork();
  if (child < 0) return fail(errno);
  if (child == 0) {
    sync_write.reset();
    zygote_main(sentry, sync_read.get(), stub_channel_end_.get(), layout_);
  }
  sync_read.reset();
  if (::ptrace(PTRACE_SEIZE, child, nullptr, kTraceOptions) != 0) {
    const int err = errno;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, __WALL);
    return fail(err);
  }
  sync_write.reset();  // lets the zygote go on to the stub
  auto as = std::make_shared<PtraceAddressSpace>(layout_, channel_);
  zygote_ = std::make_unique<PtraceThread>(*this, child, as);
  const int status = TRY(wait_for(child));
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
    log::error("the stub process did not start (wait status {:#x})", status);
    return fail(ECHILD);
  }
  zygote_->on_stop(Stop{.kind = StopKind::kInterrupt}, nullptr);
  return {};
}

void PtracePlatform::register_thread(PtraceThread* thread) {
  threads_[thread->host_tid()] = thread;
}

void PtracePlatform::unregister_thread(PtraceThread* thread) {
  auto it = threads_.find(thread->host_tid());
  if (it != threads_.end() && it->second == thread) threads_.erase(it);
}

Result<int> PtracePlatform::wait_for(pid_t tid) {
  for (;;) {
    int status = 0;
    const pid_t got = ::waitpid(tid, &status, __WALL);
    if (got == tid) return status;
    if (got < 0 && errno != EINTR) return fail(errno);
  }
}

Result<pid_t> PtracePlatform::inject_clone(PtraceThread& parent, uint64_t flags) {
  pid_t child = -1;
  TRY(parent.inject(SYS_clone, {flags, 0, 0, 0, 0, 0}, &child));
  if (child <= 0) return fail(EAGAIN);
  // The new task's first stop comes before it runs a single instruction.
  const int status = TRY(wait_for(child));
  if (!WIFSTOPPED(status)) return fail(EAGAIN);
  return child;
}

Result<std::unique_ptr<Thread>> PtracePlatform::new_process() {
  const pid_t child = TRY(inject_clone(*zygote_, CLONE_PARENT | SIGCHLD));
  auto thread = std::make_unique<PtraceThread>(
      *this, child, std::make_shared<PtraceAddressSpace>(layout_, channel_));
  thread->on_stop(Stop{.kind = StopKind::kInterrupt}, nullptr);
  return thread;
}

Result<std::unique_ptr<Thread>> PtracePlatform::fork(Thread& parent) {
  auto& p = static_cast<PtraceThread&>(parent);
  const pid_t child = TRY(inject_clone(p, CLONE_PARENT | SIGCHLD));
  auto thread = std::make_unique<PtraceThread>(
      *this, child, std::make_shared<PtraceAddressSpace>(layout_, channel_));
  thread->on_stop(Stop{.kind = StopKind::kInterrupt}, nullptr);
  return thread;
}

Result<std::unique_ptr<Thread>> PtracePlatform::clone_vm(Thread& parent, bool thread_group) {
  auto& p = static_cast<PtraceThread&>(parent);
  const uint64_t flags =
      thread_group ? CLONE_VM | CLONE_THREAD | CLONE_SIGHAND : CLONE_VM | CLONE_PARENT | SIGCHLD;
  const pid_t child = TRY(inject_clone(p, flags));
  auto thread = std::make_unique<PtraceThread>(*this, child, p.address_space());
  thread->on_stop(Stop{.kind = StopKind::kInterrupt}, nullptr);
  return thread;
}

void PtracePlatform::set_single_cpu(bool single) {
  if (single == single_cpu_) return;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (single) {
    const int cpu = sched_getcpu();
    home_cpu_ = cpu >= 0 ? cpu : 0;
    CPU_SET(home_cpu_, &mask);
  } else {
    mask = original_cpus_;
  }
  single_cpu_ = single;
  // New stubs inherit the mask of the host task they are cloned from.
  sched_setaffinity(0, sizeof(mask), &mask);
  for (const auto& [tid, thread] : threads_)
    sched_setaffinity(tid, sizeof(mask), &mask);
}

void PtracePlatform::clear_notify() {
  signalfd_siginfo info[8];
  while (::read(sigchld_fd_.get(), info, sizeof(info)) > 0) {
  }
}

std::optional<Event> PtracePlatform::decode(pid_t tid, int status) {
  Event ev{.host_tid = tid, .stop = {}};
  auto it = threads_.find(tid);
  PtraceThread* thread = it == threads_.end() ? nullptr : it->second;
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    ev.stop.kind = StopKind::kExited;
    ev.stop.wait_status = status;
    if (thread != nullptr) thread->on_stop(ev.stop, nullptr);
    return ev;
  }
  if (!WIFSTOPPED(status)) return std::nullopt;
  if (thread == nullptr) {
    // A host task the sentry no longer tracks (a thread being torn down): let it go on.
    ::ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return std::nullopt;
  }
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  if (sig == (SIGTRAP | 0x80)) {
    __ptrace_syscall_info info{};
    SyscallEntry entry;
    const long n = ::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info);
    if (n <= 0 || info.op != PTRACE_SYSCALL_INFO_ENTRY) {
      entry.native_abi = false;
    } else {
      entry.native_abi = info.arch == AUDIT_ARCH_X86_64;
      entry.nr = info.entry.nr;
      for (int i = 0; i < 6; ++i)
        entry.args[i] = info.entry.args[i];
      entry.ip = info.instruction_pointer;
      entry.sp = info.stack_pointer;
    }
    ev.stop.kind = StopKind::kSyscall;
    thread->on_stop(ev.stop, &entry);
    return ev;
  }
  if (event != 0) {
    // PTRACE_EVENT_STOP: an interrupt the sentry asked for, or a host job-control stop.
    ev.stop.kind = StopKind::kInterrupt;
    thread->on_stop(ev.stop, nullptr);
    return ev;
  }
  ev.stop.kind = StopKind::kFault;
  if (::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &ev.stop.info) != 0) {
    ev.stop.info.si_signo = sig;
  }
  thread->on_stop(ev.stop, nullptr);
  return ev;
}

std::optional<Event> PtracePlatform::poll() {
  if (!deferred_.empty()) {
    Event ev = deferred_.front();
    deferred_.pop_front();
    return ev;
  }
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid <= 0) return std::nullopt;
    if (auto ev = decode(tid, status)) return ev;
  }
}

std::optional<Event> PtracePlatform::wait() {
  if (auto ev = poll()) return ev;
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) return std::nullopt;
      log::error("waitpid: {}", strerror(errno));
      return Event{.host_tid = -1, .stop = {.kind = StopKind::kExited}};
    }
    if (auto ev = decode(tid, status)) return ev;
  }
}

}  // namespace ms::platform::ptrace
