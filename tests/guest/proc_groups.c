// Process groups and sessions, and orphans adopted by a subreaper.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_test.h"

int main(void) {
  // Become the subreaper so that orphans come here natively and in the sandbox alike.
  SHOW("subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
  int v = 0;
  prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
  printf("subreaper flag %d\n", v);
  pid_t me = getpid();

  pid_t p = fork();
  if (p == 0) {
    printf("child pgid is parent's: %d\n", getpgid(0) == getpgid(me));
    printf("setpgid self: %ld\n", (long)setpgid(0, 0));
    printf("now group leader: %d\n", getpgrp() == getpid());
    printf("setsid as group leader: %ld errno %s\n", (long)setsid(), guest_errno_name(errno));
    fflush(stdout);
    pid_t q = fork();
    if (q == 0) {
      pid_t s = setsid();
      int leader_err = setpgid(0, 0) == -1 ? errno : 0;
      // Wait to be orphaned (the parent prints nothing meanwhile), then report.
      while (getppid() != me) {
        struct timespec d = {0, 10 * 1000 * 1000};
        nanosleep(&d, NULL);
      }
      printf("grandchild setsid ok: %d sid==pid %d pgid==pid %d\n", s == getpid(),
             getsid(0) == getpid(), getpgrp() == getpid());
      printf("setpgid of a session leader: %s\n", guest_errno_name(leader_err));
      printf("orphan adopted by the subreaper\n");
      fflush(stdout);
      _exit(0);
    }
    _exit(0);
  }
  int st, st2;
  waitpid(p, &st, 0);
  pid_t orphan = wait(&st2);
  printf("child exited %d\n", WEXITSTATUS(st));
  printf("reaped the orphan: %d exit %d\n", orphan > 0, WEXITSTATUS(st2));

  SHOW("setpgid negative", setpgid(0, -1));
  SHOW("setpgid unknown pid", setpgid(99999, 0));
  SHOW("getpgid unknown", getpgid(99999));
  SHOW("getsid unknown", getsid(99999));
  p = fork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  SHOW("setpgid child into own group", setpgid(p, p));
  printf("child group is its pid: %d\n", getpgid(p) == p);
  SHOW("kill the child's group", kill(-p, SIGTERM));
  waitpid(p, &st, 0);
  printf("child killed by %d\n", WTERMSIG(st));
  SHOW("kill missing group", kill(-99999, SIGTERM));
  SHOW("kill bad signal", kill(getpid(), 99));
  SHOW("kill signal 0 to self", kill(getpid(), 0));
  return 0;
}
