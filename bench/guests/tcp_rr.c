// TCP loopback request/response latency: parent and child bounce one byte over a connection
// (TCP_NODELAY). Prints "tcp_rr_ns <median ns per round trip>".
// Usage: tcp_rr [ITERATIONS] [ROUNDS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_guest.h"

static int sock;

static void bounce(long iterations) {
  char b = 'x';
  for (long i = 0; i < iterations; ++i) {
    if (write(sock, &b, 1) != 1 || read(sock, &b, 1) != 1) _exit(6);
  }
}

int main(int argc, char** argv) {
  const long iterations = bench_arg(argc, argv, 1, 10000);
  const int rounds = (int)bench_arg(argc, argv, 2, 5);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr*)&a, len) != 0 || listen(l, 1) != 0) return 1;
  getsockname(l, (struct sockaddr*)&a, &len);
  const int one = 1;
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr*)&a, len) != 0) _exit(2);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char b;
    while (read(c, &b, 1) == 1) {
      if (write(c, &b, 1) != 1) _exit(3);
    }
    _exit(0);
  }
  sock = accept(l, NULL, NULL);
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  bench_report("tcp_rr_ns", iterations, rounds, bounce);
  close(sock);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
