// epoll: level- and edge-triggered items, one-shot, the ready-list order, nested instances
// and their limits, how long a registration lives (closing one of two descriptors, closing
// the last one), epoll_pwait/epoll_pwait2 masks and timeouts, and argument errors in
// Linux's order.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_test.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static int ep;

static void add(int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
    printf("add %d failed: %s\n", fd, guest_errno_name(errno));
}

// One epoll_wait, printed as "label: n [data:events ...]".
static void wait_show(const char* label, int epfd, int max, int timeout) {
  struct epoll_event evs[16];
  errno = 0;
  int n = epoll_wait(epfd, evs, max, timeout);
  if (n < 0) {
    printf("%s: -1 %s\n", label, guest_errno_name(errno));
    return;
  }
  printf("%s: %d", label, n);
  for (int i = 0; i < n; i++)
    printf(" %llu:%#x", (unsigned long long)evs[i].data.u64, evs[i].events);
  printf("\n");
}

static void bump(int fd) {
  uint64_t one = 1;
  write(fd, &one, sizeof one);
}

static void drain(int fd) {
  uint64_t v;
  read(fd, &v, sizeof v);
}

static volatile int handled;
static void on_usr1(int sig) {
  (void)sig;
  handled++;
}

int main(void) {
  // (musl's epoll_create ignores its size; glibc passes it to the kernel.)
  SHOW_OK("epoll_create(0)", epoll_create(0));
  SHOW_OK("epoll_create(-1)", epoll_create(-1));
  SHOW_OK("raw epoll_create(0)", syscall(SYS_epoll_create, 0));
  SHOW("epoll_create1(bad flags)", epoll_create1(1));
  int e1 = epoll_create(1);
  printf("epoll_create: cloexec %d\n", fcntl(e1, F_GETFD));
  close(e1);
  ep = epoll_create1(EPOLL_CLOEXEC);
  printf("epoll_create1(EPOLL_CLOEXEC): cloexec %d, flags O_RDWR %d\n", fcntl(ep, F_GETFD),
         (fcntl(ep, F_GETFL) & O_ACCMODE) == O_RDWR);

  // Level-triggered: reported while ready.
  int lt = eventfd(0, EFD_NONBLOCK);
  add(lt, EPOLLIN, 1);
  wait_show("LT idle", ep, 8, 0);
  bump(lt);
  wait_show("LT ready", ep, 8, 0);
  wait_show("LT still ready", ep, 8, 0);
  drain(lt);
  wait_show("LT drained", ep, 8, 0);

  // Edge-triggered: once per event, even while still ready.
  int et = eventfd(0, EFD_NONBLOCK);
  add(et, EPOLLIN | EPOLLET, 2);
  bump(et);
  wait_show("ET event", ep, 8, 0);
  wait_show("ET no new event", ep, 8, 0);
  bump(et);
  wait_show("ET new event", ep, 8, 0);
  drain(et);

  // One-shot: disabled after one report until EPOLL_CTL_MOD.
  int os = eventfd(0, EFD_NONBLOCK);
  add(os, EPOLLIN | EPOLLONESHOT, 3);
  bump(os);
  wait_show("ONESHOT first", ep, 8, 0);
  bump(os);
  wait_show("ONESHOT disabled", ep, 8, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 33};
  SHOW("MOD rearms", epoll_ctl(ep, EPOLL_CTL_MOD, os, &ev));
  wait_show("ONESHOT rearmed", ep, 8, 0);
  drain(os);

  // Several ready items, fewer slots: level-triggered items take turns.
  bump(lt);
  bump(os);
  ev.events = EPOLLIN;
  ev.data.u64 = 3;
  epoll_ctl(ep, EPOLL_CTL_MOD, os, &ev);
  bump(et);
  wait_show("one slot", ep, 1, 0);
  wait_show("one slot again", ep, 1, 0);
  wait_show("one slot again", ep, 1, 0);
  wait_show("all", ep, 8, 0);
  drain(lt);
  drain(os);
  drain(et);

  // Events asked for, plus EPOLLERR and EPOLLHUP always.
  int rw = eventfd(0, EFD_NONBLOCK);
  add(rw, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLWAKEUP, 4);
  wait_show("writable", ep, 8, 0);
  bump(rw);
  wait_show("readable and writable", ep, 8, 0);
  ev.events = 0;
  ev.data.u64 = 4;
  SHOW("MOD to no events", epoll_ctl(ep, EPOLL_CTL_MOD, rw, &ev));
  wait_show("nothing asked", ep, 8, 0);
  SHOW("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, rw, NULL));
  SHOW("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, rw, NULL));

  // ctl errors, in Linux's order.
  ev.events = EPOLLIN;
  SHOW("ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, lt, &ev));
  SHOW("MOD unknown", epoll_ctl(ep, EPOLL_CTL_MOD, rw, &ev));
  SHOW("bad op", epoll_ctl(ep, 99, lt, &ev));
  SHOW("bad op, NULL event", epoll_ctl(ep, 99, lt, NULL));
  SHOW("ADD NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, rw, NULL));
  SHOW("ADD NULL event, bad epfd", epoll_ctl(99, EPOLL_CTL_ADD, rw, NULL));
  SHOW("bad epfd", epoll_ctl(99, EPOLL_CTL_ADD, rw, &ev));
  SHOW("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
  SHOW("stdin (/dev/null cannot be polled)", epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev));
  SHOW("epfd is not epoll", epoll_ctl(rw, EPOLL_CTL_ADD, lt, &ev));
  SHOW("itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  SHOW("EXCLUSIVE with MOD", epoll_ctl(ep, EPOLL_CTL_MOD, lt, &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  SHOW("EXCLUSIVE with ONESHOT", epoll_ctl(ep, EPOLL_CTL_ADD, rw, &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
  SHOW("EXCLUSIVE with RDHUP", epoll_ctl(ep, EPOLL_CTL_ADD, rw, &ev));
  int inner = epoll_create1(0);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  SHOW("EXCLUSIVE on an epoll", epoll_ctl(ep, EPOLL_CTL_ADD, inner, &ev));
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE;
  SHOW("EXCLUSIVE ok", epoll_ctl(ep, EPOLL_CTL_ADD, rw, &ev));
  ev.events = EPOLLIN;
  SHOW("MOD an EXCLUSIVE item", epoll_ctl(ep, EPOLL_CTL_MOD, rw, &ev));
  SHOW("DEL an EXCLUSIVE item", epoll_ctl(ep, EPOLL_CTL_DEL, rw, NULL));

  // wait errors.
  struct epoll_event out[4];
  // Hostile values through volatile variables, so that the compiler does not object.
  volatile int negative = -1, huge = 0x7fffffff;
  struct epoll_event* volatile null_events = NULL;
  SHOW("maxevents 0", epoll_wait(ep, out, 0, 0));
  SHOW("maxevents -1", epoll_wait(ep, out, negative, 0));
  SHOW("maxevents too large", epoll_wait(ep, out, huge, 0));
  SHOW("maxevents too large, bad epfd", epoll_wait(99, out, huge, 0));
  SHOW("bad epfd", epoll_wait(99, out, 4, 0));
  SHOW("not an epoll", epoll_wait(lt, out, 4, 0));
  SHOW("buffer beyond user space", epoll_wait(ep, (struct epoll_event*)0x7ffffffff000, 4, 0));
  SHOW("NULL buffer, nothing ready", epoll_wait(ep, null_events, 4, 0));
  bump(lt);
  SHOW("NULL buffer, one ready", epoll_wait(ep, null_events, 4, 0));
  wait_show("the event was kept", ep, 8, 0);
  drain(lt);

  // Nested: an epoll instance watching another one.
  add(inner, EPOLLIN, 5);
  struct epoll_event iev = {.events = EPOLLIN, .data.u64 = 50};
  int nested_fd = eventfd(0, EFD_NONBLOCK);
  epoll_ctl(inner, EPOLL_CTL_ADD, nested_fd, &iev);
  wait_show("outer, inner idle", ep, 8, 0);
  struct pollfd p = {inner, POLLIN | POLLOUT, 0};
  SHOW("poll inner idle", poll(&p, 1, 0));
  bump(nested_fd);
  wait_show("outer sees inner ready", ep, 8, 0);
  SHOW("poll inner ready", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  wait_show("inner", inner, 8, 0);
  drain(nested_fd);
  wait_show("outer, inner drained", ep, 8, 0);
  SHOW("cycle", epoll_ctl(inner, EPOLL_CTL_ADD, ep, &ev));
  // Depth: a chain of instances, each watching the previous one.
  int chain[10];
  chain[0] = epoll_create1(0);
  for (int i = 1; i < 10; i++) {
    chain[i] = epoll_create1(0);
    struct epoll_event cev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    errno = 0;
    int r = epoll_ctl(chain[i], EPOLL_CTL_ADD, chain[i - 1], &cev);
    printf("chain level %d: %d %s\n", i, r, r == 0 ? "" : guest_errno_name(errno));
  }
  // Adding a file under a chain of watched instances counts the wakeup paths up from it.
  int deep = eventfd(0, 0);
  for (int i = 0; i < 7; i++) {
    struct epoll_event cev = {.events = EPOLLIN, .data.u64 = 100};
    errno = 0;
    int r = epoll_ctl(chain[i], EPOLL_CTL_ADD, deep, &cev);
    printf("file under level %d: %d %s\n", i, r, r == 0 ? "" : guest_errno_name(errno));
  }
  for (int i = 0; i < 10; i++)
    close(chain[i]);
  close(deep);

  // A registration is for the open file description and the descriptor number: it outlives
  // the number being closed while another descriptor keeps the description alive...
  int a = eventfd(0, EFD_NONBLOCK);
  add(a, EPOLLIN, 6);
  int b = dup(a);
  close(a);
  bump(b);
  wait_show("closed fd, description alive", ep, 8, 0);
  ev.events = EPOLLIN;
  SHOW("DEL by the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL));
  SHOW("ADD the other number", epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
  // ...and ends with the last descriptor.
  close(b);
  wait_show("description gone", ep, 8, 0);
  int c = eventfd(1, EFD_NONBLOCK);
  printf("same number reused: %d\n", c == a || c == b);
  ev.data.u64 = 7;
  SHOW("ADD a new file at an old number", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
  wait_show("new file", ep, 8, 0);
  SHOW("DEL it", epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
  SHOW("lseek", lseek(ep, 0, SEEK_SET));
  SHOW("read an epoll fd", read(ep, out, sizeof out));

  // epoll_wait timeouts.
  wait_show("timeout 30ms", ep, 8, 30);
  struct timespec ts = {0, 20000000};
  SHOW("epoll_pwait2 20ms", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
  ts.tv_nsec = 1000000000;
  SHOW("epoll_pwait2 tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
  SHOW("epoll_pwait2 bad timeout pointer",
       syscall(SYS_epoll_pwait2, ep, out, 4, (void*)8, NULL, 8));
  uint64_t raw = 0;
  SHOW("epoll_pwait sigsetsize 4", syscall(SYS_epoll_pwait, ep, out, 4, 0, &raw, 4));
  SHOW("epoll_pwait sigsetsize 4, maxevents 0", syscall(SYS_epoll_pwait, ep, out, 0, 0, &raw, 4));

  // epoll_pwait's mask: a pending SIGUSR1 unblocked for the wait runs its handler (EINTR);
  // with events ready it stays pending.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1, empty, cur;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  raise(SIGUSR1);
  bump(c);
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  SHOW("epoll_pwait, event and pending signal", epoll_pwait(ep, out, 4, 1000, &empty));
  printf("handled %d\n", handled);
  epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
  SHOW("epoll_pwait, pending signal", epoll_pwait(ep, out, 4, 1000, &empty));
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("handled %d, blocked again %d\n", handled, sigismember(&cur, SIGUSR1));
  raise(SIGUSR1);
  SHOW("epoll_pwait zero timeout, pending signal", epoll_pwait(ep, out, 4, 0, &empty));
  printf("handled %d\n", handled);
  raise(SIGUSR1);
  ts.tv_sec = 1;
  ts.tv_nsec = 0;
  SHOW("epoll_pwait2, pending signal", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, &raw, 8));
  printf("handled %d\n", handled);
  return 0;
}
