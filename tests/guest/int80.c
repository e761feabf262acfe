// minisentry-test: no-diff
// Tries the i386 syscall entry from 64-bit code. Natively the calls run; in the sandbox the
// first one must never reach the host. argv[1]: a directory the i386 mkdir would create.
#include <stdio.h>
#include <string.h>

static long int80(long nr, long a, long b, long c) {
  long r;
  // The kernel zeroes r8-r11 on an i386 syscall from 64-bit code.
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "r8", "r9", "r10", "r11", "memory");
  return r;
}

// The i386 syscall numbers for mkdir and write.
enum { kI386Write = 4, kI386Mkdir = 39 };
// int 0x80 takes 32-bit pointers: the strings must live below 4 GiB, as static data does in
// a non-PIE binary.
static char path[256];
static const char marker[] = "REACHED-THE-HOST\n";

int main(int argc, char** argv) {
  if (argc > 1) strncpy(path, argv[1], sizeof(path) - 1);
  int80(kI386Mkdir, (long)path, 0755, 0);
  int80(kI386Write, 1, (long)marker, sizeof(marker) - 1);
  puts("still running after int 0x80");
  return 0;
}
