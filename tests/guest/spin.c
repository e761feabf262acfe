// minisentry-test: no-diff
// Runs until killed, after saying so (for tests that kill the sandbox from outside).
#include <stdio.h>

int main(void) {
  puts("spinning");
  fflush(stdout);
  for (;;) {
  }
}
