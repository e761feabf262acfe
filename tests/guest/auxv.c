// The initial stack and auxiliary vector as Linux builds them.
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "guest_test.h"

extern char** environ;

int main(int argc, char** argv) {
  // The auxv follows envp's NULL.
  char** e = environ;
  while (*e)
    e++;
  Elf64_auxv_t* av = (Elf64_auxv_t*)(e + 1);
  printf("auxv types:");
  for (Elf64_auxv_t* a = av; a->a_type != AT_NULL; a++) {
    // Not in the sandbox: there is no vDSO, and rseq is not offered.
    if (a->a_type == AT_SYSINFO_EHDR || a->a_type == 27 || a->a_type == 28) continue;
    printf(" %lu", (unsigned long)a->a_type);
  }
  printf("\n");
  printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
  printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
  printf("AT_PHENT %lu AT_PHNUM %lu\n", getauxval(AT_PHENT), getauxval(AT_PHNUM));
  printf("AT_UID %lu AT_EUID %lu AT_GID %lu AT_EGID %lu\n", getauxval(AT_UID), getauxval(AT_EUID),
         getauxval(AT_GID), getauxval(AT_EGID));
  printf("AT_SECURE %lu AT_FLAGS %lu AT_BASE %lu\n", getauxval(AT_SECURE), getauxval(AT_FLAGS),
         getauxval(AT_BASE));
  printf("AT_HWCAP %#lx AT_HWCAP2 %#lx\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
  printf("AT_MINSIGSTKSZ %lu\n", getauxval(AT_MINSIGSTKSZ));
  printf("AT_PLATFORM %s\n", (const char*)getauxval(AT_PLATFORM));
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  printf("AT_EXECFN is argv[0]: %d\n", strcmp(execfn, argv[0]) == 0);
  // Layout: argv strings below envp strings below execfn, AT_RANDOM below them all.
  uintptr_t random = getauxval(AT_RANDOM);
  printf("strings ordered: %d\n",
         (uintptr_t)argv[0] < (uintptr_t)environ[0] && (uintptr_t)environ[0] < (uintptr_t)execfn);
  printf("random below strings: %d\n", random < (uintptr_t)argv[0]);
  printf("argv contiguous: %d\n", argc < 2 || argv[1] == argv[0] + strlen(argv[0]) + 1);
  printf("entry matches: %d\n", getauxval(AT_ENTRY) != 0);
  return 0;
}
