// POSIX timers: SIGEV_SIGNAL with a value, periodic expiry, overruns while the signal is
// blocked, SIGEV_THREAD_ID to one thread, SIGEV_NONE polled with timer_gettime, and errors.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_test.h"

static volatile int fired, last_value, last_code, first_overrun = -1;
static volatile pid_t handled_in;
static void on_timer(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  // Everything is recorded before `fired`, which other threads poll.
  handled_in = (pid_t)syscall(SYS_gettid);
  last_value = si->si_value.sival_int;
  last_code = si->si_code;
  if (first_overrun < 0) first_overrun = si->si_overrun;
  fired++;
}

static volatile pid_t worker_tid;
static volatile int worker_stop;
static void* worker(void* arg) {
  (void)arg;
  worker_tid = (pid_t)syscall(SYS_gettid);
  while (!worker_stop)
    pause();
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);

  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN;
  ev.sigev_value.sival_int = 77;
  timer_t t;
  SHOW("timer_create", timer_create(CLOCK_MONOTONIC, &ev, &t));
  struct itimerspec once = {{0, 0}, {0, 20 * 1000 * 1000}};
  SHOW("timer_settime", timer_settime(t, 0, &once, NULL));
  while (!fired)
    pause();
  printf("fired %d value %d SI_TIMER %d\n", fired, last_value, last_code == SI_TIMER);

  // Periodic, with the signal blocked: expiries while it waits become the overrun count of
  // the one signal that was queued.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &block, NULL);
  struct itimerspec periodic = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}};
  timer_settime(t, 0, &periodic, NULL);
  struct timespec d = {0, 105 * 1000 * 1000};
  nanosleep(&d, NULL);
  struct itimerspec cur;
  SHOW("timer_gettime", timer_gettime(t, &cur));
  printf("interval kept %d\n", cur.it_interval.tv_nsec == 10 * 1000 * 1000);
  first_overrun = -1;
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  printf("si_overrun of the queued signal at least 5: %d\n", first_overrun >= 5);
  // Changing the timer drops a signal still queued for it (Linux 6.10 and later).
  sigprocmask(SIG_BLOCK, &block, NULL);
  nanosleep(&d, NULL);
  struct itimerspec stop = {{0, 0}, {0, 0}};
  timer_settime(t, 0, &stop, NULL);
  fired = 0;
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  printf("disarming dropped the queued signal: %d, overrun reset %d\n", fired == 0,
         timer_getoverrun(t) == 0);
  SHOW("timer_delete", timer_delete(t));
  SHOW("timer_delete again", timer_delete(t));

  // SIGEV_THREAD_ID: only the named thread takes it.
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  while (!worker_tid)
    sched_yield();
  // The kernel's struct sigevent: libcs name the thread id field differently.
  struct {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
  } kev = {.value = {.sival_int = 5},
           .signo = SIGRTMIN,
           .notify = 4 /* SIGEV_THREAD_ID */,
           .tid = worker_tid};
  int kt = -1;
  SHOW("timer_create thread id", syscall(SYS_timer_create, CLOCK_MONOTONIC, &kev, &kt));
  fired = 0;
  syscall(SYS_timer_settime, kt, 0, &once, NULL);
  while (!fired) {
    struct timespec s = {0, 1000 * 1000};
    nanosleep(&s, NULL);
  }
  printf("handled in the named thread: %d\n", handled_in == worker_tid);
  worker_stop = 1;
  pthread_kill(th, SIGRTMIN);
  pthread_join(th, NULL);
  syscall(SYS_timer_delete, kt);

  // SIGEV_NONE: nothing is sent; the timer still runs down.
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct itimerspec long_one = {{0, 0}, {5, 0}};
  timer_settime(t, 0, &long_one, NULL);
  timer_gettime(t, &cur);
  printf("SIGEV_NONE running down: %d\n", cur.it_value.tv_sec >= 4 && cur.it_value.tv_sec <= 5);
  timer_delete(t);

  SHOW("bad clock", timer_create(12345, NULL, &t));
  ev.sigev_notify = 99;
  SHOW("bad notify", timer_create(CLOCK_MONOTONIC, &ev, &t));
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  timer_create(CLOCK_MONOTONIC, NULL, &t);
  SHOW("bad nsec", timer_settime(t, 0, &bad, NULL));
  return 0;
}
