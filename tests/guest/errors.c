// Error codes of the first syscall set, checked in Linux's order.
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include "guest_test.h"

int main(void) {
  char buf[16];
  SHOW("read bad fd", syscall(SYS_read, 99, buf, 1));
  SHOW("write bad fd", syscall(SYS_write, -1, buf, 1));
  SHOW("close bad fd", syscall(SYS_close, 99));
  SHOW("fstat bad fd", syscall(SYS_fstat, 99, buf));
  SHOW("lseek bad whence", syscall(SYS_lseek, 1, 0, 77));
  SHOW("write count 0", syscall(SYS_write, 1, NULL, 0));
  SHOW("writev too many", syscall(SYS_writev, 1, buf, 100000));
  SHOW("uname NULL", syscall(SYS_uname, NULL));
  SHOW("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, buf));
  SHOW("clock_gettime bad ptr", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void*)8));
  SHOW("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
  struct timespec bad = {0, 1000000000};
  SHOW("nanosleep bad nsec", syscall(SYS_nanosleep, &bad, NULL));
  struct timespec neg = {-1, 0};
  SHOW("nanosleep negative", syscall(SYS_nanosleep, &neg, NULL));
  SHOW("rt_sigaction SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, buf, NULL, 8));
  SHOW("rt_sigaction sig 0", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8));
  SHOW("rt_sigaction sig 65", syscall(SYS_rt_sigaction, 65, NULL, NULL, 8));
  SHOW("rt_sigaction bad size", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4));
  SHOW("rt_sigaction query SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, NULL, buf, 8));
  uint64_t set = ~0ULL;
  SHOW("sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8));
  SHOW("sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16));
  SHOW("sigprocmask block all", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
  uint64_t old = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &old, 8);
  printf("KILL and STOP not blockable: %d\n",
         (old & (1ULL << (SIGKILL - 1))) == 0 && (old & (1ULL << (SIGSTOP - 1))) == 0);
  SHOW("prlimit bad resource", syscall(SYS_prlimit64, 0, 99, NULL, buf));
  SHOW("getrlimit bad resource", syscall(SYS_getrlimit, 99, buf));
  struct rlimit inverted = {10, 5};
  SHOW("setrlimit soft > hard", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &inverted, NULL));
  SHOW("getrandom bad flags", syscall(SYS_getrandom, buf, 4, 0x100));
  SHOW("getrandom", syscall(SYS_getrandom, buf, 16, 0));
  SHOW("getrandom bad ptr", syscall(SYS_getrandom, (void*)8, 16, 0));
  stack_t ss = {.ss_sp = buf, .ss_flags = 0, .ss_size = 100};
  SHOW("sigaltstack too small", syscall(SYS_sigaltstack, &ss, NULL));
  ss.ss_flags = 77;
  SHOW("sigaltstack bad flags", syscall(SYS_sigaltstack, &ss, NULL));
  stack_t cur;
  SHOW("sigaltstack query", syscall(SYS_sigaltstack, NULL, &cur));
  printf("altstack disabled: %d\n", cur.ss_flags == SS_DISABLE);
  SHOW("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0));
  SHOW("set_robust_list bad len", syscall(SYS_set_robust_list, buf, 7));
  SHOW("unknown syscall", syscall(1000));
  SHOW("ioctl bad fd", syscall(SYS_ioctl, 99, 0x5401, buf));
  SHOW("sched_getaffinity small", syscall(SYS_sched_getaffinity, 0, 1, buf));
  return 0;
}
