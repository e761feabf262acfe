// minisentry-test: args first
// execve of itself with a new argv and envp; errors from execve; vfork then exec.
#include <stdlib.h>
#include <sys/wait.h>

#include "guest_test.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "second") == 0) {
    printf("second image: argc=%d", argc);
    for (int i = 1; i < argc; i++)
      printf(" [%s]", argv[i]);
    printf(" env:");
    for (char** e = environ; *e; e++)
      printf(" [%s]", *e);
    printf("\n");
    return 17;
  }
  if (argc > 1 && strcmp(argv[1], "vforked") == 0) {
    printf("vfork child exec'd\n");
    return 4;
  }
  SHOW("execve missing", execve("/nonexistent/program", argv, environ));
  SHOW("execve bad path pointer", syscall(SYS_execve, (void*)8, argv, environ));
  SHOW("execve bad argv", syscall(SYS_execve, argv[0], (void*)8, environ));
  SHOW("execve empty path", execve("", argv, environ));
  char* big = malloc(200 * 1024);
  memset(big, 'x', 200 * 1024 - 1);
  big[200 * 1024 - 1] = 0;
  char* big_argv[] = {argv[0], big, NULL};
  SHOW("execve argument too long", execve(argv[0], big_argv, environ));
  fflush(stdout);

  pid_t p = vfork();
  if (p == 0) {
    char* args[] = {argv[0], "vforked", NULL};
    execve(argv[0], args, environ);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  printf("vfork+exec child exit %d\n", WEXITSTATUS(st));
  fflush(stdout);

  char* args[] = {argv[0], "second", "a b", "", "c", NULL};
  char* env[] = {"ONE=1", "TWO=two", NULL};
  execve(argv[0], args, env);
  printf("execve failed\n");
  return 1;
}
