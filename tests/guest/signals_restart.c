// A blocking pipe read interrupted by SIGALRM: EINTR without SA_RESTART, transparently
// restarted with it; and job control: a child stopped and continued, seen by waitpid with
// WUNTRACED and WCONTINUED, and by SIGCHLD's si_code.
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_test.h"

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static volatile int chld_code[8];
static volatile int chld_count;
static void on_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  if (chld_count < 8) chld_code[chld_count] = si->si_code;
  chld_count++;
}

// Reads one byte from a pipe whose writer sends it after `delay_ms`, with an alarm due
// earlier.
static void interrupted_read(const char* label, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = flags;
  sigaction(SIGALRM, &sa, NULL);
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t writer = fork();
  if (writer == 0) {
    close(p[0]);
    struct timespec d = {0, 300 * 1000 * 1000};
    nanosleep(&d, NULL);
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  alarms = 0;
  struct itimerval it = {{0, 0}, {0, 50 * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
  char c = 0;
  errno = 0;
  ssize_t n = read(p[0], &c, 1);
  printf("%s: read returned %zd (%s) after %d alarm(s), byte %c\n", label, n,
         n < 0 ? guest_errno_name(errno) : "ok", alarms, n == 1 ? c : '-');
  waitpid(writer, NULL, 0);
  close(p[0]);
}

int main(void) {
  interrupted_read("without SA_RESTART", 0);
  interrupted_read("with SA_RESTART", SA_RESTART);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (;;)
      pause();
  }
  int st = 0;
  kill(child, SIGSTOP);
  pid_t w = waitpid(child, &st, WUNTRACED);
  printf("stopped: pid ok %d WIFSTOPPED %d sig %d\n", w == child, WIFSTOPPED(st),
         WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
  SHOW("second WUNTRACED wait reports nothing", waitpid(child, &st, WUNTRACED | WNOHANG));
  kill(child, SIGCONT);
  w = waitpid(child, &st, WCONTINUED);
  printf("continued: pid ok %d WIFCONTINUED %d\n", w == child, WIFCONTINUED(st));
  kill(child, SIGTSTP);
  waitpid(child, &st, WUNTRACED);
  printf("SIGTSTP stops too: %d sig %d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(child, SIGKILL);  // a stopped process still dies of SIGKILL
  waitpid(child, &st, 0);
  printf("killed while stopped: %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  // Later notifications may coalesce (SIGCHLD is not queued): only the first two and the
  // last are certain.
  printf("SIGCHLD codes: stopped %d, continued %d, last killed %d\n", chld_code[0] == CLD_STOPPED,
         chld_code[1] == CLD_CONTINUED,
         chld_count > 0 && chld_count <= 8 && chld_code[chld_count - 1] == CLD_KILLED);
  return 0;
}
