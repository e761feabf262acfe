// Clocks move forward and sleeps last at least as long as asked.
#include <sys/time.h>
#include <time.h>

#include "guest_test.h"

static long long ns(struct timespec t) {
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec req = {0, 30 * 1000 * 1000};
  SHOW("nanosleep 30ms", nanosleep(&req, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long slept = ns(b) - ns(a);
  printf("slept at least 30ms: %d\n", slept >= 30000000LL);
  printf("slept less than 2s: %d\n", slept < 2000000000LL);

  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t now = time(NULL);
  printf("time agrees with gettimeofday: %d\n", now - tv.tv_sec >= 0 && now - tv.tv_sec <= 1);
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  printf("realtime after 2020: %d\n", rt.tv_sec > 1577836800);

  struct timespec cpu0, cpu1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < 50000000UL; i++)
    x += i;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  printf("process cpu time advances: %d\n", ns(cpu1) > ns(cpu0));
  struct timespec thr;
  SHOW("thread cpu clock", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thr));
  struct timespec res;
  SHOW("monotonic resolution", clock_getres(CLOCK_MONOTONIC, &res));
  printf("resolution 1ns: %d\n", res.tv_sec == 0 && res.tv_nsec == 1);
  return 0;
}
