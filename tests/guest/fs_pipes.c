// Pipes and FIFOs: capacity, PIPE_BUF atomicity, F_GETPIPE_SZ/F_SETPIPE_SZ, EAGAIN, EPIPE
// (with SIGPIPE ignored), POLLHUP-style EOF, FIONREAD, O_DIRECT packets, splice and tee,
// FIFOs through mknod with their open rules.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "guest_test.h"

static char big[1 << 20];

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  SHOW("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
  SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
  SHOW("F_GETFL read end", fcntl(p[0], F_GETFL));
  SHOW("F_GETFL write end", fcntl(p[1], F_GETFL));
  char buf[8192];
  SHOW("read empty", read(p[0], buf, 1));
  SHOW("fill", write(p[1], big, sizeof(big)));
  SHOW("write full", write(p[1], "x", 1));
  int avail = 0;
  ioctl(p[0], FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  SHOW("read 100", read(p[0], buf, 100));
  SHOW("write PIPE_BUF into 100 free", write(p[1], big, PIPE_BUF));
  SHOW("write 100 into 100 free", write(p[1], big, 100));
  SHOW("read 5000", read(p[0], buf, 5000));
  SHOW("write PIPE_BUF into page", write(p[1], big, PIPE_BUF));
  SHOW("write 8192", write(p[1], big, 8192));
  SHOW("F_SETPIPE_SZ too small", fcntl(p[1], F_SETPIPE_SZ, 4096));
  close(p[0]);
  close(p[1]);

  SHOW("pipe", pipe(p));
  SHOW("F_SETPIPE_SZ 5000", fcntl(p[1], F_SETPIPE_SZ, 5000));
  SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
  SHOW("F_SETPIPE_SZ 0", fcntl(p[1], F_SETPIPE_SZ, 0));
  SHOW("F_SETPIPE_SZ 1M", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
  SHOW("F_SETPIPE_SZ on file", fcntl(1 + open(".", O_RDONLY) - 1, F_GETPIPE_SZ));
  SHOW("write", write(p[1], "hello", 5));
  close(p[1]);
  SHOW("read after writer closed", read(p[0], buf, sizeof(buf)));
  SHOW("read at EOF", read(p[0], buf, sizeof(buf)));
  SHOW("lseek on pipe", lseek(p[0], 0, SEEK_SET));
  SHOW("pread on pipe", pread(p[0], buf, 1, 0));
  close(p[0]);
  pipe(p);
  close(p[0]);
  SHOW("write without readers", write(p[1], "x", 1));
  close(p[1]);

  // O_DIRECT: every write is a packet, every read takes at most one.
  SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
  write(p[1], "first", 5);
  write(p[1], "second", 6);
  SHOW("packet read 100", read(p[0], buf, 100));
  SHOW("packet read 3", read(p[0], buf, 3));
  SHOW("packet read rest", (fcntl(p[0], F_SETFL, O_NONBLOCK), read(p[0], buf, 100)));
  close(p[0]);
  close(p[1]);
  SHOW("pipe2 bad flags", pipe2(p, O_RDWR));
  SHOW("pipe bad pointer", syscall(SYS_pipe, 8));

  // splice and tee between a file and pipes.
  int f = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(f, "spliced bytes", 13);
  int a[2], b[2];
  pipe(a);
  pipe(b);
  off_t off = 8;  // loff_t: musl has no such name, and off_t is 64 bits here
  SHOW("splice file->pipe at offset", splice(f, &off, a[1], NULL, 100, 0));
  printf("offset now %ld, file offset %ld\n", (long)off, (long)lseek(f, 0, SEEK_CUR));
  SHOW("tee", tee(a[0], b[1], 100, 0));
  SHOW("splice pipe->pipe", splice(a[0], NULL, b[1], NULL, 100, 0));
  memset(buf, 0, sizeof(buf));
  SHOW("read teed", read(b[0], buf, sizeof(buf)));
  printf("[%s]\n", buf);
  SHOW("splice no pipe", splice(f, NULL, f, NULL, 10, 0));
  SHOW("splice offset on pipe", splice(a[0], &off, f, NULL, 10, 0));
  SHOW("splice bad flags", splice(a[0], NULL, b[1], NULL, 10, 0x100));
  SHOW("tee same pipe", tee(a[0], a[1], 10, 0));
  write(a[1], "to file", 7);
  SHOW("splice pipe->file", splice(a[0], NULL, f, NULL, 100, 0));
  memset(buf, 0, sizeof(buf));
  pread(f, buf, 100, 0);
  printf("file [%s]\n", buf);
  int out = open("copy", O_CREAT | O_RDWR | O_TRUNC, 0644);
  off_t soff = 0;
  SHOW("sendfile", sendfile(out, f, &soff, 100));
  printf("sendfile offset %ld\n", (long)soff);
  off_t in_off = 2, out_off = 100;
  SHOW("copy_file_range", copy_file_range(f, &in_off, out, &out_off, 5, 0));
  struct stat st;
  fstat(out, &st);
  printf("copy size %ld\n", (long)st.st_size);
  SHOW("copy_file_range flags", copy_file_range(f, NULL, out, NULL, 5, 1));
  SHOW("copy_file_range dir", copy_file_range(open(".", O_RDONLY), NULL, out, NULL, 5, 0));
  struct iovec iov = {"vmspliced", 9};
  SHOW("vmsplice", vmsplice(b[1], &iov, 1, 0));
  SHOW("read vmspliced", read(b[0], buf, 100));

  // FIFOs.
  SHOW("mkfifo", mkfifo("fifo", 0644));
  SHOW("open writer nonblock, no reader", open("fifo", O_WRONLY | O_NONBLOCK));
  int r = open("fifo", O_RDONLY | O_NONBLOCK);
  SHOW_OK("open reader nonblock", r);
  int w = open("fifo", O_WRONLY | O_NONBLOCK);
  SHOW_OK("open writer nonblock with reader", w);
  SHOW("fifo write", write(w, "through fifo", 12));
  memset(buf, 0, sizeof(buf));
  SHOW("fifo read", read(r, buf, sizeof(buf)));
  printf("[%s]\n", buf);
  close(w);
  SHOW("fifo read after writer left", read(r, buf, sizeof(buf)));
  close(r);
  int rw = open("fifo", O_RDWR);
  SHOW_OK("open fifo O_RDWR", rw);
  write(rw, "self", 4);
  SHOW("read own write", read(rw, buf, 4));
  close(rw);
  rw = open("fifo", O_RDWR);
  SHOW("lseek fifo", lseek(rw, 0, SEEK_SET));
  close(rw);
  // A blocking open waits for the other side: a child opens the writer.
  pid_t pid = fork();
  if (pid == 0) {
    int cw = open("fifo", O_WRONLY);
    write(cw, "from child", 10);
    _exit(0);
  }
  int cr = open("fifo", O_RDONLY);
  memset(buf, 0, sizeof(buf));
  long n = 0, got;
  while ((got = read(cr, buf + n, sizeof(buf) - n)) > 0)
    n += got;
  printf("blocking fifo got [%s]\n", buf);
  waitpid(pid, NULL, 0);
  return 0;
}
