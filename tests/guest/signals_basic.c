// Signal delivery: handlers with SA_SIGINFO, masks and pending sets, SA_RESETHAND,
// SA_NODEFER, sigqueue values, SIGCHLD on child exit, sigsuspend, sigtimedwait, and FPU
// state surviving a handler.
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "guest_test.h"

static volatile int count;
static volatile int last_sig;
static volatile int last_code;
static volatile int last_value;
static volatile int depth, max_depth, calls;

static void on_info(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  count++;
  last_sig = sig;
  last_code = si->si_code;
  last_value = si->si_value.sival_int;
}

static void on_plain(int sig) {
  count++;
  last_sig = sig;
}

// Raises itself twice more: nested (depth 3) with SA_NODEFER, one after another without.
static void on_nested(int sig) {
  depth++;
  if (depth > max_depth) max_depth = depth;
  if (++calls < 3) raise(sig);
  depth--;
}

static void on_fpu(int sig) {
  (void)sig;
  // Clobber vector registers: the interrupted code's values must come back.
  volatile double x = 1e300;
  for (int i = 0; i < 10; i++)
    x *= 1.5;
  count++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("raise: count %d sig %d code SI_TKILL %d\n", count, last_sig, last_code == SI_TKILL);
  kill(getpid(), SIGUSR1);
  printf("kill: count %d code SI_USER %d\n", count, last_code == SI_USER);
  union sigval v = {.sival_int = 1234};
  SHOW("sigqueue", sigqueue(getpid(), SIGUSR1, v));
  printf("sigqueue: value %d code SI_QUEUE %d\n", last_value, last_code == SI_QUEUE);

  // Blocked: pending until unblocked, then delivered once (standard signals coalesce).
  sigset_t block, pending, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  count = 0;
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigpending(&pending);
  printf("pending while blocked: %d delivered %d\n", sigismember(&pending, SIGUSR1), count);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("after unblock delivered %d\n", count);

  // Real-time signals queue every instance, lowest number first.
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  sigaddset(&rt, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  sa.sa_sigaction = on_info;
  sigaction(SIGRTMIN, &sa, NULL);
  sigaction(SIGRTMIN + 1, &sa, NULL);
  for (int i = 0; i < 3; i++) {
    v.sival_int = i;
    sigqueue(getpid(), SIGRTMIN + 1, v);
    sigqueue(getpid(), SIGRTMIN, v);
  }
  count = 0;
  sigprocmask(SIG_UNBLOCK, &rt, NULL);
  printf("rt delivered %d last sig offset %d last value %d\n", count, last_sig - SIGRTMIN,
         last_value);

  // SA_RESETHAND: the second SIGUSR2 takes the default action (checked in a child).
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_plain;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGUSR2, &sa, NULL);
  count = 0;
  raise(SIGUSR2);
  struct sigaction now;
  sigaction(SIGUSR2, NULL, &now);
  printf("resethand: handled %d reset to default %d\n", count, now.sa_handler == SIG_DFL);

  // Nested delivery: without SA_NODEFER the signal is blocked in its own handler.
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_nested;
  sigaction(SIGHUP, &sa, NULL);
  depth = max_depth = calls = 0;
  raise(SIGHUP);
  printf("nested without NODEFER: max depth %d calls %d\n", max_depth, calls);
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGHUP, &sa, NULL);
  depth = max_depth = calls = 0;
  raise(SIGHUP);
  printf("nested with NODEFER: max depth %d calls %d\n", max_depth, calls);

  // SIGCHLD when a child exits.
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  count = 0;
  pid_t p = fork();
  if (p == 0) _exit(9);
  // sigsuspend with SIGCHLD unblocked: returns EINTR after the handler ran.
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGCHLD);
  int r = sigsuspend(&wait_mask);
  printf("sigsuspend: %d %s, SIGCHLD handled %d code CLD_EXITED %d\n", r, guest_errno_name(errno),
         count, last_code == CLD_EXITED);
  sigset_t after;
  sigprocmask(SIG_SETMASK, NULL, &after);
  printf("mask restored after sigsuspend: %d\n", sigismember(&after, SIGCHLD));
  int st;
  waitpid(p, &st, 0);
  sigprocmask(SIG_SETMASK, &old, NULL);

  // sigtimedwait takes a blocked signal without running its handler.
  sigset_t w;
  sigemptyset(&w);
  sigaddset(&w, SIGUSR2);
  sigprocmask(SIG_BLOCK, &w, NULL);
  struct timespec zero = {0, 0};
  SHOW("sigtimedwait nothing pending", sigtimedwait(&w, NULL, &zero));
  struct timespec short_wait = {0, 20 * 1000 * 1000};
  SHOW("sigtimedwait times out", sigtimedwait(&w, NULL, &short_wait));
  p = fork();
  if (p == 0) {
    kill(getppid(), SIGUSR2);
    _exit(0);
  }
  siginfo_t si;
  int got = sigwaitinfo(&w, &si);
  printf("sigwaitinfo got SIGUSR2 %d from child %d\n", got == SIGUSR2, si.si_pid == p);
  waitpid(p, &st, 0);

  // FPU and SSE state survive a handler.
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fpu;
  sigaction(SIGUSR1, &sa, NULL);
  volatile double a = 1.25, b = 3.5;
  double before = a * b;
  count = 0;
  raise(SIGUSR1);
  double after_v = a * b;
  printf("fpu preserved %d handled %d value %.4f\n", before == after_v, count, after_v);

  SHOW("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
  SHOW("sigaction bad signal", sigaction(99, &sa, NULL));
  // Ignoring a pending signal discards it.
  sigprocmask(SIG_BLOCK, &block, NULL);
  kill(getpid(), SIGUSR1);
  signal(SIGUSR1, SIG_IGN);
  sigpending(&pending);
  printf("ignored pending discarded: %d\n", !sigismember(&pending, SIGUSR1));
  return 0;
}
