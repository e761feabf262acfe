// Advisory locks between processes: record locks (F_SETLK/F_GETLK), their release when
// the holder closes any descriptor of the file, OFD locks, flock, and F_SETLKW waiting for
// a holder that goes away.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "guest_test.h"

static int lock(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

static void show_getlk(const char* label, int fd, int cmd, short type, off_t start, off_t len,
                       pid_t holder) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  int r = fcntl(fd, cmd, &fl);
  const char* t = fl.l_type == F_UNLCK ? "unlocked" : fl.l_type == F_RDLCK ? "read" : "write";
  printf("%s: %d %s start %ld len %ld pid %s\n", label, r, t, (long)fl.l_start, (long)fl.l_len,
         fl.l_pid == holder ? "holder"
         : fl.l_pid == -1   ? "-1"
                            : "other");
}

int main(void) {
  int fd = open("lockfile", O_CREAT | O_RDWR, 0644);
  write(fd, "0123456789", 10);
  SHOW("write lock 0-9", lock(fd, F_SETLK, F_WRLCK, 0, 10));
  show_getlk("own lock is invisible", fd, F_GETLK, F_WRLCK, 0, 10, getpid());
  SHOW("bad type", lock(fd, F_SETLK, 7, 0, 1));
  SHOW("negative start", lock(fd, F_SETLK, F_RDLCK, -1, 1));
  SHOW("F_GETLK with F_UNLCK", lock(fd, F_GETLK, F_UNLCK, 0, 1));
  int ro = open("lockfile", O_RDONLY);
  SHOW("write lock on read-only fd", lock(ro, F_SETLK, F_WRLCK, 0, 1));

  int ready[2], go[2];
  pipe(ready);
  pipe(go);
  pid_t pid = fork();
  if (pid == 0) {
    // The child sees the parent's locks.
    show_getlk("child sees parent's", fd, F_GETLK, F_RDLCK, 5, 1, getppid());
    SHOW("child F_SETLK", lock(fd, F_SETLK, F_RDLCK, 2, 2));
    printf("child lock past it: %d\n", lock(fd, F_SETLK, F_WRLCK, 10, 5));
    fflush(stdout);
    write(ready[1], "r", 1);
    char c;
    read(go[0], &c, 1);
    // Blocks until the parent closes a descriptor of the file.
    printf("child F_SETLKW: %d\n", lock(fd, F_SETLKW, F_WRLCK, 0, 10));
    fflush(stdout);
    _exit(0);
  }
  char c;
  read(ready[0], &c, 1);
  show_getlk("parent sees child's", fd, F_GETLK, F_WRLCK, 12, 1, pid);
  // Unlocking part of a lock splits it.
  SHOW("unlock 3-4", lock(fd, F_SETLK, F_UNLCK, 3, 2));
  write(go[1], "g", 1);
  usleep(100000);
  // Closing *another* descriptor of the file drops all of this process's locks on it.
  close(ro);
  waitpid(pid, NULL, 0);
  show_getlk("after child exit", fd, F_GETLK, F_WRLCK, 0, 100, 0);

  // OFD locks belong to the open file description.
  int a = open("lockfile", O_RDWR);
  int b = open("lockfile", O_RDWR);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  SHOW("OFD lock a", fcntl(a, F_OFD_SETLK, &fl));
  SHOW("OFD lock b conflicts", fcntl(b, F_OFD_SETLK, &fl));
  show_getlk("OFD getlk from b", b, F_OFD_GETLK, F_RDLCK, 0, 1, 0);
  fl.l_pid = 1;
  SHOW("OFD with l_pid", fcntl(b, F_OFD_SETLK, &fl));
  fl.l_pid = 0;
  SHOW("process lock vs OFD", lock(fd, F_SETLK, F_RDLCK, 0, 1));
  int a2 = dup(a);
  close(a);
  SHOW("OFD lock held through dup", fcntl(b, F_OFD_SETLK, &fl));
  close(a2);
  SHOW("OFD lock after last close", fcntl(b, F_OFD_SETLK, &fl));

  // flock: per description, shared or exclusive, conversions.
  int x = open("lockfile", O_RDONLY);
  int y = open("lockfile", O_RDONLY);
  SHOW("flock sh x", flock(x, LOCK_SH));
  SHOW("flock sh y", flock(y, LOCK_SH | LOCK_NB));
  SHOW("flock ex y", flock(y, LOCK_EX | LOCK_NB));
  SHOW("flock un x", flock(x, LOCK_UN));
  SHOW("flock ex y now", flock(y, LOCK_EX | LOCK_NB));
  SHOW("flock sh x now", flock(x, LOCK_SH | LOCK_NB));
  SHOW("flock bad op", flock(x, 0));
  SHOW("flock bad fd", flock(99, LOCK_SH));
  pid = fork();
  if (pid == 0) {
    // Inherited descriptions hold the same flock.
    printf("child flock un inherited y: %d\n", flock(y, LOCK_UN));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  SHOW("flock sh x after child unlocked", flock(x, LOCK_SH | LOCK_NB));
  return 0;
}
