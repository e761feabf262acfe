#include "sentry/platform/ptrace/ptrace_thread.h"

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sentry/platform/ptrace/ptrace_address_space.h"
#include "sentry/platform/ptrace/ptrace_platform.h"

namespace ms::platform::ptrace {

PtraceThread::PtraceThread(PtracePlatform& platform, pid_t tid, std::shared_ptr<AddressSpace> as)
    : platform_(platform), tid_(tid), as_(std::move(as)) {
  static_cast<PtraceAddressSpace&>(*as_).attach(this);
  platform_.register_thread(this);
}

PtraceThread::~PtraceThread() {
  platform_.unregister_thread(this);
  static_cast<PtraceAddressSpace&>(*as_).detach(this);
}

void PtraceThread::on_stop(const Stop& stop, const SyscallEntry* entry) {
  stopped_ = stop.kind != StopKind::kExited;
  regs_valid_ = false;
  regs_dirty_ = false;
  rax_pending_ = false;
  if (entry != nullptr) syscall_ = *entry;
}

Result<Regs*> PtraceThread::regs() {
  if (!regs_valid_) {
    if (::ptrace(PTRACE_GETREGS, tid_, nullptr, &regs_) != 0) return fail(errno);
    regs_valid_ = true;
    if (rax_pending_) {
      regs_.rax = rax_;
      rax_pending_ = false;
      regs_dirty_ = true;
    }
  }
  return &regs_;
}

void PtraceThread::set_syscall_return(uint64_t value) {
  if (regs_valid_) {
    regs_.rax = value;
    regs_dirty_ = true;
  } else {
    rax_ = value;
    rax_pending_ = true;
  }
}

Result<size_t> PtraceThread::get_fpstate(std::span<std::byte> dst) {
  iovec iov{dst.data(), dst.size()};
  if (::ptrace(PTRACE_GETREGSET, tid_, NT_X86_XSTATE, &iov) != 0) return fail(errno);
  return iov.iov_len;
}

Result<void> PtraceThread::set_fpstate(std::span<const std::byte> src) {
  iovec iov{const_cast<std::byte*>(src.data()), src.size()};
  if (::ptrace(PTRACE_SETREGSET, tid_, NT_X86_XSTATE, &iov) != 0) return fail(errno);
  return {};
}

Result<void> PtraceThread::flush_regs() {
  if (regs_dirty_) {
    if (::ptrace(PTRACE_SETREGS, tid_, nullptr, &regs_) != 0) return fail(errno);
    regs_dirty_ = false;
  } else if (rax_pending_) {
    if (::ptrace(PTRACE_POKEUSER, tid_, offsetof(Regs, rax), rax_) != 0) return fail(errno);
    rax_pending_ = false;
  }
  return {};
}

Result<void> PtraceThread::resume() {
  TRY(flush_regs());
  stopped_ = false;
  regs_valid_ = false;
  if (::ptrace(PTRACE_SYSEMU, tid_, nullptr, nullptr) != 0) return fail(errno);
  return {};
}

void PtraceThread::interrupt() {
  ::ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr);
}

void PtraceThread::exit_thread() {
  if (!stopped_ || exiting_) return;
  auto r = regs();
  if (!r) return;
  Regs exit_regs = **r;
  exit_regs.rip = platform_.syscall_site();
  exit_regs.rax = SYS_exit;
  exit_regs.orig_rax = ~0ULL;
  exit_regs.rdi = 0;
  exiting_ = true;
  stopped_ = false;
  regs_valid_ = false;
  if (::ptrace(PTRACE_SETREGS, tid_, nullptr, &exit_regs) != 0 ||
      ::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) {
    ::syscall(SYS_tgkill, static_cast<pid_t>(-1), tid_, SIGKILL);
  }
}

void PtraceThread::kill_process() {
  ::kill(tid_, SIGKILL);
}

HostUsage PtraceThread::usage(bool whole_process) const {
  // /proc/PID/stat fields 14 and 15 are user and system time in clock ticks; for a task
  // directory they cover that thread only.
  HostUsage u;
  const std::string dir = whole_process
                              ? "/proc/" + std::to_string(tid_)
                              : "/proc/" + std::to_string(tid_) + "/task/" + std::to_string(tid_);
  if (FILE* f = std::fopen((dir + "/stat").c_str(), "re")) {
    char buf[1024] = {};
    const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    if (const char* p = std::strrchr(buf, ')')) {
      unsigned long long utime = 0;
      unsigned long long stime = 0;
      if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                      &stime) == 2) {
        const long tick_ns = 1'000'000'000L / sysconf(_SC_CLK_TCK);
        u.user_ns = static_cast<int64_t>(utime) * tick_ns;
        u.system_ns = static_cast<int64_t>(stime) * tick_ns;
      }
    }
  }
  if (FILE* f = std::fopen(("/proc/" + std::to_string(tid_) + "/status").c_str(), "re")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) u.max_rss_kb = kb;
    }
    std::fclose(f);
  }
  return u;
}

