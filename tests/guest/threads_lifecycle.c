// minisentry-test: args start
// Thread life and death: one thread exiting while others run, a robust mutex whose owner
// died (EOWNERDEAD), a priority-inheritance mutex, and execve from a non-main thread (the
// other threads vanish and the process keeps its pid).
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "guest_test.h"

extern char** environ;

static pthread_mutex_t robust;
static void* die_holding(void* arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL;  // the thread ends with the mutex locked
}

static pthread_mutex_t pi;
static atomic_int pi_count;
static void* pi_worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&pi);
    pi_count++;
    pthread_mutex_unlock(&pi);
  }
  return NULL;
}

static atomic_int spinning;
static void* spin(void* arg) {
  (void)arg;
  atomic_fetch_add(&spinning, 1);
  for (;;)
    pause();
}

static char* self;
static void* exec_from_thread(void* arg) {
  (void)arg;
  char pid[32];
  snprintf(pid, sizeof pid, "%d", getpid());
  char* argv[] = {self, "after-exec", pid, NULL};
  execve(self, argv, environ);
  printf("execve failed: %s\n", guest_errno_name(errno));
  exit(1);
}

int main(int argc, char** argv) {
  self = argv[0];
  if (argc > 2 && strcmp(argv[1], "after-exec") == 0) {
    printf("after exec from a thread: same pid %d, tid is pid %d\n", atoi(argv[2]) == getpid(),
           syscall(SYS_gettid) == getpid());
    return 0;
  }

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_t t;
  pthread_create(&t, NULL, die_holding, NULL);
  pthread_join(t, NULL);
  int r = pthread_mutex_lock(&robust);
  printf("lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : guest_errno_name(r));
  SHOW("consistent", pthread_mutex_consistent(&robust));
  pthread_mutex_unlock(&robust);
  SHOW("relock", pthread_mutex_lock(&robust));
  pthread_mutex_unlock(&robust);

  pthread_mutexattr_t pa;
  pthread_mutexattr_init(&pa);
  pthread_mutexattr_setprotocol(&pa, PTHREAD_PRIO_INHERIT);
  SHOW("pi mutex init", pthread_mutex_init(&pi, &pa));
  pthread_t w[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&w[i], NULL, pi_worker, NULL);
  for (int i = 0; i < 4; i++)
    pthread_join(w[i], NULL);
  printf("pi mutex count %d\n", atomic_load(&pi_count));
  SHOW("pi trylock", pthread_mutex_trylock(&pi));
  SHOW("pi trylock while held", pthread_mutex_trylock(&pi) == EBUSY ? -2 : 0);
  pthread_mutex_unlock(&pi);

  // Two threads spin in pause(); a third execs: all of them go.
  fflush(stdout);
  pthread_t s[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&s[i], NULL, spin, NULL);
  while (atomic_load(&spinning) < 2)
    sched_yield();
  pthread_t e;
  pthread_create(&e, NULL, exec_from_thread, NULL);
  pthread_join(e, NULL);
  printf("not reached\n");
  return 1;
}
