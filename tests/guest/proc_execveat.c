// execveat(2): a program found through a directory descriptor, fexecve of an open (or
// O_PATH) descriptor with AT_EMPTY_PATH, the name the new image sees (AT_EXECFN is
// /dev/fd/N[/NAME]), AT_SYMLINK_NOFOLLOW, a script behind a close-on-exec descriptor, and
// the errors in between.
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "guest_test.h"

extern char** environ;

// The harness may leave descriptors open natively: tests name theirs, as /dev/fd/N shows.
static int at_fd(int fd, int want) {
  CHECK(fd >= 0 && dup2(fd, want) == want);
  close(fd);
  return want;
}

static long execveat_call(int dirfd, const char* path, char* const argv[], int flags) {
  return syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

// Runs execveat in a child and reports how the child ended.
static void in_child(const char* label, int dirfd, const char* path, char* const argv[],
                     int flags) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    execveat_call(dirfd, path, argv, flags);
    printf("%s: execveat failed: %s\n", label, guest_errno_name(errno));
    fflush(stdout);
    _exit(99);
  }
  int st;
  waitpid(p, &st, 0);
  printf("%s: exit %d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    printf("child %s: argv[0] kept: %d, execfn %s\n", argc > 2 ? argv[2] : "?",
           strcmp(argv[0], "self") == 0, (const char*)getauxval(AT_EXECFN));
    return 7;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  char self_copy[4096];
  snprintf(self_copy, sizeof(self_copy), "%s", argv[0]);
  const char* dir = dirname(self_copy);
  char name_copy[4096];
  snprintf(name_copy, sizeof(name_copy), "%s", argv[0]);
  const char* name = basename(name_copy);

  char* fexecve_args[] = {"self", "child", "fexecve", NULL};
  int fd = at_fd(open(argv[0], O_RDONLY), 10);
  in_child("fexecve", fd, "", fexecve_args, AT_EMPTY_PATH);
  close(fd);

  char* opath_args[] = {"self", "child", "O_PATH", NULL};
  fd = at_fd(open(argv[0], O_PATH), 11);
  in_child("O_PATH descriptor", fd, "", opath_args, AT_EMPTY_PATH);
  close(fd);

  char* dir_args[] = {"self", "child", "dirfd", NULL};
  int dfd = at_fd(open(dir, O_RDONLY | O_DIRECTORY), 12);
  in_child("relative to a dirfd", dfd, name, dir_args, 0);

  char* abs_args[] = {"self", "child", "absolute", NULL};
  in_child("absolute path ignores dirfd", 999, argv[0], abs_args, 0);

  CHECK(symlink(argv[0], "link") == 0);
  char* link_args[] = {"self", "child", "symlink", NULL};
  in_child("through a symlink", AT_FDCWD, "link", link_args, 0);
  SHOW("AT_SYMLINK_NOFOLLOW on a symlink",
       execveat_call(AT_FDCWD, "link", link_args, AT_SYMLINK_NOFOLLOW));
  fd = open(argv[0], O_RDONLY);
  SHOW("unknown flag, empty path", execveat_call(fd, "", fexecve_args, 0x4));
  SHOW("unknown flag", execveat_call(fd, "", fexecve_args, AT_EMPTY_PATH | 0x4));
  SHOW("empty path without AT_EMPTY_PATH", execveat_call(fd, "", fexecve_args, 0));
  SHOW("relative path on a file descriptor", execveat_call(fd, "x", fexecve_args, 0));
  SHOW("bad descriptor", execveat_call(99, "x", fexecve_args, 0));
  SHOW("missing name in dirfd", execveat_call(dfd, "missing", fexecve_args, 0));
  SHOW("a directory", execveat_call(dfd, "", fexecve_args, AT_EMPTY_PATH));
  close(fd);

  // A script needs its own name after the exec: a close-on-exec descriptor has none.
  int s = open("script.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  CHECK(s >= 0);
  const char text[] = "#!/bin/sh\necho script ran\n";
  CHECK(write(s, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
  close(s);
  char* script_args[] = {"script.sh", NULL};
  s = open("script.sh", O_RDONLY | O_CLOEXEC);
  SHOW("script behind a close-on-exec descriptor",
       execveat_call(s, "", script_args, AT_EMPTY_PATH));
  close(s);
  return 0;
}
