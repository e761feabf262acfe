// The cost of the cheapest syscall: raw `syscall` instructions for getpid, so that no libc
// caching or vDSO can answer without a trap.
//   getpid [ITERATIONS [ROUNDS]]   prints "getpid_ns <median ns per call>"
#include <sys/syscall.h>

#include "bench_guest.h"

static void loop(long n) {
  for (long i = 0; i < n; ++i) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_getpid) : "rcx", "r11", "memory");
  }
}

int main(int argc, char** argv) {
  bench_report("getpid_ns", bench_arg(argc, argv, 1, 100000), (int)bench_arg(argc, argv, 2, 5),
               loop);
  return 0;
}
