// A process starting another program: fork, execve of a static `true`, waitpid.
//   fork_exec_wait PROGRAM [ITERATIONS [ROUNDS]]   prints "fork_exec_wait_ns <median ns>"
#include <sys/wait.h>
#include <unistd.h>

#include "bench_guest.h"

static char* program;

static void loop(long n) {
  for (long i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      exit(1);
    }
    if (pid == 0) {
      char* argv[] = {program, NULL};
      char* envp[] = {NULL};
      execve(program, argv, envp);
      _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child failed (status %#x)\n", status);
      exit(1);
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fork_exec_wait PROGRAM [ITERATIONS [ROUNDS]]\n");
    return 2;
  }
  program = argv[1];
  bench_report("fork_exec_wait_ns", bench_arg(argc, argv, 2, 200), (int)bench_arg(argc, argv, 3, 5),
               loop);
  return 0;
}
