// File mappings: MAP_SHARED writes are what read() sees and the reverse; MAP_PRIVATE keeps
// its copy; protections follow the descriptor's access mode.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "guest_test.h"

int main(void) {
  int fd = open("m", O_CREAT | O_RDWR, 0644);
  SHOW("ftruncate 8192", ftruncate(fd, 8192));
  char* shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  SHOW_OK("mmap shared", shared == MAP_FAILED ? -1 : 0);
  memcpy(shared + 4096, "through the mapping", 19);
  char buf[32] = {0};
  SHOW("pread sees mapping", pread(fd, buf, 19, 4096));
  printf("read [%s]\n", buf);
  SHOW("pwrite", pwrite(fd, "via write", 9, 100));
  printf("mapping sees write [%.9s]\n", shared + 100);
  char* priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  SHOW_OK("mmap private", priv == MAP_FAILED ? -1 : 0);
  memcpy(priv + 100, "PRIVATE!!", 9);
  memset(buf, 0, sizeof(buf));
  pread(fd, buf, 9, 100);
  printf("file unchanged by private write [%s]\n", buf);
  printf("shared unchanged [%.9s]\n", shared + 100);
  char* off = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
  printf("offset mapping [%.19s]\n", off);
  SHOW("munmap", munmap(shared, 8192));
  SHOW("msync-free reread", pread(fd, buf, 7, 4096 + 8));

  // Access modes.
  int ro = open("m", O_RDONLY);
  SHOW_OK("shared read-only of O_RDONLY",
          mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0);
  SHOW_OK("shared writable of O_RDONLY",
          mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0);
  SHOW_OK("private writable of O_RDONLY",
          mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) == MAP_FAILED ? -1 : 0);
  char* ros = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  SHOW("mprotect shared O_RDONLY to write", mprotect(ros, 4096, PROT_READ | PROT_WRITE));
  int wo = open("m", O_WRONLY);
  SHOW_OK("map O_WRONLY", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0) == MAP_FAILED ? -1 : 0);
  int opath = open("m", O_PATH);
  SHOW_OK("map O_PATH", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, opath, 0) == MAP_FAILED ? -1 : 0);
  SHOW_OK("map bad fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? -1 : 0);
  SHOW_OK("map unaligned offset",
          mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED ? -1 : 0);
  int dir = open(".", O_RDONLY);
  SHOW_OK("map directory", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, dir, 0) == MAP_FAILED ? -1 : 0);
  int p[2];
  pipe(p);
  SHOW_OK("map pipe", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p[0], 0) == MAP_FAILED ? -1 : 0);

  // A file that grows into a mapping, and a big one.
  int big = open("big", O_CREAT | O_RDWR, 0644);
  ftruncate(big, 1 << 20);
  char* bm = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, big, 0);
  for (int i = 0; i < (1 << 20); i += 4096)
    bm[i] = (char)(i >> 12);
  long sum = 0;
  unsigned char c;
  for (int i = 0; i < (1 << 20); i += 4096) {
    pread(big, &c, 1, i);
    sum += c;
  }
  printf("big sum %ld\n", sum);
  // memfd: a mapping of it and read() agree too.
  int mfd = memfd_create("test", MFD_CLOEXEC);
  SHOW_OK("memfd_create", mfd);
  ftruncate(mfd, 4096);
  char* mm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  strcpy(mm, "memfd data");
  memset(buf, 0, sizeof(buf));
  pread(mfd, buf, 10, 0);
  printf("memfd [%s]\n", buf);
  SHOW("memfd F_GETFD", fcntl(mfd, F_GETFD));
  SHOW("memfd F_GETFL", fcntl(mfd, F_GETFL));
  SHOW("memfd bad flags", memfd_create("x", 0x1000));
  char longname[300];
  memset(longname, 'n', 299);
  longname[299] = 0;
  SHOW("memfd long name", memfd_create(longname, 0));
  return 0;
}
