// timerfd: one-shot and periodic expirations, overruns counted when read, gettime and the
// old setting from settime, absolute times, argument errors, and a read interrupted by a
// signal (restarted with SA_RESTART, EINTR without).
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "guest_test.h"

#define MS 1000000L
// Not in glibc's <sys/timerfd.h>.
#define SET_TICKS _IOW('T', 0, uint64_t)

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * MS};
  nanosleep(&ts, NULL);
}

static long long ns(struct timespec t) {
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct itimerspec spec(long value_ms, long interval_ms) {
  struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * MS},
                         {value_ms / 1000, (value_ms % 1000) * MS}};
  return s;
}

// Reads the expiration count; -1 with errno on failure.
static long long ticks(int fd) {
  uint64_t v = 0;
  if (read(fd, &v, sizeof v) < 0) return -1;
  return (long long)v;
}

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

int main(void) {
  SHOW("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  SHOW("bad clock number", timerfd_create(12345, 0));
  SHOW("bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
  int alarm_fd = timerfd_create(CLOCK_BOOTTIME_ALARM, 0);
  printf("alarm clock allowed for root only: %d\n",
         (alarm_fd >= 0) == (geteuid() == 0) && (alarm_fd >= 0 || errno == EPERM));
  if (alarm_fd >= 0) close(alarm_fd);

  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  printf("nonblocking %d cloexec %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
         fcntl(fd, F_GETFD) == FD_CLOEXEC);
  SHOW("read disarmed", ticks(fd));
  char small[4];
  SHOW("read 4 bytes", read(fd, small, sizeof small));
  SHOW("write", write(fd, small, sizeof small));
  struct itimerspec cur;
  SHOW("gettime disarmed", timerfd_gettime(fd, &cur));
  printf("disarmed: %ld %ld %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
         (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);

  // One-shot.
  struct itimerspec s = spec(30, 0);
  SHOW("settime 30ms", timerfd_settime(fd, 0, &s, NULL));
  SHOW("read before expiry", ticks(fd));
  sleep_ms(60);
  SHOW("read after expiry", ticks(fd));
  SHOW("read again", ticks(fd));
  timerfd_gettime(fd, &cur);
  printf("after a one-shot: value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  // Settime reports the old setting; gettime counts down.
  s = spec(5000, 250);
  timerfd_settime(fd, 0, &s, NULL);
  struct itimerspec old;
  s = spec(0, 0);
  SHOW("disarm", timerfd_settime(fd, 0, &s, &old));
  printf("old value in (4.5s, 5s]: %d, old interval %ld.%09ld\n",
         ns(old.it_value) > 4500 * MS && ns(old.it_value) <= 5000 * MS,
         (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
  s = spec(2000, 0);
  timerfd_settime(fd, 0, &s, NULL);
  timerfd_gettime(fd, &cur);
  printf("gettime in (1.5s, 2s]: %d\n",
         ns(cur.it_value) > 1500 * MS && ns(cur.it_value) <= 2000 * MS);

  // Unread expirations are dropped by a new setting.
  s = spec(10, 0);
  timerfd_settime(fd, 0, &s, NULL);
  sleep_ms(40);
  s = spec(0, 0);
  timerfd_settime(fd, 0, &s, NULL);
  SHOW("read after reset", ticks(fd));

  // Periodic: every period that passed is counted by one read.
  s = spec(20, 20);
  timerfd_settime(fd, 0, &s, NULL);
  sleep_ms(110);
  long long n = ticks(fd);
  printf("periodic 20ms after 110ms: between 4 and 6: %d\n", n >= 4 && n <= 6);
  timerfd_gettime(fd, &cur);
  printf("next period within 20ms: %d, interval %ld\n", ns(cur.it_value) <= 20 * MS,
         cur.it_interval.tv_nsec);
  close(fd);

  // Absolute time 10.5s in the past with a 1s period: fires at once, with ten overruns.
  fd = timerfd_create(CLOCK_REALTIME, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  s.it_interval.tv_sec = 1;
  s.it_interval.tv_nsec = 0;
  long long past = ns(now) - 10500 * MS;
  s.it_value.tv_sec = past / 1000000000LL;
  s.it_value.tv_nsec = past % 1000000000LL;
  SHOW("settime absolute past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL));
  SHOW("overruns", ticks(fd));
  timerfd_gettime(fd, &cur);
  printf("next period in (0.4s, 0.5s]: %d\n",
         ns(cur.it_value) > 400 * MS && ns(cur.it_value) <= 500 * MS);
  // Cancel-on-set is accepted for absolute realtime timers.
  clock_gettime(CLOCK_REALTIME, &now);
  long long soon = ns(now) + 20 * MS;
  s.it_interval.tv_sec = 0;
  s.it_value.tv_sec = soon / 1000000000LL;
  s.it_value.tv_nsec = soon % 1000000000LL;
  SHOW("settime cancel-on-set",
       timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL));
  SHOW("blocking read", ticks(fd));
  close(fd);

  // Argument errors.
  fd = timerfd_create(CLOCK_MONOTONIC, 0);
  s = spec(10, 0);
  s.it_value.tv_nsec = 1000000000;
  SHOW("tv_nsec 1e9", timerfd_settime(fd, 0, &s, NULL));
  s = spec(10, 0);
  s.it_interval.tv_sec = -1;
  SHOW("negative interval", timerfd_settime(fd, 0, &s, NULL));
  s = spec(10, 0);
  SHOW("bad flags", timerfd_settime(fd, 4, &s, NULL));
  SHOW("NULL new value", timerfd_settime(fd, 0, NULL, NULL));
  int efd = eventfd(0, 0);
  SHOW("settime on an eventfd", timerfd_settime(efd, 0, &s, NULL));
  SHOW("gettime on an eventfd", timerfd_gettime(efd, &cur));
  SHOW("settime on a closed fd", timerfd_settime(99, 0, &s, NULL));
  SHOW("gettime to NULL", timerfd_gettime(fd, NULL));
  s = spec(3000, 0);
  SHOW("old value to a bad pointer", timerfd_settime(fd, 0, &s, (struct itimerspec*)8));
  timerfd_gettime(fd, &cur);
  printf("armed anyway: %d\n", cur.it_value.tv_sec >= 2);
  SHOW("lseek", lseek(fd, 0, SEEK_CUR));

  // TFD_IOC_SET_TICKS (checkpoint/restore).
  uint64_t set = 7;
  SHOW("SET_TICKS 7", ioctl(fd, SET_TICKS, &set));
  SHOW("read set ticks", ticks(fd));
  set = 0;
  SHOW("SET_TICKS 0", ioctl(fd, SET_TICKS, &set));
  SHOW("SET_TICKS NULL", ioctl(fd, SET_TICKS, NULL));
  SHOW("FIONREAD", ioctl(fd, FIONREAD, &set));

  // In an epoll set.
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  s = spec(20, 0);
  timerfd_settime(fd, 0, &s, NULL);
  struct epoll_event got;
  SHOW("epoll_wait before", epoll_wait(ep, &got, 1, 0));
  SHOW("epoll_wait until expiry", epoll_wait(ep, &got, 1, 5000));
  printf("event %#x data %llu\n", got.events, (unsigned long long)got.data.u64);
  SHOW("read", ticks(fd));
  SHOW("epoll_wait after read", epoll_wait(ep, &got, 1, 0));
  close(ep);

  // A blocked read and a signal: restarted with SA_RESTART, EINTR without.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 30000}};
  s = spec(100, 0);
  timerfd_settime(fd, 0, &s, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("read with SA_RESTART", ticks(fd));
  printf("alarms %d\n", alarms);
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  timerfd_settime(fd, 0, &s, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("read without SA_RESTART", ticks(fd));
  printf("alarms %d\n", alarms);
  SHOW("read the expiry", ticks(fd));
  close(fd);
  return 0;
}
