// mmap, munmap, mprotect, mremap, madvise and brk: results and errors as Linux gives them.
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_test.h"

#define PAGE 4096L

static long raw(long nr, long a, long b, long c, long d, long e, long f) {
  return syscall(nr, a, b, c, d, e, f);
}

int main(void) {
  // Argument errors.
  SHOW("mmap len 0", raw(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  SHOW("mmap no type", raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
  SHOW("mmap bad offset", raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));
  SHOW("mmap fixed unaligned", raw(SYS_mmap, 0x10001000 + 1, PAGE, PROT_READ,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  SHOW("mmap anonymous shared-validate",
       raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
  SHOW("mmap huge", raw(SYS_mmap, 0, -PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  SHOW("mmap bad fd", raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 99, 0));

  // Anonymous memory is zeroed and usable.
  char* p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  int zero = 1;
  for (long i = 0; i < 4 * PAGE; i++)
    zero &= p[i] == 0;
  printf("zeroed: %d\n", zero);
  memset(p, 'x', 4 * PAGE);

  // MAP_FIXED_NOREPLACE over an existing mapping.
  SHOW("noreplace over mapping", raw(SYS_mmap, (long)p, PAGE, PROT_READ,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  // MAP_FIXED replaces: the page reads as zero again.
  char* q =
      mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed same address: %d, replaced page zero: %d, neighbours kept: %d\n", q == p + PAGE,
         q[0] == 0, p[0] == 'x' && p[2 * PAGE] == 'x');

  // munmap and mprotect errors.
  SHOW("munmap unaligned", munmap(p + 1, PAGE));
  SHOW("munmap len 0", munmap(p, 0));
  SHOW("munmap middle", munmap(p + PAGE, PAGE));
  SHOW("mprotect over hole", mprotect(p, 3 * PAGE, PROT_READ));
  SHOW("mprotect unaligned", mprotect(p + 1, PAGE, PROT_READ));
  SHOW("mprotect bad prot", mprotect(p, PAGE, 0x100));
  SHOW("mprotect ok", mprotect(p, PAGE, PROT_READ));
  SHOW("mprotect len 0", mprotect(p, 0, PROT_READ));
  SHOW("munmap again (hole is fine)", munmap(p + PAGE, PAGE));

  // A write to a read-only page through a syscall is EFAULT.
  SHOW("read into read-only", read(0, p, 1) == -1 && errno == EFAULT ? -2 : 0);
  SHOW("write from unmapped", write(1, p + PAGE, 1));
  SHOW("write from NULL", write(1, NULL, 1));

  // mremap: grow in place or move, contents kept.
  char* r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(r, "remapped");
  char* r2 = mremap(r, PAGE, 64 * PAGE, MREMAP_MAYMOVE);
  printf("mremap grow keeps data: %d\n", r2 != MAP_FAILED && strcmp(r2, "remapped") == 0);
  r2[63 * PAGE] = 'e';
  char* r3 = mremap(r2, 64 * PAGE, PAGE, 0);
  printf("mremap shrink in place: %d\n", r3 == r2);
  SHOW("mremap fixed without maymove", (long)mremap(r3, PAGE, PAGE, MREMAP_FIXED, p));
  SHOW("mremap bad flags", (long)mremap(r3, PAGE, PAGE, 0x80));
  SHOW("mremap unmapped", (long)mremap(p + PAGE, PAGE, 2 * PAGE, 0));
  SHOW("mremap new size 0", (long)mremap(r3, PAGE, 0, MREMAP_MAYMOVE));

  // madvise(MADV_DONTNEED) zero-fills private anonymous memory.
  char* m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 7, 2 * PAGE);
  SHOW("madvise dontneed", madvise(m, 2 * PAGE, MADV_DONTNEED));
  printf("zero after dontneed: %d\n", m[0] == 0 && m[PAGE] == 0);
  SHOW("madvise bad advice", madvise(m, PAGE, 12345));
  SHOW("madvise unaligned", madvise(m + 1, PAGE, MADV_NORMAL));
  SHOW("madvise over hole", madvise(p, 3 * PAGE, MADV_NORMAL));

  // brk grows and shrinks; a request below the start is refused with the old break.
  long b0 = syscall(SYS_brk, 0);
  long b1 = syscall(SYS_brk, b0 + 3 * PAGE);
  printf("brk grew: %d\n", b1 == b0 + 3 * PAGE);
  memset((char*)b0, 1, 3 * PAGE);
  long b2 = syscall(SYS_brk, b0 + PAGE);
  printf("brk shrank: %d\n", b2 == b0 + PAGE);
  printf("brk below start refused: %d\n", syscall(SYS_brk, 4096) == b2);

  // Shared anonymous memory works like private memory within one process.
  int* s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[10] = 42;
  printf("shared anon: %d\n", s[10]);
  return 0;
}
