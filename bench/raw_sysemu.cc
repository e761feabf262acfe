// The floor for a ptrace sentry: one PTRACE_SYSEMU round trip for a getpid, answered by a
// tracer that does nothing else. minisentry's getpid is measured against this, in the same
// run (its target: within 1.3x). Two ways to answer are timed, each with tracer and tracee
// free to run anywhere and pinned to one CPU (cross-CPU wake-ups are slow and bimodal on VMs):
//   regs: PTRACE_GETREGS, PTRACE_SETREGS(rax), PTRACE_SYSEMU
//   info: PTRACE_GET_SYSCALL_INFO, PTRACE_POKEUSER(rax), PTRACE_SYSEMU
//
//   raw_sysemu [ITERATIONS [ROUNDS]]
// prints "raw_sysemu_<answer>[_pinned]_ns <median ns per round trip>" lines.
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/result.h"

namespace {

enum class Answer { kRegs, kSyscallInfo };

constexpr uint64_t kFakePid = 4242;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<uint64_t>(ts.tv_nsec);
}

// The tracee: `total` raw getpid syscalls, then exit_group, which SYSEMU also stops at
// instead of running, so the tracer kills it there. Nothing but raw syscalls after TRACEME.
[[noreturn]] void tracee(long total) {
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(1);
  raise(SIGSTOP);
  for (long i = 0; i < total; ++i) {
    long ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(static_cast<long>(SYS_getpid))
                 : "rcx", "r11", "memory");
  }
  for (;;) {
    long ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(static_cast<long>(SYS_exit_group)), "D"(0L)
                 : "rcx", "r11", "memory");
  }
}

ms::Result<void> check(long rc) {
  if (rc == -1) return ms::fail(errno);
  return {};
}

// Waits for the tracee's next syscall stop; ESRCH if it stopped or ended otherwise.
ms::Result<void> wait_syscall_stop(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) return ms::fail(errno);
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80)) return ms::fail(ESRCH);
  return {};
}

// Answers the getpid the tracee is stopped at. EPROTO if it is stopped at anything else.
ms::Result<void> answer(pid_t pid, Answer how) {
  if (how == Answer::kRegs) {
    user_regs_struct regs{};
    TRY(check(ptrace(PTRACE_GETREGS, pid, nullptr, &regs)));
    if (regs.orig_rax != SYS_getpid) return ms::fail(EPROTO);
    regs.rax = kFakePid;
    TRY(check(ptrace(PTRACE_SETREGS, pid, nullptr, &regs)));
    return {};
  }
  __ptrace_syscall_info info{};
  TRY(check(ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info)));
  if (info.op != PTRACE_SYSCALL_INFO_ENTRY || info.entry.nr != SYS_getpid) {
    return ms::fail(EPROTO);
  }
  TRY(check(ptrace(PTRACE_POKEUSER, pid, offsetof(user_regs_struct, rax), kFakePid)));
  return {};
}

// Restores the tracer's CPU set when a pinned measurement ends, however it ends.
class AffinityGuard {
 public:
  AffinityGuard() { sched_getaffinity(0, sizeof saved_, &saved_); }
  ~AffinityGuard() { sched_setaffinity(0, sizeof saved_, &saved_); }
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;
  // Pins this thread (and children forked after) to the first CPU it may use.
  ms::Result<void> pin() {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &saved_)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      TRY(check(sched_setaffinity(0, sizeof one, &one)));
      return {};
    }
    return ms::fail(EINVAL);
  }

 private:
  cpu_set_t saved_{};
};

// Kills and reaps the tracee when a measurement ends, however it ends.
class TraceeGuard {
 public:
  explicit TraceeGuard(pid_t pid) : pid_(pid) {}
  ~TraceeGuard() {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, __WALL) == -1 && errno == EINTR) {
    }
  }
  TraceeGuard(const TraceeGuard&) = delete;
  TraceeGuard& operator=(const TraceeGuard&) = delete;

 private:
  pid_t pid_;
};

// The median over `rounds` rounds of the time per round trip, in ns.
ms::Result<double> measure(Answer how, bool pinned, long iterations, int rounds) {
  AffinityGuard affinity;
  if (pinned) TRY(affinity.pin());
  const pid_t pid = fork();
  if (pid < 0) return ms::fail(errno);
  if (pid == 0) tracee(iterations * rounds);
  TraceeGuard guard(pid);

  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) return ms::fail(errno);
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) return ms::fail(ESRCH);
  TRY(check(ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)));
  TRY(check(ptrace(PTRACE_SYSEMU, pid, nullptr, nullptr)));

  std::vector<double> per_trip;
  for (int r = 0; r < rounds; ++r) {
    const uint64_t t0 = now_ns();
    for (long i = 0; i < iterations; ++i) {
      TRY(wait_syscall_stop(pid));
      TRY(answer(pid, how));
      TRY(check(ptrace(PTRACE_SYSEMU, pid, nullptr, nullptr)));
    }
    per_trip.push_back(static_cast<double>(now_ns() - t0) / static_cast<double>(iterations));
  }
  std::sort(per_trip.begin(), per_trip.end());
  const size_t n = per_trip.size();
  return n % 2 != 0 ? per_trip[n / 2] : (per_trip[n / 2 - 1] + per_trip[n / 2]) / 2;
}

long positive_arg(int argc, char** argv, int i, long fallback) {
  if (argc <= i) return fallback;
  const long v = std::strtol(argv[i], nullptr, 10);
  return v > 0 ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = positive_arg(argc, argv, 1, 20000);
  const int rounds = static_cast<int>(positive_arg(argc, argv, 2, 5));
  int failures = 0;
  for (bool pinned : {false, true}) {
    for (Answer how : {Answer::kRegs, Answer::kSyscallInfo}) {
      const char* name = how == Answer::kRegs ? "regs" : "info";
      const char* suffix = pinned ? "_pinned" : "";
      auto ns = measure(how, pinned, iterations, rounds);
      if (!ns) {
        std::fprintf(stderr, "raw_sysemu: %s%s: %s\n", name, suffix,
                     std::strerror(ms::errno_value(ns.error())));
        ++failures;
        continue;
      }
      std::printf("raw_sysemu_%s%s_ns %.1f\n", name, suffix, *ns);
      std::fflush(stdout);
    }
  }
  return failures == 0 ? 0 : 1;
}
