// POSIX threads: mutex- and condvar-protected counters across 8 threads, thread-local
// storage, join with return values, pthread_kill to one thread, detached threads, and
// thread ids.
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "guest_test.h"

enum { kThreads = 8, kRounds = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread long tls_value = 7;
static atomic_int tids_distinct;
static pid_t seen_tids[kThreads];

static void* worker(void* arg) {
  long id = (long)arg;
  tls_value = id * 100;
  seen_tids[id] = (pid_t)syscall(SYS_gettid);
  for (int i = 0; i < kRounds; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  // Take turns in id order, each waking the next with the condition variable.
  pthread_mutex_lock(&lock);
  while (turn != id)
    pthread_cond_wait(&cond, &lock);
  turn++;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  return (void*)(tls_value + id);
}

static volatile sig_atomic_t got_signal_in;
static pthread_t target_thread;
static void on_usr1(int sig) {
  (void)sig;
  got_signal_in = pthread_equal(pthread_self(), target_thread) ? 1 : 2;
}

static void* sleeper(void* arg) {
  (void)arg;
  while (!got_signal_in) {
    struct timespec d = {0, 1000000};
    nanosleep(&d, NULL);
  }
  return NULL;
}

static atomic_int detached_done;
static void* detached(void* arg) {
  (void)arg;
  atomic_fetch_add(&detached_done, 1);
  return NULL;
}

int main(void) {
  pthread_t t[kThreads];
  for (long i = 0; i < kThreads; i++)
    pthread_create(&t[i], NULL, worker, (void*)i);
  long sum = 0;
  for (int i = 0; i < kThreads; i++) {
    void* r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("counter %ld (expected %d)\n", counter, kThreads * kRounds);
  printf("sum of returns %ld, main's tls still %ld\n", sum, tls_value);
  int distinct = 1;
  for (int i = 0; i < kThreads; i++)
    for (int j = i + 1; j < kThreads; j++)
      distinct &= seen_tids[i] != seen_tids[j];
  printf("tids distinct %d, none is the pid %d\n", distinct,
         seen_tids[0] != getpid() && seen_tids[3] != getpid());

  signal(SIGUSR1, on_usr1);
  pthread_create(&target_thread, NULL, sleeper, NULL);
  SHOW("pthread_kill", pthread_kill(target_thread, SIGUSR1));
  pthread_join(target_thread, NULL);
  printf("signal ran in the target thread: %d\n", got_signal_in == 1);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < 4; i++) {
    pthread_t d;
    pthread_create(&d, &attr, detached, NULL);
  }
  while (atomic_load(&detached_done) < 4) {
    struct timespec d = {0, 1000000};
    nanosleep(&d, NULL);
  }
  printf("detached threads ran: %d\n", atomic_load(&detached_done));
  SHOW("join a finished thread twice", pthread_join(t[0], NULL) == 0 ? 0 : -1);
  return 0;
}
