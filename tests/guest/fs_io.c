// File I/O semantics, compared with the real kernel: O_EXCL/O_APPEND/O_TRUNC, pread and
// pwrite leaving the offset alone, holes after seeking past the end, ftruncate both ways,
// an unlinked file staying readable, rename over an existing file, preadv/pwritev.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "guest_test.h"

static long offset_of(int fd) {
  return lseek(fd, 0, SEEK_CUR);
}

static void show_contents(const char* label, const char* path) {
  char buf[256] = {0};
  int fd = open(path, O_RDONLY);
  long n = read(fd, buf, sizeof(buf) - 1);
  for (long i = 0; i < n; i++) {
    if (buf[i] == 0) buf[i] = '.';
  }
  printf("%s: %ld [%s]\n", label, n, n > 0 ? buf : "");
  close(fd);
}

int main(void) {
  // O_CREAT | O_EXCL.
  int fd = open("f", O_CREAT | O_EXCL | O_WRONLY, 0644);
  SHOW_OK("create excl", fd);
  SHOW("create excl again", open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
  SHOW("write", write(fd, "hello world", 11));
  close(fd);
  // O_TRUNC empties; O_APPEND writes at the end whatever the offset.
  fd = open("f", O_RDWR | O_APPEND);
  SHOW("lseek 0", lseek(fd, 0, SEEK_SET));
  SHOW("append", write(fd, "!!", 2));
  SHOW("offset after append", offset_of(fd));
  SHOW("pwrite with O_APPEND", pwrite(fd, "??", 2, 0));
  SHOW("offset after pwrite", offset_of(fd));
  close(fd);
  show_contents("after append", "f");
  fd = open("f", O_RDWR | O_TRUNC);
  struct stat st;
  fstat(fd, &st);
  SHOW("size after O_TRUNC", st.st_size);
  close(fd);

  // pread/pwrite use their own offset and leave the file's alone.
  fd = open("p", O_CREAT | O_RDWR, 0600);
  SHOW("write abcdef", write(fd, "abcdef", 6));
  char buf[16] = {0};
  SHOW("pread 3 at 1", pread(fd, buf, 3, 1));
  printf("pread got [%s]\n", buf);
  SHOW("offset after pread", offset_of(fd));
  SHOW("pwrite XY at 2", pwrite(fd, "XY", 2, 2));
  SHOW("offset after pwrite", offset_of(fd));
  SHOW("pread negative", pread(fd, buf, 1, -1));
  SHOW("pread past end", pread(fd, buf, 4, 100));
  struct iovec iov[2] = {{buf, 2}, {buf + 8, 3}};
  memset(buf, 0, sizeof(buf));
  SHOW("preadv", preadv(fd, iov, 2, 1));
  printf("preadv got [%.2s][%.3s]\n", buf, buf + 8);
  SHOW("pwritev", pwritev(fd, iov, 2, 6));
  SHOW("offset after pwritev", offset_of(fd));
  show_contents("after pwritev", "p");

  // Seeking past the end leaves a hole that reads back as zeros.
  SHOW("lseek past end", lseek(fd, 20000, SEEK_SET));
  SHOW("write after hole", write(fd, "end", 3));
  fstat(fd, &st);
  SHOW("size with hole", st.st_size);
  memset(buf, 'x', sizeof(buf));
  SHOW("pread in hole", pread(fd, buf, 8, 10000));
  int zeros = 1;
  for (int i = 0; i < 8; i++)
    zeros &= buf[i] == 0;
  printf("hole is zeros: %d\n", zeros);
  SHOW("SEEK_DATA from 0", lseek(fd, 0, SEEK_DATA));
  SHOW("SEEK_HOLE from 0", lseek(fd, 0, SEEK_HOLE));
  SHOW("SEEK_DATA in hole", lseek(fd, 5000, SEEK_DATA));
  SHOW("SEEK_HOLE from data", lseek(fd, 16384, SEEK_HOLE));
  SHOW("SEEK_DATA at end", lseek(fd, 20003, SEEK_DATA));
  SHOW("SEEK_END -3", lseek(fd, -3, SEEK_END));
  SHOW("lseek negative", lseek(fd, -1, SEEK_SET));
  SHOW("lseek bad whence", lseek(fd, 0, 9));

  // ftruncate grows with zeros and shrinks.
  SHOW("ftruncate shrink", ftruncate(fd, 4));
  show_contents("after shrink", "p");
  SHOW("ftruncate grow", ftruncate(fd, 8));
  show_contents("after grow", "p");
  SHOW("ftruncate negative", ftruncate(fd, -1));
  close(fd);
  fd = open("p", O_RDONLY);
  SHOW("ftruncate read-only fd", ftruncate(fd, 0));
  close(fd);
  SHOW("truncate path", truncate("p", 2));
  show_contents("after truncate", "p");

  // An unlinked file stays readable and writable through its descriptor.
  fd = open("gone", O_CREAT | O_RDWR, 0644);
  write(fd, "still here", 10);
  SHOW("unlink open file", unlink("gone"));
  SHOW("stat unlinked", stat("gone", &st));
  fstat(fd, &st);
  SHOW("nlink of unlinked", st.st_nlink);
  memset(buf, 0, sizeof(buf));
  SHOW("read unlinked", pread(fd, buf, 10, 0));
  printf("unlinked content [%s]\n", buf);
  close(fd);

  // rename replaces the target atomically; a descriptor of the old target keeps its data.
  int a = open("a", O_CREAT | O_WRONLY, 0644);
  write(a, "AAA", 3);
  close(a);
  int b = open("b", O_CREAT | O_RDWR, 0644);
  write(b, "BBBBB", 5);
  SHOW("rename over existing", rename("a", "b"));
  SHOW("old name gone", access("a", F_OK));
  show_contents("new b", "b");
  memset(buf, 0, sizeof(buf));
  SHOW("old b through fd", pread(b, buf, 5, 0));
  printf("old b [%s]\n", buf);
  close(b);
  SHOW("rename to itself", rename("b", "b"));
  SHOW("rename missing", rename("nothing", "x"));

  // creat() truncates; O_WRONLY files cannot be read, O_RDONLY ones not written.
  fd = creat("b", 0644);
  fstat(fd, &st);
  SHOW("creat truncates", st.st_size);
  SHOW("read from O_WRONLY", read(fd, buf, 1));
  close(fd);
  fd = open("b", O_RDONLY);
  SHOW("write to O_RDONLY", write(fd, "x", 1));
  SHOW("F_GETFL", fcntl(fd, F_GETFL));
  close(fd);
  fd = open(".", O_PATH);
  SHOW("read O_PATH", read(fd, buf, 1));
  SHOW("F_GETFL O_PATH", fcntl(fd, F_GETFL));
  close(fd);
  return 0;
}
