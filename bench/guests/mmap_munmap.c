// Mapping and unmapping 64 KiB of anonymous memory, untouched: two syscalls that change the
// address space (the sentry must mirror both on the host).
//   mmap_munmap [ITERATIONS [ROUNDS]]   prints "mmap_munmap_ns <median ns per pair>"
#include <sys/mman.h>

#include "bench_guest.h"

enum { kLength = 64 * 1024 };

static void loop(long n) {
  for (long i = 0; i < n; ++i) {
    void* p = mmap(NULL, kLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      exit(1);
    }
    if (munmap(p, kLength) != 0) {
      perror("munmap");
      exit(1);
    }
  }
}

int main(int argc, char** argv) {
  bench_report("mmap_munmap_ns", bench_arg(argc, argv, 1, 20000), (int)bench_arg(argc, argv, 2, 5),
               loop);
  return 0;
}
