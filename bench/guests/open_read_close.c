// Opening a small file, reading it whole and closing it: the path walk, the open file
// description and a small read.
//   open_read_close [ITERATIONS [ROUNDS [DIR]]]   prints "open_read_close_ns <median ns>"
// DIR (default /tmp) holds the 4 KiB file; pass a tmpfs directory to compare like with like.
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bench_guest.h"

static char path[4096];

static void loop(long n) {
  char buf[4096];
  for (long i = 0; i < n; ++i) {
    const int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(buf)) exit(1);
    close(fd);
  }
}

int main(int argc, char** argv) {
  snprintf(path, sizeof(path), "%s/open_read_close.%d", argc > 3 ? argv[3] : "/tmp", getpid());
  char data[4096];
  memset(data, 'x', sizeof(data));
  const int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data)) return 1;
  close(fd);
  bench_report("open_read_close_ns", bench_arg(argc, argv, 1, 100000),
               (int)bench_arg(argc, argv, 2, 5), loop);
  unlink(path);
  return 0;
}
