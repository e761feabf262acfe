// fork/wait: exit codes and death by signal as wait status encodings, WNOHANG, rusage,
// waitid, ECHILD, and the parent/child ids.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_test.h"

static void show_status(const char* label, int st) {
  printf("%s: exited=%d code=%d signaled=%d sig=%d core=%d\n", label, WIFEXITED(st),
         WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1,
         WIFSIGNALED(st) ? WCOREDUMP(st) != 0 : 0);
}

static int run_child(int how) {
  pid_t p = fork();
  if (p == 0) {
    switch (how) {
      case 0:
        _exit(0);
      case 1:
        _exit(1);
      case 2:
        _exit(255);
      case 3:
        exit(300);  // only the low byte survives
      case 4:
        raise(SIGTERM);
        break;
      case 5:
        raise(SIGKILL);
        break;
      case 6:
        *(volatile int*)0 = 1;
        break;
      case 7:
        abort();
      case 8:
        kill(getpid(), SIGUSR1);
        break;
    }
    _exit(99);
  }
  int st = 0;
  pid_t w = waitpid(p, &st, 0);
  if (w != p) printf("waitpid returned the wrong pid\n");
  return st;
}

int main(void) {
  // No core files: the status then says "no core dumped" natively too.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  const char* names[] = {"exit 0",  "exit 1",  "exit 255", "exit 300", "SIGTERM",
                         "SIGKILL", "SIGSEGV", "abort",    "SIGUSR1"};
  for (int i = 0; i < 9; i++)
    show_status(names[i], run_child(i));

  SHOW("wait with no children", wait(NULL));
  SHOW("waitpid bad options", waitpid(-1, NULL, 0x1000));

  // WNOHANG before the child is done, then a blocking wait.
  int pipe_like[2];
  (void)pipe_like;
  pid_t p = fork();
  if (p == 0) {
    struct timespec d = {0, 50 * 1000 * 1000};
    nanosleep(&d, NULL);
    _exit(5);
  }
  int st = 0;
  SHOW("WNOHANG while running", waitpid(p, &st, WNOHANG));
  printf("blocking wait gets child: %d\n", waitpid(p, &st, 0) == p);
  show_status("after sleep", st);

  // waitid with WNOWAIT leaves the zombie for a second wait.
  p = fork();
  if (p == 0) _exit(42);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  SHOW("waitid WNOWAIT", waitid(P_PID, p, &si, WEXITED | WNOWAIT));
  printf("si_code CLD_EXITED %d status %d pid ok %d\n", si.si_code == CLD_EXITED, si.si_status,
         si.si_pid == p);
  memset(&si, 0, sizeof si);
  SHOW("waitid again", waitid(P_ALL, 0, &si, WEXITED));
  printf("status %d\n", si.si_status);
  SHOW("waitid no flags", waitid(P_ALL, 0, &si, 0));
  SHOW("waitid bad idtype", waitid(77, 0, &si, WEXITED));
  memset(&si, 0xff, sizeof si);
  p = fork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  SHOW("waitid WNOHANG nothing", waitid(P_PID, p, &si, WEXITED | WNOHANG));
  printf("si_pid zeroed %d\n", si.si_pid == 0);
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  show_status("killed while paused", st);

  // The child's view of its parent, and wait4's rusage.
  pid_t me = getpid();
  p = fork();
  if (p == 0) _exit(getppid() == me ? 0 : 1);
  struct rusage ru;
  SHOW_OK("wait4 with rusage", wait4(p, &st, 0, &ru));
  show_status("child saw its parent", st);
  return 0;
}
