// Directories: getdents64 over 2,000 entries (every name exactly once, in small buffers),
// telldir/seekdir, mkdir/rmdir, getcwd/chdir/fchdir and a removed working directory.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest_test.h"

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(void) {
  enum { N = 2000 };
  SHOW("mkdir big", mkdir("big", 0755));
  for (int i = 0; i < N; i++) {
    char name[64];
    snprintf(name, sizeof(name), "big/entry-%04d%s", i, i % 7 == 0 ? "-with-a-longer-name" : "");
    int fd = open(name, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) {
      printf("create %s failed\n", name);
      return 1;
    }
    close(fd);
  }
  mkdir("big/subdir", 0755);
  int fd = open("big", O_RDONLY | O_DIRECTORY);
  char* names[N + 8];
  int count = 0, dots = 0, calls = 0, dirs = 0, regs = 0;
  char buf[1024];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (n < 0) {
      printf("getdents64 failed: %s\n", guest_errno_name(errno));
      return 1;
    }
    if (n == 0) break;
    calls++;
    for (long off = 0; off < n;) {
      struct linux_dirent64* d = (struct linux_dirent64*)(buf + off);
      if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
        dots++;
      } else if (count < N + 8) {
        names[count++] = strdup(d->d_name);
        if (d->d_type == DT_DIR) dirs++;
        if (d->d_type == DT_REG) regs++;
      }
      if (d->d_reclen % 8 != 0) printf("unaligned record\n");
      off += d->d_reclen;
    }
  }
  qsort(names, count, sizeof(names[0]), cmp);
  int dup = 0;
  for (int i = 1; i < count; i++)
    dup += strcmp(names[i - 1], names[i]) == 0;
  printf("entries %d dots %d duplicates %d dirs %d regular %d many calls %d\n", count, dots, dup,
         dirs, regs, calls > 10);
  printf("first %s last %s\n", names[0], names[count - 1]);
  SHOW("getdents64 at end", syscall(SYS_getdents64, fd, buf, sizeof(buf)));
  SHOW("getdents64 tiny buffer", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, buf, 8)));
  SHOW("getdents64 bad fd", syscall(SYS_getdents64, 99, buf, sizeof(buf)));
  int file = open("big/entry-0001", O_RDONLY);
  SHOW("getdents64 on file", syscall(SYS_getdents64, file, buf, sizeof(buf)));
  SHOW("read on dir", read(fd, buf, 1));
  close(file);
  close(fd);

  // readdir with telldir/seekdir: a saved position gives the same entry again.
  DIR* dir = opendir("big");
  struct dirent* e;
  for (int i = 0; i < 100; i++)
    e = readdir(dir);
  long pos = telldir(dir);
  e = readdir(dir);
  char saved[256];
  strcpy(saved, e->d_name);
  for (int i = 0; i < 50; i++)
    readdir(dir);
  seekdir(dir, pos);
  e = readdir(dir);
  printf("seekdir returns the same entry: %d\n", strcmp(saved, e->d_name) == 0);
  rewinddir(dir);
  int again = 0;
  while (readdir(dir) != NULL)
    again++;
  printf("after rewinddir %d\n", again);
  closedir(dir);

  // Emptying and removing it.
  for (int i = 0; i < count; i++) {
    char path[300];
    snprintf(path, sizeof(path), "big/%s", names[i]);
    if (strcmp(names[i], "subdir") == 0) continue;
    if (unlink(path) != 0) printf("unlink %s: %s\n", path, guest_errno_name(errno));
  }
  SHOW("rmdir with subdir", rmdir("big"));
  SHOW("rmdir subdir", rmdir("big/subdir"));
  SHOW("rmdir big", rmdir("big"));

  // The working directory.
  char cwd[4096];
  SHOW("mkdir w", mkdir("w", 0755));
  SHOW("mkdir w/x", mkdir("w/x", 0755));
  char start[4096];
  getcwd(start, sizeof(start));
  SHOW("chdir w/x", chdir("w/x"));
  getcwd(cwd, sizeof(cwd));
  printf("cwd ends with /w/x: %d\n", strlen(cwd) > 4 && strcmp(cwd + strlen(cwd) - 4, "/w/x") == 0);
  printf("cwd starts with start: %d\n", strncmp(cwd, start, strlen(start)) == 0);
  SHOW("getcwd small buffer", syscall(SYS_getcwd, cwd, 2));
  SHOW("getcwd bad pointer", syscall(SYS_getcwd, (void*)8, sizeof(cwd)));
  SHOW("chdir file", chdir("/proc/self/nothing"));
  SHOW("chdir ..", chdir(".."));
  int wfd = open(".", O_RDONLY);
  SHOW("chdir /", chdir("/"));
  SHOW("fchdir", fchdir(wfd));
  getcwd(cwd, sizeof(cwd));
  printf("back in w: %d\n", strcmp(cwd + strlen(cwd) - 2, "/w") == 0);
  close(wfd);
  int regular = open("reg", O_CREAT | O_WRONLY, 0644);
  SHOW("fchdir file", fchdir(regular));
  SHOW("chdir to file", chdir("reg"));
  close(regular);
  SHOW("chdir x", chdir("x"));
  SHOW("rmdir own cwd", rmdir("../x"));
  SHOW("getcwd removed", syscall(SYS_getcwd, cwd, sizeof(cwd)));
  SHOW("create in removed cwd", open("new", O_CREAT | O_WRONLY, 0644));
  SHOW("mkdir in removed cwd", mkdir("new", 0755));
  SHOW("stat . in removed cwd", access(".", F_OK));
  SHOW("chdir .. from removed", chdir(".."));
  getcwd(cwd, sizeof(cwd));
  printf("in w again: %d\n", strcmp(cwd + strlen(cwd) - 2, "/w") == 0);
  return 0;
}
