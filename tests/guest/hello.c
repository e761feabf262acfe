// minisentry-test: args one "two words" three
// The simplest guest: arguments in, text and an exit status out.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello, world\n");
  for (int i = 1; i < argc; i++)
    printf("argv[%d] = %s\n", i, argv[i]);
  return 3;
}
