// eventfd: counter and semaphore modes, overflow rules, 8-byte transfers, flags, blocking
// reads and writes woken by another thread, and readiness for poll.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_test.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int efd;

static void* write_later(void* arg) {
  sleep_ms(50);
  uint64_t v = (uint64_t)(uintptr_t)arg;
  write(efd, &v, sizeof v);
  return NULL;
}

static void* read_later(void* arg) {
  (void)arg;
  sleep_ms(50);
  uint64_t v;
  read(efd, &v, sizeof v);
  return NULL;
}

static void show_u64(const char* label, int fd) {
  uint64_t v = 0;
  errno = 0;
  long n = read(fd, &v, sizeof v);
  if (n < 0)
    printf("%s: -1 %s\n", label, guest_errno_name(errno));
  else
    printf("%s: %ld bytes, value %llu\n", label, n, (unsigned long long)v);
}

static int poll_bits(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI, 0};
  poll(&p, 1, 0);
  return p.revents;
}

int main(void) {
  SHOW("bad flags", eventfd(0, 0x1234));
  SHOW("bad flags beyond the known ones", eventfd(0, EFD_SEMAPHORE << 1));

  int fd = eventfd(5, 0);
  printf("fcntl F_GETFL: O_RDWR %d, O_NONBLOCK %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
         (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  printf("cloexec without EFD_CLOEXEC: %d\n", fcntl(fd, F_GETFD));
  show_u64("read initial 5", fd);
  uint64_t v = 3;
  SHOW("write 3", write(fd, &v, sizeof v));
  SHOW("write 3 again", write(fd, &v, sizeof v));
  show_u64("read sum", fd);
  close(fd);

  fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  printf("nonblocking: %d, cloexec: %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
         fcntl(fd, F_GETFD) == FD_CLOEXEC);
  show_u64("read empty", fd);
  char small[7] = {0};
  SHOW("read 7 bytes", read(fd, small, sizeof small));
  SHOW("write 7 bytes", write(fd, small, sizeof small));
  SHOW("read 0 bytes", read(fd, small, 0));
  v = UINT64_MAX;
  SHOW("write 2^64-1", write(fd, &v, sizeof v));
  v = UINT64_MAX - 1;
  SHOW("write 2^64-2", write(fd, &v, sizeof v));
  printf("full: poll bits %#x\n", poll_bits(fd));
  v = 1;
  SHOW("write 1 more", write(fd, &v, sizeof v));
  v = 0;
  SHOW("write 0", write(fd, &v, sizeof v));
  uint64_t big[2] = {0, 0};
  SHOW("read 16 bytes", read(fd, big, sizeof big));
  printf("value 2^64-2: %d\n", big[0] == UINT64_MAX - 1);
  printf("empty: poll bits %#x\n", poll_bits(fd));
  v = 1;
  write(fd, &v, sizeof v);
  printf("readable: poll bits %#x\n", poll_bits(fd));
  SHOW("lseek", lseek(fd, 0, SEEK_SET));
  SHOW("pread", pread(fd, &v, sizeof v, 0));
  close(fd);

  fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  show_u64("semaphore read 1", fd);
  show_u64("semaphore read 2", fd);
  v = 2;
  write(fd, &v, sizeof v);
  show_u64("semaphore read 3", fd);
  show_u64("semaphore read 4", fd);
  show_u64("semaphore read 5", fd);
  show_u64("semaphore read 6", fd);
  close(fd);

  // The raw eventfd syscall (284) takes no flags.
  fd = (int)syscall(SYS_eventfd, 9);
  show_u64("eventfd(9) via syscall 284", fd);
  printf("syscall 284 flags: %#x\n", fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  close(fd);

  // Blocking: a read waits for a writer, a write waits for room.
  efd = eventfd(0, 0);
  pthread_t th;
  pthread_create(&th, NULL, write_later, (void*)(uintptr_t)42);
  show_u64("blocking read", efd);
  pthread_join(th, NULL);
  v = UINT64_MAX - 1;
  write(efd, &v, sizeof v);
  pthread_create(&th, NULL, read_later, NULL);
  v = 1;
  SHOW("blocking write", write(efd, &v, sizeof v));
  pthread_join(th, NULL);
  show_u64("after blocked write", efd);
  close(efd);
  return 0;
}
