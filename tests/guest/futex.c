// futex(2) directly: wake counts, EAGAIN for a changed word, timeouts (relative and
// absolute), bitsets, requeue, wake_op, and errors.
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_test.h"

// From linux/futex.h, which musl's toolchain does not ship.
enum {
  FUTEX_WAIT = 0,
  FUTEX_WAKE = 1,
  FUTEX_CMP_REQUEUE = 4,
  FUTEX_WAKE_OP = 5,
  FUTEX_WAIT_BITSET = 9,
  FUTEX_WAKE_BITSET = 10,
  FUTEX_PRIVATE_FLAG = 128,
  FUTEX_CLOCK_REALTIME = 256,
  FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
  FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
  FUTEX_CMP_REQUEUE_PRIVATE = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
  FUTEX_WAKE_OP_PRIVATE = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG,
  FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
  FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG,
  FUTEX_OP_ADD = 1,
  FUTEX_OP_CMP_EQ = 0,
};
#define FUTEX_OP(op, oparg, cmp, cmparg) \
  (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))

static long futex(atomic_int* addr, int op, int val, const struct timespec* ts, atomic_int* addr2,
                  int val3) {
  return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static atomic_int word, word2, started, woken_count;

static void* waiter(void* arg) {
  int bitset = (int)(long)arg;
  atomic_fetch_add(&started, 1);
  long r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, bitset);
  if (r == 0) atomic_fetch_add(&woken_count, 1);
  return NULL;
}

static void wait_until_blocked(int n) {
  while (atomic_load(&started) < n)
    sched_yield();
  // Give them time to enter the kernel.
  struct timespec d = {0, 50 * 1000 * 1000};
  nanosleep(&d, NULL);
}

int main(void) {
  SHOW("wait on a changed word", futex(&word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0));
  struct timespec rel = {0, 20 * 1000 * 1000};
  SHOW("relative timeout", futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0));
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 20 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  SHOW("absolute timeout", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &now, NULL, -1));
  struct timespec bad = {0, 1000000000};
  SHOW("bad timeout", futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0));
  SHOW("bitset 0", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0));
  SHOW("unaligned", futex((atomic_int*)((char*)&word + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  SHOW("bad op", futex(&word, 99, 0, NULL, NULL, 0));
  SHOW("realtime flag on WAKE", futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0));
  SHOW("wake nobody", futex(&word, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0));

  // Five waiters, bitsets 1,2,1,2,1: a bitset wake reaches only its own.
  pthread_t t[5];
  for (long i = 0; i < 5; i++)
    pthread_create(&t[i], NULL, waiter, (void*)(i % 2 ? 2L : 1L));
  wait_until_blocked(5);
  SHOW("wake bitset 2, up to 5", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 5, NULL, NULL, 2));
  SHOW("wake 1 of the rest", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  SHOW("wake all the rest", futex(&word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0));
  for (int i = 0; i < 5; i++)
    pthread_join(t[i], NULL);
  printf("woken by wakes: %d\n", atomic_load(&woken_count));

  // Requeue: 4 waiters, wake 1, move 2 to word2, 1 stays.
  atomic_store(&started, 0);
  atomic_store(&woken_count, 0);
  for (long i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, waiter, (void*)-1L);
  wait_until_blocked(4);
  SHOW("cmp_requeue wrong value",
       futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (struct timespec*)2L, &word2, 7));
  SHOW("cmp_requeue", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (struct timespec*)2L, &word2, 0));
  SHOW("wake on word2", futex(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  SHOW("wake the last on word", futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);

  // wake_op: word2 += 1 and wake on word; then wake word2's waiters if old value == 0.
  atomic_store(&word2, 0);
  int op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
  SHOW("wake_op", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (struct timespec*)1L, &word2, op));
  printf("word2 after wake_op: %d\n", atomic_load(&word2));
  return 0;
}
