// Open file descriptions across dup and fork: one offset and one set of status flags,
// whoever moves them; close-on-exec is per descriptor; the child's cwd and umask are its own.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "guest_test.h"

int main(void) {
  int fd = open("shared", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 0, SEEK_SET);
  int copy = dup(fd);
  char c;
  read(copy, &c, 1);
  printf("dup shares the offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  SHOW("F_SETFL O_APPEND via dup", fcntl(copy, F_SETFL, O_APPEND));
  printf("status flags shared: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  fcntl(copy, F_SETFL, 0);
  SHOW("F_SETFD on dup", fcntl(copy, F_SETFD, FD_CLOEXEC));
  SHOW("F_GETFD original", fcntl(fd, F_GETFD));
  SHOW("F_GETFD dup", fcntl(copy, F_GETFD));

  pid_t pid = fork();
  if (pid == 0) {
    // The child reads two bytes and writes through the same description.
    read(fd, &c, 1);
    read(fd, &c, 1);
    write(fd, "C", 1);
    chdir("/");
    umask(077);
    _exit(c == '2' ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("child exit %d\n", WEXITSTATUS(status));
  printf("offset after the child: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  char buf[16] = {0};
  pread(fd, buf, 10, 0);
  printf("contents [%s]\n", buf);
  printf("cwd is still here: %d\n", access("shared", F_OK) == 0);
  printf("umask unchanged: %o\n", umask(022));

  // Separate opens have separate offsets even in one process.
  int other = open("shared", O_RDONLY);
  printf("separate open starts at %ld\n", (long)lseek(other, 0, SEEK_CUR));

  // A pipe across fork: the child writes, the parent reads until EOF once every writer
  // is gone.
  int p[2];
  pipe(p);
  pid = fork();
  if (pid == 0) {
    close(p[0]);
    for (int i = 0; i < 3; i++)
      write(p[1], "chunk", 5);
    _exit(0);
  }
  close(p[1]);
  long total = 0;
  long n;
  while ((n = read(p[0], buf, sizeof(buf))) > 0)
    total += n;
  printf("read %ld then %ld\n", total, n);
  waitpid(pid, &status, 0);
  return 0;
}
