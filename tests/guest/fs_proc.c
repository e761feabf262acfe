// /proc from inside: self links, fd links and reopening through them, fdinfo, cmdline,
// status fields, maps naming a mapped file, mounts listing /proc, and /dev nodes.
// minisentry-test: args first second
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "guest_test.h"

static int contains(const char* path, const char* needle) {
  static char buf[1 << 16];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long n = 0, r;
  while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
    n += r;
  buf[n] = 0;
  close(fd);
  return strstr(buf, needle) != NULL;
}

int main(int argc, char** argv) {
  char buf[4096], want[4200];
  memset(buf, 0, sizeof(buf));
  SHOW_OK("readlink /proc/self", readlink("/proc/self", buf, sizeof(buf)));
  snprintf(want, sizeof(want), "%d", getpid());
  printf("/proc/self is our pid: %d\n", strcmp(buf, want) == 0);
  char cwd[4096];
  getcwd(cwd, sizeof(cwd));
  memset(buf, 0, sizeof(buf));
  readlink("/proc/self/cwd", buf, sizeof(buf));
  printf("cwd link matches getcwd: %d\n", strcmp(buf, cwd) == 0);
  memset(buf, 0, sizeof(buf));
  readlink("/proc/self/root", buf, sizeof(buf));
  printf("root link [%s]\n", buf);
  memset(buf, 0, sizeof(buf));
  readlink("/proc/self/exe", buf, sizeof(buf));
  printf("exe link is absolute: %d\n", buf[0] == '/');
  int fd = open("file", O_CREAT | O_RDWR, 0600);
  write(fd, "contents", 8);
  char link[128];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  memset(buf, 0, sizeof(buf));
  readlink(link, buf, sizeof(buf));
  snprintf(want, sizeof(want), "%s/file", cwd);
  printf("fd link names the file: %d\n", strcmp(buf, want) == 0);
  int again = open(link, O_RDONLY);
  SHOW_OK("open through fd link", again);
  memset(buf, 0, sizeof(buf));
  SHOW("read through it", read(again, buf, sizeof(buf)));
  printf("offset is separate: %ld\n", (long)lseek(again, 0, SEEK_CUR));
  unlink("file");
  memset(buf, 0, sizeof(buf));
  readlink(link, buf, sizeof(buf));
  printf("deleted suffix: %d\n", strstr(buf, " (deleted)") != NULL);
  snprintf(link, sizeof(link), "/proc/self/fdinfo/%d", fd);
  printf("fdinfo pos: %d\n", contains(link, "pos:\t8\n"));
  printf("fdinfo flags: %d\n", contains(link, "flags:\t0100002\n"));
  int p[2];
  pipe(p);
  snprintf(link, sizeof(link), "/proc/self/fd/%d", p[0]);
  memset(buf, 0, sizeof(buf));
  readlink(link, buf, sizeof(buf));
  printf("pipe link: %d\n", strncmp(buf, "pipe:[", 6) == 0);
  snprintf(link, sizeof(link), "/proc/self/fd/%d", p[1]);
  int w = open(link, O_WRONLY);
  SHOW("write through reopened pipe", write(w, "xyz", 3));
  SHOW("read it from the pipe", read(p[0], buf, 3));
  SHOW("readlink missing fd", readlink("/proc/self/fd/999", buf, sizeof(buf)));

  int cl = open("/proc/self/cmdline", O_RDONLY);
  long n = read(cl, buf, sizeof(buf));
  long args = 0;
  for (long i = 0; i < n; i++)
    args += buf[i] == 0;
  printf("cmdline args %ld, last [%s]\n", args, buf + n - 1 - strlen(argv[argc - 1]));
  printf("status Name: %d\n", contains("/proc/self/status", "\nState:\tR (running)\n"));
  snprintf(want, sizeof(want), "\nPid:\t%d\n", getpid());
  printf("status Pid: %d\n", contains("/proc/self/status", want));
  snprintf(want, sizeof(want), "%d (", getpid());
  printf("stat starts with pid: %d\n", contains("/proc/self/stat", want));
  printf("environ has HOME-less env: %d\n", contains("/proc/self/environ", "") >= 0);
  int mf = open("mapped", O_CREAT | O_RDWR, 0600);
  ftruncate(mf, 4096);
  void* m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mf, 0);
  snprintf(want, sizeof(want), "%s/mapped\n", cwd);
  printf("maps names the file: %d\n", m != MAP_FAILED && contains("/proc/self/maps", want));
  printf("maps has the stack: %d\n", contains("/proc/self/maps", "[stack]"));
  printf("mounts lists /proc: %d\n", contains("/proc/mounts", " /proc proc "));
  printf("mountinfo lists /proc: %d\n", contains("/proc/self/mountinfo", " /proc "));
  printf("filesystems has proc: %d\n", contains("/proc/filesystems", "\tproc\n"));
  printf("meminfo MemTotal: %d\n", contains("/proc/meminfo", "MemTotal:"));
  printf("cpuinfo processor: %d\n", contains("/proc/cpuinfo", "processor\t: 0\n"));
  printf("uptime: %d\n", contains("/proc/uptime", "."));
  printf("ostype: %d\n", contains("/proc/sys/kernel/ostype", "Linux\n"));
  struct stat st;
  SHOW("stat /proc/self/fd", stat("/proc/self/fd", &st));
  SHOW("write to status", write(open("/proc/self/status", O_WRONLY), "x", 1));
  SHOW("create in /proc", open("/proc/newfile", O_CREAT | O_WRONLY, 0644));
  SHOW("mkdir in /proc", mkdir("/proc/newdir", 0755));
  SHOW("open missing pid", open("/proc/999999/status", O_RDONLY));

  // /dev.
  int null = open("/dev/null", O_RDWR);
  SHOW("write /dev/null", write(null, "abc", 3));
  SHOW("read /dev/null", read(null, buf, 10));
  int zero = open("/dev/zero", O_RDONLY);
  buf[0] = 1;
  SHOW("read /dev/zero", read(zero, buf, 10));
  printf("zeroed: %d\n", buf[0] == 0 && buf[9] == 0);
  int full = open("/dev/full", O_WRONLY);
  SHOW("write /dev/full", write(full, "x", 1));
  int ur = open("/dev/urandom", O_RDONLY);
  SHOW("read /dev/urandom", read(ur, buf, 64));
  char* z = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
  printf("mapped /dev/zero: %d\n", z != MAP_FAILED && z[100] == 0);
  stat("/dev/null", &st);
  printf("/dev/null is char 1:3: %d\n", S_ISCHR(st.st_mode) && st.st_rdev == 0x103);
  memset(buf, 0, sizeof(buf));
  readlink("/dev/stdin", buf, sizeof(buf));
  printf("/dev/stdin [%s]\n", buf);
  int in = open("/dev/stdin", O_RDONLY);
  SHOW_OK("open /dev/stdin", in);
  return 0;
}
