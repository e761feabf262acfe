// Ids of the first process, and uname's fixed fields.
#include <sys/utsname.h>

#include "guest_test.h"

int main(void) {
  printf("pid positive: %d\n", getpid() > 0);
  printf("tid is pid: %d\n", syscall(SYS_gettid) == getpid());
  printf("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
  struct utsname u;
  SHOW("uname", uname(&u));
  printf("sysname %s machine %s\n", u.sysname, u.machine);
  int tid_word;
  printf("set_tid_address returns tid: %d\n",
         syscall(SYS_set_tid_address, &tid_word) == syscall(SYS_gettid));
  char buf[64];
  SHOW("getcwd too small", syscall(SYS_getcwd, buf, 1));
  return 0;
}
