// Sequential streaming through a file: MiB megabytes written in BLOCK-byte writes, then read
// back in the same blocks (and checked), each timed on its own.
//   file_stream [MIB [BLOCK [DIR]]]   prints "file_write_ns <ns per MiB>" and "file_read_ns"
// DIR defaults to /dev/shm, a tmpfs both natively and in the sandbox.
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bench_guest.h"

int main(int argc, char** argv) {
  const long mib = bench_arg(argc, argv, 1, 1024);
  const long block = bench_arg(argc, argv, 2, 1 << 20);
  char path[4096];
  snprintf(path, sizeof(path), "%s/file_stream.%d", argc > 3 ? argv[3] : "/dev/shm", getpid());
  char* buf = malloc((size_t)block);
  if (buf == NULL) return 1;
  memset(buf, 0x5a, (size_t)block);
  const long total = mib << 20;
  const int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
  if (fd < 0) return 1;
  uint64_t t0 = bench_now_ns();
  for (long done = 0; done < total; done += block) {
    if (write(fd, buf, (size_t)block) != block) return 1;
  }
  const double write_ns = (double)(bench_now_ns() - t0);
  lseek(fd, 0, SEEK_SET);
  long sum = 0;
  t0 = bench_now_ns();
  for (long done = 0; done < total; done += block) {
    if (read(fd, buf, (size_t)block) != block) return 1;
    sum += buf[done % block];
  }
  const double read_ns = (double)(bench_now_ns() - t0);
  close(fd);
  unlink(path);
  if (sum != 0x5a * (total / block)) return 1;
  printf("file_write_ns %.0f\nfile_read_ns %.0f\n", write_ns / (double)mib, read_ns / (double)mib);
  return 0;
}
