// Waiting on pipes and on files that cannot be polled: poll/select/epoll readiness of both
// ends (data, room, hang-up, error), level and edge triggering, wakeups from another
// process, and EPERM from epoll for regular files and directories (always ready for poll).
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_test.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int revents(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  poll(&p, 1, 0);
  return p.revents;
}

static void wait_show(const char* label, int ep, int timeout) {
  struct epoll_event evs[4];
  errno = 0;
  int n = epoll_wait(ep, evs, 4, timeout);
  if (n < 0) {
    printf("%s: -1 %s\n", label, guest_errno_name(errno));
    return;
  }
  printf("%s: %d", label, n);
  for (int i = 0; i < n; i++)
    printf(" %llu:%#x", (unsigned long long)evs[i].data.u64, evs[i].events);
  printf("\n");
}

static const short kAll = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI | POLLRDHUP;

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  pipe2(p, O_NONBLOCK);
  char buf[256];

  // poll on both ends.
  printf("empty: read end %#x, write end %#x\n", revents(p[0], kAll), revents(p[1], kAll));
  write(p[1], "0123456789", 10);
  printf("data: read end %#x\n", revents(p[0], kAll));
  // Full: the write end is no longer writable.
  while (write(p[1], buf, sizeof buf) > 0) {
  }
  printf("full: write end %#x\n", revents(p[1], kAll));
  while (read(p[0], buf, sizeof buf) > 0) {
  }
  printf("drained: read end %#x, write end %#x\n", revents(p[0], kAll), revents(p[1], kAll));

  // select.
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(p[0], &rd);
  FD_SET(p[1], &wr);
  SHOW("select empty pipe", select(p[1] + 1, &rd, &wr, NULL, NULL));
  printf("readable %d writable %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));

  // epoll, level- and edge-triggered, on the read end.
  int ep = epoll_create1(0);
  int ep_et = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 1};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 2;
  epoll_ctl(ep_et, EPOLL_CTL_ADD, p[0], &ev);
  wait_show("LT empty", ep, 0);
  wait_show("ET empty", ep_et, 0);
  write(p[1], "abcdef", 6);
  wait_show("LT data", ep, 0);
  wait_show("ET data", ep_et, 0);
  read(p[0], buf, 3);
  wait_show("LT half read", ep, 0);
  wait_show("ET half read", ep_et, 0);
  write(p[1], "gh", 2);
  wait_show("ET more data", ep_et, 0);
  read(p[0], buf, sizeof buf);
  wait_show("LT drained", ep, 0);

  // The write end in an epoll set: writable until full.
  ev.events = EPOLLOUT;
  ev.data.u64 = 3;
  int ep_out = epoll_create1(0);
  epoll_ctl(ep_out, EPOLL_CTL_ADD, p[1], &ev);
  wait_show("write end", ep_out, 0);
  while (write(p[1], buf, sizeof buf) > 0) {
  }
  wait_show("write end full", ep_out, 0);
  read(p[0], buf, sizeof buf);
  wait_show("write end after one read", ep_out, 0);
  while (read(p[0], buf, sizeof buf) > 0) {
  }

  // Another process writes while this one waits; then closes its end: hang-up.
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    sleep_ms(50);
    write(p[1], "x", 1);
    sleep_ms(50);
    _exit(0);
  }
  close(p[1]);
  wait_show("LT woken by another process", ep, 5000);
  read(p[0], buf, sizeof buf);
  wait_show("LT after the writer left", ep, 5000);
  struct pollfd pf = {p[0], POLLIN, 0};
  SHOW("poll after the writer left", poll(&pf, 1, 5000));
  printf("revents %#x\n", pf.revents);
  waitpid(child, NULL, 0);

  // The write end once the reader is gone: POLLERR, EPIPE.
  int q[2];
  pipe(q);
  close(q[0]);
  printf("no reader: write end %#x\n", revents(q[1], kAll));
  SHOW("write with no reader", write(q[1], "x", 1));
  close(q[1]);

  // A blocked poll woken by a write from a thread of another process.
  int r[2];
  pipe(r);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    sleep_ms(50);
    write(r[1], "y", 1);
    _exit(0);
  }
  pf.fd = r[0];
  pf.events = POLLIN;
  SHOW("poll for another process's write", poll(&pf, 1, 5000));
  printf("revents %#x\n", pf.revents);
  waitpid(child, NULL, 0);

  // Files that cannot be polled: epoll refuses them; poll and select see them ready.
  int file = open("waitfile", O_CREAT | O_RDWR | O_TRUNC, 0600);
  ev.events = EPOLLIN;
  SHOW("epoll_ctl regular file", epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev));
  printf("regular file: %#x\n", revents(file, kAll));
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(file, &rd);
  FD_SET(file, &wr);
  SHOW("select regular file", select(file + 1, &rd, &wr, NULL, NULL));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("epoll_ctl directory", epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev));
  printf("directory: %#x\n", revents(dir, kAll));
  unlink("waitfile");
  return 0;
}
