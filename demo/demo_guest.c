// The demo guest: a server and a client inside the sandbox, talking TCP over the sandbox's
// own loopback. The client streams 64 MiB; the server checks that every byte arrives, once
// and in order. Run it under --net-faults and the link drops, reorders and duplicates
// packets underneath: the sentry's TCP still delivers the stream intact.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMiB = 1 << 20, kTotal = 64 * kMiB };

// Each byte depends on where it is in the stream: a lost, repeated or misplaced segment shows.
static uint8_t expected(uint64_t i) {
  return (uint8_t)((i * 0x9e3779b97f4a7c15ULL) >> 56 ^ i >> 16);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static uint8_t buf[kMiB];

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct utsname u;
  uname(&u);
  printf("hello from inside minisentry (pid %d, %s %s)\n", getpid(), u.sysname, u.release);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr*)&a, len) != 0 || listen(l, 1) != 0) {
    perror("listen");
    return 1;
  }
  getsockname(l, (struct sockaddr*)&a, &len);
  printf("  server: listening on 127.0.0.1:%d, the sandbox's own loopback\n", ntohs(a.sin_port));
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr*)&a, len) != 0) _exit(2);
    printf("  client (pid %d): connected; sending 64 MiB\n", getpid());
    for (uint64_t sent = 0; sent < kTotal; sent += kMiB) {
      for (int i = 0; i < kMiB; ++i)
        buf[i] = expected(sent + (uint64_t)i);
      for (size_t off = 0; off < kMiB;) {
        ssize_t w = write(c, buf + off, kMiB - off);
        if (w <= 0) _exit(3);
        off += (size_t)w;
      }
    }
    close(c);
    _exit(0);
  }
  int s = accept(l, NULL, NULL);
  const double t0 = now();
  uint64_t got = 0;
  for (;;) {
    ssize_t r = read(s, buf, sizeof(buf));
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; ++i) {
      if (buf[i] != expected(got + (uint64_t)i)) {
        printf("  server: byte %llu is wrong: the stream arrived out of order\n",
               (unsigned long long)(got + (uint64_t)i));
        return 1;
      }
    }
    got += (uint64_t)r;
  }
  const double dt = now() - t0;
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != kTotal || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("  server: received %llu of %d bytes\n", (unsigned long long)got, kTotal);
    return 1;
  }
  printf("  server: all 64 MiB arrived, every byte once and in order (%.2f s, %.0f MB/s)\n", dt,
         kTotal / dt / 1e6);
  return 0;
}