Result<itimerval> PtraceThread::cpu_timer(int which, const itimerval* value) {
  // The arguments go through the stub's scratch page: the new value first, the old after.
  auto& as = static_cast<PtraceAddressSpace&>(*as_);
  const uint64_t new_addr = as.scratch_address(0);
  const uint64_t old_addr = as.scratch_address(sizeof(itimerval));
  if (value != nullptr) {
    TRY(as.write_scratch(0, std::as_bytes(std::span(value, 1))));
    TRY(inject(SYS_setitimer, {static_cast<uint64_t>(which), new_addr, old_addr, 0, 0, 0}));
  } else {
    TRY(inject(SYS_getitimer, {static_cast<uint64_t>(which), old_addr, 0, 0, 0, 0}));
  }
  itimerval old{};
  TRY(as.read_scratch(sizeof(itimerval), std::as_writable_bytes(std::span(&old, 1))));
  return old;
}

unsigned PtraceThread::last_cpu() const {
  // Field 39 of /proc/PID/task/TID/stat.
  const std::string path =
      "/proc/" + std::to_string(tid_) + "/task/" + std::to_string(tid_) + "/stat";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return 0;
  char buf[1024] = {};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  unsigned cpu = 0;
  for (int field = 2; p != nullptr && *p != '\0'; ++p) {
    if (*p == ' ' && ++field == 39) {
      cpu = static_cast<unsigned>(std::strtoul(p + 1, nullptr, 10));
      break;
    }
  }
  return cpu;
}

Result<Regs> PtraceThread::run_stub(const Regs& call, pid_t* new_tid) {
  if (::ptrace(PTRACE_SETREGS, tid_, nullptr, &call) != 0) return fail(errno);
  regs_dirty_ = true;
  regs_.orig_rax = ~0ULL;  // never let the host restart the guest's (emulated) syscall
  if (::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) return fail(errno);
  for (;;) {
    const int status = TRY(platform_.wait_for(tid_));
    if (!WIFSTOPPED(status)) {
      stopped_ = false;
      return fail(ESRCH);
    }
    const int event = status >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      unsigned long msg = 0;
      ::ptrace(PTRACE_GETEVENTMSG, tid_, nullptr, &msg);
      if (new_tid != nullptr) *new_tid = static_cast<pid_t>(msg);
    } else if (event == 0 && WSTOPSIG(status) == SIGTRAP) {
      break;  // the stub's int3
    } else if (event == 0 && (WSTOPSIG(status) == SIGSEGV || WSTOPSIG(status) == SIGBUS)) {
      // A bad guest address: the signal is dropped (the next resume sends none).
      return fail(EFAULT);
    }
    // Anything else (a stale PTRACE_INTERRUPT, a host stop signal) is passed over.
    if (::ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) return fail(errno);
  }
  Regs after{};
  if (::ptrace(PTRACE_GETREGS, tid_, nullptr, &after) != 0) return fail(errno);
  return after;
}

Result<uint64_t> PtraceThread::inject(uint64_t nr, const std::array<uint64_t, 6>& args,
                                      pid_t* new_tid) {
  if (!stopped_) return fail(ESRCH);
  // The guest's registers stay in regs_ and are written back when the thread resumes, so no
  // path can return to the guest with the injection's registers.
  TRY(regs());
  Regs call = regs_;
  call.rip = platform_.syscall_site();
  call.rax = nr;
  call.orig_rax = ~0ULL;
  call.rdi = args[0];
  call.rsi = args[1];
  call.rdx = args[2];
  call.r10 = args[3];
  call.r8 = args[4];
  call.r9 = args[5];
  const Regs after = TRY(run_stub(call, new_tid));
  if (static_cast<int64_t>(after.rax) < 0 && static_cast<int64_t>(after.rax) > -4096) {
    return fail(static_cast<int>(-static_cast<int64_t>(after.rax)));
  }
  return after.rax;
}

Result<uint32_t> PtraceThread::compare_exchange(uint64_t addr, uint32_t expected,
                                                uint32_t desired) {
  if (!stopped_) return fail(ESRCH);
  TRY(regs());
  Regs call = regs_;
  call.rip = platform_.cmpxchg_site();
  call.orig_rax = ~0ULL;
  call.rax = expected;
  call.rdi = addr;
  call.rsi = desired;
  const Regs after = TRY(run_stub(call, nullptr));
  return static_cast<uint32_t>(after.rax);
}

}  // namespace ms::platform::ptrace
