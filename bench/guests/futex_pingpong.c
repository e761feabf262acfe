// Two threads handing a token back and forth through one futex word: each handoff is a
// FUTEX_WAKE by one thread and a FUTEX_WAIT return in the other.
//   futex_pingpong [ITERATIONS [ROUNDS]]   prints "futex_pingpong_ns <median ns per round trip>"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_guest.h"

enum { kFutexWait = 0, kFutexWake = 1, kPrivate = 128 };

static atomic_int turn;  // 0: main's turn, 1: the partner's
static atomic_int stop;

static void wait_for(int value) {
  while (atomic_load(&turn) != value) {
    syscall(SYS_futex, &turn, kFutexWait | kPrivate, !value, NULL, NULL, 0);
  }
}

static void hand_to(int value) {
  atomic_store(&turn, value);
  syscall(SYS_futex, &turn, kFutexWake | kPrivate, 1, NULL, NULL, 0);
}

static void* partner(void* arg) {
  (void)arg;
  for (;;) {
    wait_for(1);
    if (atomic_load(&stop)) return NULL;
    hand_to(0);
  }
}

static void loop(long n) {
  for (long i = 0; i < n; ++i) {
    hand_to(1);
    wait_for(0);
  }
}

int main(int argc, char** argv) {
  pthread_t t;
  pthread_create(&t, NULL, partner, NULL);
  bench_report("futex_pingpong_ns", bench_arg(argc, argv, 1, 20000),
               (int)bench_arg(argc, argv, 2, 5), loop);
  atomic_store(&stop, 1);
  hand_to(1);
  pthread_join(t, NULL);
  return 0;
}
