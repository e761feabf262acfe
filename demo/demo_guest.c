// The demo guest: a static program that looks around from inside the sandbox.
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct utsname u;
  uname(&u);
  printf("hello from inside minisentry\n");
  printf("  I am pid %d; my kernel says it is %s %s on %s\n", getpid(), u.sysname, u.release,
         u.machine);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 1000; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1000.0 / 1000;
  printf("  1000 syscalls, each served by the sentry, not the host: %.1f us per call\n", us);
  long r = syscall(1000);
  printf("  an unknown syscall returns %ld (ENOSYS), as on Linux\n", r);
  return 0;
}
