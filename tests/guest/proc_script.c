// `#!` scripts: the interpreter line, its optional argument, nesting, and the errors execve
// reports for scripts that cannot run.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "guest_test.h"

static void write_script(const char* name, const char* text, mode_t mode) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  write(fd, text, strlen(text));
  close(fd);
  chmod(name, mode);
}

// Runs path with args in a child; prints what execve failed with, or the exit status.
static void run(const char* label, char* const argv[]) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    execv(argv[0], argv);
    printf("%s: execve -1 %s\n", label, guest_errno_name(errno));
    fflush(stdout);
    _exit(100);
  }
  int st;
  waitpid(p, &st, 0);
  if (WEXITSTATUS(st) != 100) printf("%s: exit %d\n", label, WEXITSTATUS(st));
}

int main(void) {
  write_script("s1", "#!/bin/busybox sh\necho script args: $0 $1 $2\nexit 6\n", 0755);
  run("plain script", (char* const[]){"./s1", "a", "b c", NULL});
  write_script("s2", "#!  /bin/busybox   echo  \n", 0755);
  run("argument on the #! line", (char* const[]){"./s2", "x", NULL});
  write_script("s3", "#!./s2 nested\n", 0755);
  run("script interpreted by a script", (char* const[]){"./s3", "y", NULL});
  write_script("s4", "#!\n", 0755);
  run("no interpreter", (char* const[]){"./s4", NULL});
  write_script("s5", "#!/nonexistent/interpreter\n", 0755);
  run("missing interpreter", (char* const[]){"./s5", NULL});
  write_script("s6", "#!/bin/busybox sh\necho hi\n", 0644);
  run("not executable", (char* const[]){"./s6", NULL});
  write_script("s7", "#!./s7\n", 0755);
  run("interpreter loop", (char* const[]){"./s7", NULL});
  write_script("s8", "echo no shebang\n", 0755);
  run("no #! and not ELF", (char* const[]){"./s8", NULL});
  return 0;
}
