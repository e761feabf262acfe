// A TCP stream inside one sandbox: a child sends N MiB over loopback, the parent checks that
// every byte arrives, once and in order, and reports the rate. Run by tests/e2e (through a
// lossy --net-faults link) and by bench/.
// Usage: net_stream MIB [4|6] [WRITE_SIZE]
// minisentry-test: no-diff
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// A byte that depends on its position in the stream, so that a lost, repeated or misplaced
// segment shows.
static inline uint8_t expected(uint64_t i) {
  uint64_t x = i * 0x9e3779b97f4a7c15ULL;
  return (uint8_t)(x >> 56 ^ i >> 16);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  const uint64_t total = (argc > 1 ? strtoull(argv[1], NULL, 10) : 64) << 20;
  const int family = argc > 2 && atoi(argv[2]) == 6 ? AF_INET6 : AF_INET;
  const size_t chunk = argc > 3 ? strtoul(argv[3], NULL, 10) : 1 << 20;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*a);
  } else {
    struct sockaddr_in6* a = (struct sockaddr_in6*)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof(*a);
  }
  int l = socket(family, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&ss, len) != 0 || listen(l, 1) != 0) {
    perror("listen");
    return 2;
  }
  getsockname(l, (struct sockaddr*)&ss, &len);
  uint8_t* buf = malloc(chunk);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(family, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr*)&ss, len) != 0) _exit(3);
    for (uint64_t sent = 0; sent < total;) {
      size_t n = total - sent < chunk ? (size_t)(total - sent) : chunk;
      for (size_t i = 0; i < n; ++i)
        buf[i] = expected(sent + i);
      ssize_t w = write(c, buf, n);
      if (w <= 0) _exit(4);
      sent += (uint64_t)w;
    }
    shutdown(c, SHUT_WR);
    char ok[2];
    _exit(recv(c, ok, 2, MSG_WAITALL) == 2 ? 0 : 5);
  }
  int s = accept(l, NULL, NULL);
  const double t0 = now();
  uint64_t got = 0;
  for (;;) {
    ssize_t r = read(s, buf, chunk);
    if (r < 0) {
      perror("read");
      return 6;
    }
    if (r == 0) break;
    for (ssize_t i = 0; i < r; ++i) {
      if (buf[i] != expected(got + (uint64_t)i)) {
        printf("byte %llu is wrong: the stream is out of order\n",
               (unsigned long long)(got + (uint64_t)i));
        return 1;
      }
    }
    got += (uint64_t)r;
  }
  const double dt = now() - t0;
  write(s, "ok", 2);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != total || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("received %llu of %llu bytes; sender status %d\n", (unsigned long long)got,
           (unsigned long long)total, status);
    return 1;
  }
  printf("%llu MiB arrived complete and in order (%.0f MB/s)\n", (unsigned long long)(total >> 20),
         dt > 0 ? total / dt / 1e6 : 0.0);
  return 0;
}
