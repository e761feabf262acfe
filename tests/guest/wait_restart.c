// Stopped and continued (SIGSTOP, SIGCONT: no handler runs) while blocked: poll, select and
// ppoll resume their wait transparently, while epoll_wait fails with EINTR (man 7 signal).
#define _GNU_SOURCE
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

// Runs `which` in a child that is stopped and continued while it waits 400 ms.
static void stop_and_continue(const char* label, int which) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    long r = 0;
    errno = 0;
    if (which == 0) {
      r = poll(NULL, 0, 400);
    } else if (which == 1) {
      struct timeval tv = {0, 400000};
      r = select(0, NULL, NULL, NULL, &tv);
    } else if (which == 2) {
      struct timespec ts = {0, 400 * 1000000L};
      r = ppoll(NULL, 0, &ts, NULL);
    } else {
      int ep = epoll_create1(0);
      struct epoll_event ev;
      r = epoll_wait(ep, &ev, 1, 400);
    }
    printf("%s: %ld %s\n", label, r, r < 0 ? guest_errno_name(errno) : "");
    fflush(stdout);
    _exit(0);
  }
  sleep_ms(100);
  kill(child, SIGSTOP);
  int status;
  waitpid(child, &status, WUNTRACED);
  sleep_ms(50);
  kill(child, SIGCONT);
  waitpid(child, &status, 0);
}

int main(void) {
  stop_and_continue("poll", 0);
  stop_and_continue("select", 1);
  stop_and_continue("ppoll", 2);
  stop_and_continue("epoll_wait", 3);
  return 0;
}
