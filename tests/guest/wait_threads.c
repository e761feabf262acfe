// Blocking never blocks the sentry: threads parked in futex, epoll_wait and nanosleep at
// the same time, while the main thread keeps making syscalls; EPOLLEXCLUSIVE, where one
// event wakes only one of two threads waiting on different epoll instances; and waits whose
// descriptor another thread closes (poll reports POLLNVAL, select skips it, epoll_wait keeps
// its instance).
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_test.h"

// From <linux/futex.h>, which musl-gcc cannot see.
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static atomic_int futex_word;
static atomic_int started;
static int efd;
static int ep;

static long futex_result, epoll_result, sleep_result;
static long long sleep_took;

static void* in_futex(void* arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  do {
    futex_result = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  } while (atomic_load(&futex_word) == 0);
  return NULL;
}

static void* in_epoll(void* arg) {
  (void)arg;
  struct epoll_event ev;
  atomic_fetch_add(&started, 1);
  epoll_result = epoll_wait(ep, &ev, 1, -1);
  return NULL;
}

static void* in_nanosleep(void* arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  long long t0 = now_ns();
  sleep_result = nanosleep(&(struct timespec){0, 200 * 1000000L}, NULL);
  sleep_took = now_ns() - t0;
  return NULL;
}

// EPOLLEXCLUSIVE: each thread waits on its own instance; both watch one eventfd.
static int exclusive_eps[2];
static atomic_int ready_to_wait;
static atomic_int woken;
static int exclusive_results[2];

static void* exclusive_waiter(void* arg) {
  int i = (int)(intptr_t)arg;
  struct epoll_event ev;
  atomic_fetch_add(&ready_to_wait, 1);
  exclusive_results[i] = epoll_wait(exclusive_eps[i], &ev, 1, 1500);
  if (exclusive_results[i] > 0) atomic_fetch_add(&woken, 1);
  return NULL;
}

// Waits 300 ms on a descriptor main closes after 100 ms.
static int closing_fd;
static long closing_results[3];
static short closing_revents;

static void* poll_closing(void* arg) {
  (void)arg;
  struct pollfd p = {closing_fd, POLLIN, 0};
  closing_results[0] = poll(&p, 1, 300);
  closing_revents = p.revents;
  return NULL;
}

static void* select_closing(void* arg) {
  (void)arg;
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(closing_fd, &rd);
  struct timeval tv = {0, 300000};
  closing_results[1] = select(closing_fd + 1, &rd, NULL, NULL, &tv);
  return NULL;
}

static void* epoll_closing(void* arg) {
  (void)arg;
  struct epoll_event ev;
  closing_results[2] = epoll_wait(closing_fd, &ev, 1, 300);
  return NULL;
}

static void close_while_waiting(const char* label, void* (*fn)(void*), int fd) {
  closing_fd = fd;
  pthread_t th;
  pthread_create(&th, NULL, fn, NULL);
  sleep_ms(100);
  close(fd);
  pthread_join(th, NULL);
  (void)label;
}

int main(void) {
  efd = eventfd(0, 0);
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);

  pthread_t t[3];
  pthread_create(&t[0], NULL, in_futex, NULL);
  pthread_create(&t[1], NULL, in_epoll, NULL);
  pthread_create(&t[2], NULL, in_nanosleep, NULL);
  while (atomic_load(&started) < 3)
    sched_yield();
  // All three are (about to be) blocked; the main thread still runs and makes syscalls.
  long long t0 = now_ns();
  long calls = 0;
  while (now_ns() - t0 < 50 * 1000000LL) {
    getppid();
    calls++;
  }
  printf("main thread ran while the others blocked: %d\n", calls > 10);
  pthread_join(t[2], NULL);
  printf("nanosleep: %ld, slept at least 200ms %d\n", sleep_result, sleep_took >= 200 * 1000000LL);
  uint64_t one = 1;
  write(efd, &one, sizeof one);
  pthread_join(t[1], NULL);
  printf("epoll_wait: %ld\n", epoll_result);
  atomic_store(&futex_word, 1);
  syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  pthread_join(t[0], NULL);
  printf("futex woken\n");
  read(efd, &one, sizeof one);

  // EPOLLEXCLUSIVE.
  for (int i = 0; i < 2; i++) {
    exclusive_eps[i] = epoll_create1(0);
    struct epoll_event xev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = (uint64_t)i};
    epoll_ctl(exclusive_eps[i], EPOLL_CTL_ADD, efd, &xev);
  }
  pthread_t x[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&x[i], NULL, exclusive_waiter, (void*)(intptr_t)i);
  while (atomic_load(&ready_to_wait) < 2)
    sched_yield();
  sleep_ms(200);  // both are now blocked in epoll_wait
  write(efd, &one, sizeof one);
  sleep_ms(200);
  printf("woken by one event: %d\n", atomic_load(&woken));
  for (int i = 0; i < 2; i++)
    pthread_join(x[i], NULL);
  printf("one returned the event, the other timed out: %d\n",
         exclusive_results[0] + exclusive_results[1] == 1 &&
             (exclusive_results[0] == 0 || exclusive_results[1] == 0));

  close_while_waiting("poll", poll_closing, eventfd(0, 0));
  printf("poll on a closed descriptor: %ld revents %#x\n", closing_results[0], closing_revents);
  close_while_waiting("select", select_closing, eventfd(0, 0));
  printf("select on a closed descriptor: %ld\n", closing_results[1]);
  close_while_waiting("epoll_wait", epoll_closing, epoll_create1(0));
  printf("epoll_wait on a closed instance: %ld\n", closing_results[2]);
  return 0;
}
