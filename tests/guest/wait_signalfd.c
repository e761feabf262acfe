// signalfd: reading blocked signals (kill, tgkill, sigqueue, SIGCHLD), several per read,
// readiness for poll and epoll, mask changes, argument errors, a reader woken by another
// thread, and a signalfd inherited by a child reading the child's own signals.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_test.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void show_info(const char* label, int fd) {
  struct signalfd_siginfo si;
  errno = 0;
  long n = read(fd, &si, sizeof si);
  if (n < 0) {
    printf("%s: -1 %s\n", label, guest_errno_name(errno));
    return;
  }
  printf("%s: %ld bytes, signo %u code %d from me %d uid ok %d int %d\n", label, n, si.ssi_signo,
         si.ssi_code, si.ssi_pid == (uint32_t)getpid(), si.ssi_uid == (uint32_t)getuid(),
         si.ssi_int);
}

static int readable(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  return p.revents;
}

static void* kill_later(void* arg) {
  sleep_ms(50);
  kill(getpid(), (int)(intptr_t)arg);
  return NULL;
}

int main(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGUSR2);
  sigaddset(&mask, SIGRTMIN);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  uint64_t raw = 1ULL << (SIGUSR1 - 1);
  SHOW("size 4", syscall(SYS_signalfd4, -1, &raw, 4, 0));
  SHOW("size 16", syscall(SYS_signalfd4, -1, &raw, 16, 0));
  SHOW("NULL mask", syscall(SYS_signalfd4, -1, NULL, 8, 0));
  SHOW("bad flags", syscall(SYS_signalfd4, -1, &raw, 8, 1));
  SHOW("closed fd", syscall(SYS_signalfd4, 99, &raw, 8, 0));
  SHOW("fd -2", syscall(SYS_signalfd4, -2, &raw, 8, 0));
  int efd = eventfd(0, 0);
  SHOW("an eventfd", syscall(SYS_signalfd4, efd, &raw, 8, 0));
  close(efd);

  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  printf("nonblocking %d cloexec %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
         fcntl(fd, F_GETFD) == FD_CLOEXEC);
  show_info("nothing pending", fd);
  char small[100];
  SHOW("read 100 bytes", read(fd, small, sizeof small));
  printf("poll before: %#x\n", readable(fd));

  kill(getpid(), SIGUSR1);
  printf("poll after kill: %#x\n", readable(fd));
  show_info("kill", fd);
  printf("poll after read: %#x\n", readable(fd));
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
  show_info("tgkill", fd);

  // Several at once, lowest signal first, real-time ones each with its value.
  union sigval v = {.sival_int = 5};
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 6;
  sigqueue(getpid(), SIGRTMIN, v);
  kill(getpid(), SIGUSR2);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo many[8];
  long n = read(fd, many, sizeof many);
  printf("read many: %ld structs\n", n / (long)sizeof many[0]);
  for (long i = 0; i < n / (long)sizeof many[0]; i++) {
    printf("  signo %u code %d int %d\n", many[i].ssi_signo, many[i].ssi_code, many[i].ssi_int);
  }

  // A new mask for the same descriptor: signals outside it stay pending.
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  SHOW("change mask", signalfd(fd, &only2, 0) == fd);
  kill(getpid(), SIGUSR1);
  printf("poll with SIGUSR1 pending, not in mask: %#x\n", readable(fd));
  kill(getpid(), SIGUSR2);
  show_info("only SIGUSR2", fd);
  sigset_t pending;
  sigpending(&pending);
  printf("SIGUSR1 still pending: %d\n", sigismember(&pending, SIGUSR1));
  signalfd(fd, &mask, 0);
  show_info("SIGUSR1 with the full mask", fd);

  // A child's exit.
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(3);
  int blocking = signalfd(-1, &mask, 0);
  struct signalfd_siginfo si;
  read(blocking, &si, sizeof si);
  printf("SIGCHLD: signo %u code CLD_EXITED %d status %d pid ok %d\n", si.ssi_signo,
         si.ssi_code == CLD_EXITED, si.ssi_status, si.ssi_pid == (uint32_t)child);
  waitpid(child, NULL, 0);

  // A blocked reader woken by a signal sent from another thread.
  pthread_t th;
  pthread_create(&th, NULL, kill_later, (void*)(intptr_t)SIGUSR2);
  show_info("blocking read", blocking);
  pthread_join(th, NULL);

  // Readiness through epoll, woken from another thread.
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 9};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  SHOW("epoll_wait nothing pending", epoll_wait(ep, &ev, 1, 0));
  pthread_create(&th, NULL, kill_later, (void*)(intptr_t)SIGUSR1);
  SHOW("epoll_wait for a signal", epoll_wait(ep, &ev, 1, 5000));
  printf("event %#x data %llu\n", ev.events, (unsigned long long)ev.data.u64);
  pthread_join(th, NULL);
  show_info("read it", fd);
  close(ep);

  // An inherited signalfd reads the child's own signals, not the parent's.
  kill(getpid(), SIGUSR2);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo c;
    long got = read(fd, &c, sizeof c);
    printf("child: %ld bytes signo %u from itself %d\n", got, c.ssi_signo,
           c.ssi_pid == (uint32_t)getpid());
    got = read(fd, &c, sizeof c);
    printf("child: then %ld\n", got);
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  show_info("parent still has SIGUSR2", fd);
  return 0;
}
