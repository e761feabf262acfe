// Opening a small file, reading 4 KiB from it and closing it: the path walk, a file
// description and a read, every time.
//   open_read_close [ITERATIONS [ROUNDS]]   prints "open_read_close_ns <median ns>"
#include <fcntl.h>
#include <unistd.h>

#include "bench_guest.h"

static const char kPath[] = "open_read_close.data";

static void loop(long n) {
  char buf[4096];
  for (long i = 0; i < n; ++i) {
    const int fd = open(kPath, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
      perror("open/read");
      exit(1);
    }
    close(fd);
  }
}

int main(int argc, char** argv) {
  char block[4096] = {0};
  const int fd = open(kPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
    perror("create");
    return 1;
  }
  close(fd);
  bench_report("open_read_close_ns", bench_arg(argc, argv, 1, 20000),
               (int)bench_arg(argc, argv, 2, 5), loop);
  unlink(kPath);
  return 0;
}
