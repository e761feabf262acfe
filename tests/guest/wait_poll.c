// poll, ppoll, select and pselect6: readiness bits, POLLNVAL, timeouts and the time left
// written back, argument errors, signal masks swapped for the wait, and interruption by a
// signal (EINTR after a handler, even with SA_RESTART).
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "guest_test.h"

#define MS 1000000LL

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile int handled;
static void on_signal(int sig) {
  (void)sig;
  handled++;
}

static int blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static void arm_alarm_ms(long ms) {
  struct itimerval it = {{0, 0}, {0, ms * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
  int efd = eventfd(0, EFD_NONBLOCK);
  uint64_t one = 1;

  // poll: which bits each file reports, POLLNVAL, negative descriptors.
  struct pollfd p[4] = {
      {efd, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI, 0},
      {99, POLLIN, 0},
      {-1, POLLIN, 0},
      {0, POLLIN | POLLRDNORM | POLLOUT, 0},
  };
  SHOW("poll mixed", poll(p, 4, 0));
  printf("revents: eventfd %#x, closed %#x, negative %#x, stdin (/dev/null) %#x\n", p[0].revents,
         p[1].revents, p[2].revents, p[3].revents);
  p[0].events = POLLIN;
  SHOW("poll empty eventfd for POLLIN", poll(p, 1, 0));
  write(efd, &one, sizeof one);
  SHOW("poll readable eventfd", poll(p, 1, 0));
  printf("revents %#x\n", p[0].revents);
  p[0].events = 0;
  SHOW("poll no events asked", poll(p, 1, 0));
  read(efd, &one, sizeof one);

  long long t0 = now_ns();
  SHOW("poll nothing for 50ms", poll(NULL, 0, 50));
  printf("waited at least 50ms: %d\n", now_ns() - t0 >= 50 * MS);
  p[0].events = POLLIN;
  t0 = now_ns();
  SHOW("poll eventfd for 50ms", poll(p, 1, 50));
  printf("waited at least 50ms: %d\n", now_ns() - t0 >= 50 * MS);

  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  SHOW("poll nfds over RLIMIT_NOFILE", poll(p, (nfds_t)rl.rlim_cur + 1, 0));
  struct pollfd* volatile bad = (struct pollfd*)8;
  SHOW("poll unreadable array", poll(bad, 1, 0));
  SHOW("poll nfds with upper bits", syscall(SYS_poll, p, 0x100000000ULL | 1, 0));

  // ppoll: the time left is written back (seen through the raw syscall: libc copies it).
  struct timespec ts = {0, 60 * MS};
  SHOW("ppoll timeout", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
  printf("time left after a timeout: %ld %ld\n", (long)ts.tv_sec, ts.tv_nsec);
  write(efd, &one, sizeof one);
  ts.tv_sec = 5;
  ts.tv_nsec = 0;
  SHOW("ppoll ready", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
  printf("time left in (4s, 5s]: %d\n", ts.tv_sec == 4 || (ts.tv_sec == 5 && ts.tv_nsec == 0));
  read(efd, &one, sizeof one);
  ts.tv_nsec = 1000000000;
  SHOW("ppoll tv_nsec 1e9", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
  ts.tv_sec = -1;
  ts.tv_nsec = 0;
  SHOW("ppoll negative", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
  uint64_t raw_mask = 0;
  SHOW("ppoll sigsetsize 4", syscall(SYS_ppoll, p, 1, NULL, &raw_mask, 4));
  SHOW("ppoll unreadable mask", syscall(SYS_ppoll, p, 1, NULL, (void*)8, 8));
  ts.tv_sec = 0;
  SHOW("ppoll unreadable timeout", syscall(SYS_ppoll, p, 1, (void*)8, NULL, 8));

  // ppoll's mask: SIGUSR1 is blocked and pending; a wait that unblocks it runs the handler
  // and fails with EINTR; the caller's mask is back afterwards.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1, empty;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  raise(SIGUSR1);
  ts.tv_sec = 5;
  SHOW("ppoll unblocking a pending signal", ppoll(p, 1, &ts, &empty));
  printf("handled %d, blocked again %d\n", handled, blocked(SIGUSR1));
  // Ready descriptors win over the signal: the mask is restored at once and the signal
  // stays pending.
  raise(SIGUSR1);
  write(efd, &one, sizeof one);
  SHOW("ppoll ready with a pending signal", ppoll(p, 1, &ts, &empty));
  printf("handled %d, still pending %d\n", handled, handled == 1);
  read(efd, &one, sizeof one);
  ts.tv_sec = 0;
  ts.tv_nsec = 0;
  SHOW("ppoll zero timeout with a pending signal", ppoll(p, 1, &ts, &empty));
  printf("handled %d\n", handled);
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);

  // select.
  fd_set rd, wr, ex;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_ZERO(&ex);
  FD_SET(efd, &rd);
  FD_SET(efd, &wr);
  FD_SET(efd, &ex);
  SHOW("select empty eventfd", select(efd + 1, &rd, &wr, &ex, NULL));
  printf("readable %d writable %d exceptional %d\n", FD_ISSET(efd, &rd), FD_ISSET(efd, &wr),
         FD_ISSET(efd, &ex));
  write(efd, &one, sizeof one);
  FD_ZERO(&rd);
  FD_SET(efd, &rd);
  FD_SET(0, &rd);
  FD_ZERO(&wr);
  FD_SET(efd, &wr);
  SHOW("select readable eventfd and stdin", select(efd + 1, &rd, &wr, NULL, NULL));
  read(efd, &one, sizeof one);
  FD_ZERO(&rd);
  FD_SET(efd, &rd);
  struct timeval tv = {0, 40000};
  t0 = now_ns();
  SHOW("select timeout", syscall(SYS_select, efd + 1, &rd, NULL, NULL, &tv));
  printf("waited at least 40ms: %d, time left %ld %ld, set cleared %d\n", now_ns() - t0 >= 40 * MS,
         (long)tv.tv_sec, (long)tv.tv_usec, !FD_ISSET(efd, &rd));
  // (Below 64: how far beyond that Linux looks depends on the descriptor table the process
  // inherited.)
  FD_ZERO(&rd);
  FD_SET(60, &rd);
  SHOW("select a closed descriptor", select(61, &rd, NULL, NULL, NULL));
  SHOW("select n < 0", select(-1, NULL, NULL, NULL, NULL));
  tv.tv_sec = 0;
  tv.tv_usec = -1;
  SHOW("select negative usec", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
  tv.tv_sec = 1;
  tv.tv_usec = -1000000;
  SHOW("select 1s minus 1s", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
  SHOW("select unreadable set", select(efd + 1, (fd_set*)8, NULL, NULL, NULL));
  // n beyond the descriptor table is cut to its size (nr_open at most), so only that much is
  // read and written.
  static uint64_t words[(1 << 20) / 64];
  words[0] = 1ULL << efd;
  write(efd, &one, sizeof one);
  SHOW("select n far beyond the table", syscall(SYS_select, 1 << 20, words, NULL, NULL, NULL));
  read(efd, &one, sizeof one);

  // pselect6: its sixth argument points at {mask, size}.
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  raise(SIGUSR1);
  struct {
    const void* mask;
    size_t size;
  } arg = {&raw_mask, 8};
  ts.tv_sec = 5;
  ts.tv_nsec = 0;
  FD_ZERO(&rd);
  FD_SET(efd, &rd);
  SHOW("pselect6 unblocking a pending signal",
       syscall(SYS_pselect6, efd + 1, &rd, NULL, NULL, &ts, &arg));
  printf("handled %d, blocked again %d, time left in (4s, 5s]: %d\n", handled, blocked(SIGUSR1),
         ts.tv_sec == 4 || (ts.tv_sec == 5 && ts.tv_nsec == 0));
  arg.size = 4;
  SHOW("pselect6 sigsetsize 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, NULL, &arg));
  SHOW("pselect6 unreadable argument", syscall(SYS_pselect6, 0, NULL, NULL, NULL, NULL, (void*)8));
  arg.mask = NULL;
  ts.tv_sec = 0;
  ts.tv_nsec = 10 * MS;
  SHOW("pselect6 no mask", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &arg));
  printf("time left %ld %ld\n", (long)ts.tv_sec, ts.tv_nsec);
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);

  // A handler interrupts poll and select with EINTR, SA_RESTART or not.
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  arm_alarm_ms(30);
  SHOW("poll interrupted (SA_RESTART)", poll(NULL, 0, 5000));
  arm_alarm_ms(30);
  SHOW("select interrupted (SA_RESTART)", select(0, NULL, NULL, NULL, NULL));
  tv.tv_sec = 5;
  tv.tv_usec = 0;
  arm_alarm_ms(30);
  SHOW("select with timeout interrupted", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
  printf("time left in (4s, 5s): %d\n", tv.tv_sec == 4);
  printf("handled %d\n", handled);
  return 0;
}
