// Interval timers: ITIMER_REAL on wall time, ITIMER_VIRTUAL and ITIMER_PROF on the CPU time
// the process uses; alarm(2); and their errors.
#include <signal.h>
#include <sys/time.h>

#include "guest_test.h"

static volatile int fired[65];

static void on_timer(int sig) {
  fired[sig]++;
}

static void spin_until(int sig) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; !fired[sig] && i < 4000000000UL; i++)
    x += i;
}

int main(void) {
  signal(SIGALRM, on_timer);
  signal(SIGVTALRM, on_timer);
  signal(SIGPROF, on_timer);

  struct itimerval v = {{0, 0}, {0, 30000}};
  SHOW("setitimer virtual", setitimer(ITIMER_VIRTUAL, &v, NULL));
  struct itimerval cur;
  SHOW("getitimer virtual", getitimer(ITIMER_VIRTUAL, &cur));
  // Linux may report a CPU-time timer rounded up by a scheduler tick (34000 for 30000).
  printf("virtual armed: %d\n",
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 40000);
  spin_until(SIGVTALRM);
  printf("SIGVTALRM after CPU time: %d\n", fired[SIGVTALRM]);
  getitimer(ITIMER_VIRTUAL, &cur);
  printf("one-shot disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

  struct itimerval periodic = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_PROF, &periodic, NULL);
  while (fired[SIGPROF] < 3)
    spin_until(SIGPROF), fired[0]++;
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  SHOW("setitimer prof off", setitimer(ITIMER_PROF, &off, &old));
  printf("prof fired at least 3 times: %d, old interval 10ms: %d\n", fired[SIGPROF] >= 3,
         old.it_interval.tv_usec == 10000);

  struct itimerval real = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &real, NULL);
  pause();
  printf("SIGALRM from ITIMER_REAL: %d\n", fired[SIGALRM]);
  SHOW("alarm none pending", alarm(5));
  SHOW("alarm returns remaining", alarm(0));
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  SHOW("setitimer bad usec", setitimer(ITIMER_REAL, &bad, NULL));
  SHOW("setitimer bad which", setitimer(7, &real, NULL));
  SHOW("getitimer bad which", getitimer(7, &cur));
  return 0;
}
