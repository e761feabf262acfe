// One byte back and forth between two processes over two pipes: a blocking read woken by
// another process's write, twice per round trip.
//   pipe_pingpong [ITERATIONS [ROUNDS]]   prints "pipe_pingpong_ns <median ns per round trip>"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_guest.h"

static int to_child[2];
static int to_parent[2];

static void loop(long n) {
  char c = 'x';
  for (long i = 0; i < n; ++i) {
    if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) {
      perror("ping");
      exit(1);
    }
  }
}

int main(int argc, char** argv) {
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    perror("pipe");
    return 1;
  }
  const pid_t child = fork();
  if (child == 0) {
    close(to_child[1]);  // so that the parent's close ends the loop with EOF
    close(to_parent[0]);
    char c;
    while (read(to_child[0], &c, 1) == 1) {
      if (write(to_parent[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  bench_report("pipe_pingpong_ns", bench_arg(argc, argv, 1, 20000),
               (int)bench_arg(argc, argv, 2, 5), loop);
  close(to_child[1]);
  waitpid(child, NULL, 0);
  return 0;
}
