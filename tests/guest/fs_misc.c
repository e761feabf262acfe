// The rest of the file syscalls: close_range, dup2/dup3, F_DUPFD, the generic ioctls,
// statfs, chroot, the sync family and hints, fallocate, openat2's RESOLVE_* flags.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "guest_test.h"

// The kernel's constants and structure (musl's headers lack them).
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
struct open_how {
  unsigned long long flags;
  unsigned long long mode;
  unsigned long long resolve;
};

static long openat2_(int dirfd, const char* path, unsigned long long flags,
                     unsigned long long resolve) {
  struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 3, SEEK_SET);
  int n = 0;
  SHOW("FIONREAD file", ioctl(fd, FIONREAD, &n));
  printf("FIONREAD says %d\n", n);
  SHOW("FIOCLEX", ioctl(fd, FIOCLEX));
  SHOW("F_GETFD after FIOCLEX", fcntl(fd, F_GETFD));
  SHOW("FIONCLEX", ioctl(fd, FIONCLEX));
  SHOW("F_GETFD after FIONCLEX", fcntl(fd, F_GETFD));
  int on = 1;
  SHOW("FIONBIO", ioctl(fd, FIONBIO, &on));
  SHOW("O_NONBLOCK set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  SHOW("unknown ioctl on file", ioctl(fd, 0x12345678, 0));
  SHOW("TCGETS on file", ioctl(fd, 0x5401, &n));
  int p[2];
  pipe(p);
  write(p[1], "abc", 3);
  SHOW("FIONREAD pipe", ioctl(p[0], FIONREAD, &n));
  printf("pipe FIONREAD says %d\n", n);

  // Descriptor juggling.
  SHOW("dup2 same", dup2(fd, fd) == fd);
  SHOW("dup2 bad old", dup2(99, 50));
  SHOW("dup2 negative new", dup2(fd, -1));
  SHOW("dup3 same", syscall(SYS_dup3, fd, fd, 0));
  SHOW("dup3 bad flags", syscall(SYS_dup3, fd, 50, O_NONBLOCK));
  SHOW("dup3 cloexec", syscall(SYS_dup3, fd, 50, O_CLOEXEC));
  SHOW("F_GETFD 50", fcntl(50, F_GETFD));
  SHOW("F_DUPFD from 60", fcntl(fd, F_DUPFD, 60));
  SHOW("F_DUPFD_CLOEXEC from 70", fcntl(fd, F_DUPFD_CLOEXEC, 70));
  SHOW("F_GETFD 70", fcntl(70, F_GETFD));
  SHOW("F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
  SHOW("bad fcntl", fcntl(fd, 9999));
  SHOW("close_range cloexec", syscall(SYS_close_range, 60, 70, CLOSE_RANGE_CLOEXEC));
  SHOW("F_GETFD 60", fcntl(60, F_GETFD));
  SHOW("close_range", syscall(SYS_close_range, 50, ~0U, 0));
  SHOW("50 closed", fcntl(50, F_GETFD));
  SHOW("70 closed", fcntl(70, F_GETFD));
  SHOW("close_range bad order", syscall(SYS_close_range, 10, 5, 0));
  SHOW("close_range bad flags", syscall(SYS_close_range, 10, 20, 0x100));
  SHOW("close closed", close(50));

  // statfs: what every filesystem answers.
  struct statfs sf;
  SHOW("statfs", statfs(".", &sf));
  printf("namelen %ld bsize %ld\n", (long)sf.f_namelen, (long)sf.f_bsize);
  SHOW("fstatfs", fstatfs(fd, &sf));
  SHOW("statfs missing", statfs("none", &sf));
  SHOW("statfs bad buffer", syscall(SYS_statfs, ".", 8));

  // The sync family and hints.
  SHOW("fsync", fsync(fd));
  SHOW("fdatasync", fdatasync(fd));
  SHOW("fsync pipe", fsync(p[0]));
  SHOW("fsync bad fd", fsync(99));
  SHOW("syncfs", syncfs(fd));
  sync();
  SHOW("sync_file_range", sync_file_range(fd, 0, 10, SYNC_FILE_RANGE_WRITE));
  SHOW("sync_file_range bad flags", sync_file_range(fd, 0, 10, 8));
  SHOW("sync_file_range pipe", sync_file_range(p[0], 0, 10, 0));
  SHOW("fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  SHOW("fadvise bad advice", posix_fadvise(fd, 0, 0, 99));
  SHOW("fadvise pipe", posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
  SHOW("readahead", readahead(fd, 0, 4096));
  SHOW("readahead pipe", readahead(p[0], 0, 10));

  // fallocate.
  int g = open("g", O_CREAT | O_RDWR, 0644);
  SHOW("fallocate grow", fallocate(g, 0, 0, 8192));
  struct stat st;
  fstat(g, &st);
  printf("size %ld\n", (long)st.st_size);
  SHOW("fallocate keep size", fallocate(g, FALLOC_FL_KEEP_SIZE, 8192, 8192));
  fstat(g, &st);
  printf("size %ld\n", (long)st.st_size);
  pwrite(g, "xxxxxxxx", 8, 4096);
  SHOW("punch hole", fallocate(g, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  char buf[16] = {1};
  pread(g, buf, 8, 4096);
  printf("punched reads zero: %d\n", buf[0] == 0 && buf[7] == 0);
  SHOW("punch without keep size", fallocate(g, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  SHOW("fallocate zero len", fallocate(g, 0, 0, 0));
  SHOW("fallocate negative", fallocate(g, 0, -1, 10));
  SHOW("fallocate bad mode", fallocate(g, 0x1000, 0, 10));
  SHOW("fallocate pipe", fallocate(p[1], 0, 0, 10));
  int ro = open("g", O_RDONLY);
  SHOW("fallocate read-only", fallocate(ro, 0, 0, 10));
  int dir = open(".", O_RDONLY);
  SHOW("fallocate dir", fallocate(dir, 0, 0, 10));

  // openat2 and its RESOLVE_* restrictions.
  mkdir("jail", 0755);
  mkdir("jail/in", 0755);
  close(open("jail/in/file", O_CREAT | O_WRONLY, 0644));
  symlink("/etc", "jail/abs");
  symlink("../f", "jail/up");
  symlink("in/file", "jail/down");
  int j = open("jail", O_RDONLY | O_DIRECTORY);
  SHOW_OK("openat2 plain", openat2_(j, "in/file", O_RDONLY, 0));
  SHOW("openat2 beneath ..", openat2_(j, "../f", O_RDONLY, RESOLVE_BENEATH));
  SHOW("openat2 beneath absolute", openat2_(j, "/etc", O_RDONLY, RESOLVE_BENEATH));
  SHOW("openat2 beneath abs link", openat2_(j, "abs", O_RDONLY, RESOLVE_BENEATH));
  SHOW("openat2 beneath up link", openat2_(j, "up", O_RDONLY, RESOLVE_BENEATH));
  SHOW_OK("openat2 beneath down link", openat2_(j, "down", O_RDONLY, RESOLVE_BENEATH));
  SHOW("openat2 no symlinks", openat2_(j, "down", O_RDONLY, RESOLVE_NO_SYMLINKS));
  SHOW("openat2 in root ..", openat2_(j, "../in/file", O_RDONLY, RESOLVE_IN_ROOT) >= 0);
  SHOW("openat2 beneath|in_root", openat2_(j, "in", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  SHOW("openat2 bad resolve", openat2_(j, "in", O_RDONLY, 0x1000));
  SHOW("openat2 mode without create",
       syscall(SYS_openat2, j, "in", &(struct open_how){.flags = O_RDONLY, .mode = 0644},
               sizeof(struct open_how)));
  SHOW("openat2 small size", syscall(SYS_openat2, j, "in", &(struct open_how){0}, 8));
  SHOW("openat2 unknown flag", openat2_(j, "in", 1ULL << 40, 0));
  SHOW("openat2 no magic links",
       openat2_(AT_FDCWD, "/proc/self/fd/0", O_RDONLY, RESOLVE_NO_MAGICLINKS));
  SHOW("openat2 cached create", openat2_(j, "new", O_CREAT | O_WRONLY, RESOLVE_CACHED));

  // chroot: the new root is "/" for paths, ".." stops there, the cwd is left where it was.
  pid_t pid = fork();
  if (pid == 0) {
    SHOW("chroot", chroot("jail"));
    SHOW("open in new root", access("/in/file", F_OK));
    SHOW("dotdot stops at root", access("/../../in/file", F_OK));
    SHOW("chdir /", chdir("/"));
    char cwd[256];
    getcwd(cwd, sizeof(cwd));
    printf("cwd after chroot [%s]\n", cwd);
    SHOW("chroot file", chroot("/in/file"));
    SHOW("chroot missing", chroot("/nothing"));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  return 0;
}
