// TCP loopback throughput: a child writes MIB MiB per round in 1 MiB writes over one
// connection, the parent reads it in 1 MiB reads. Prints "tcp_stream_ns <median ns per MiB>".
// Usage: tcp_stream [MIB] [ROUNDS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_guest.h"

enum { kBuf = 1 << 20 };
static char buf[kBuf];

int main(int argc, char** argv) {
  const long mib = bench_arg(argc, argv, 1, 256);
  int rounds = (int)bench_arg(argc, argv, 2, 5);
  if (rounds > BENCH_MAX_ROUNDS) rounds = BENCH_MAX_ROUNDS;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr*)&a, len) != 0 || listen(l, 1) != 0) return 1;
  getsockname(l, (struct sockaddr*)&a, &len);
  memset(buf, 'x', sizeof(buf));
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr*)&a, len) != 0) _exit(2);
    const long long total = (long long)mib * rounds * kBuf;
    for (long long sent = 0; sent < total;) {
      long long n = total - sent < kBuf ? total - sent : kBuf;
      ssize_t w = write(c, buf, (size_t)n);
      if (w <= 0) _exit(3);
      sent += w;
    }
    close(c);
    _exit(0);
  }
  int s = accept(l, NULL, NULL);
  double per_mib[BENCH_MAX_ROUNDS];
  for (int r = 0; r < rounds; ++r) {
    const uint64_t t0 = bench_now_ns();
    long long want = (long long)mib * kBuf;
    while (want > 0) {
      ssize_t n = read(s, buf, want < kBuf ? (size_t)want : kBuf);
      if (n <= 0) return 4;
      want -= n;
    }
    per_mib[r] = (double)(bench_now_ns() - t0) / (double)mib;
  }
  int status;
  waitpid(pid, &status, 0);
  printf("tcp_stream_ns %.1f\n", bench_median(per_mib, rounds));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
