// Names and their errors: ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, ENAMETOOLONG, ELOOP, links,
// symlinks, *at() with dirfds, AT_EMPTY_PATH and trailing slashes.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest_test.h"

int main(void) {
  SHOW("mkdir d", mkdir("d", 0755));
  SHOW("mkdir d again", mkdir("d", 0755));
  SHOW("mkdir d/sub", mkdir("d/sub", 0755));
  int fd = open("d/file", O_CREAT | O_WRONLY, 0644);
  close(fd);
  SHOW("file as dir", open("d/file/x", O_RDONLY));
  SHOW("mkdir under file", mkdir("d/file/x", 0755));
  SHOW("open dir for write", open("d", O_WRONLY));
  SHOW("open dir O_RDWR", open("d", O_RDWR));
  SHOW("O_DIRECTORY on file", open("d/file", O_RDONLY | O_DIRECTORY));
  SHOW("O_CREAT on dir", open("d", O_CREAT | O_RDONLY, 0644));
  SHOW("O_CREAT trailing slash", open("newfile/", O_CREAT | O_WRONLY, 0644));
  SHOW("O_CREAT|O_DIRECTORY", open("nd", O_CREAT | O_DIRECTORY, 0644));
  SHOW("file trailing slash", open("d/file/", O_RDONLY));
  SHOW("rmdir non-empty", rmdir("d"));
  SHOW("rmdir file", rmdir("d/file"));
  SHOW("unlink dir", unlink("d/sub"));
  SHOW("unlink dir slash", unlink("d/sub/"));
  SHOW("unlink file slash", unlink("d/file/"));
  SHOW("rmdir dot", rmdir("d/sub/."));
  SHOW("rmdir dotdot", rmdir("d/sub/.."));
  SHOW("unlink missing", unlink("d/none"));
  SHOW("missing parent", open("none/x", O_RDONLY));
  SHOW("rename dir into itself", rename("d", "d/sub/inner"));
  SHOW("rename dir over non-empty dir", rename("d/sub", "d"));
  SHOW("rename file over dir", rename("d/file", "d/sub"));
  SHOW("rename dir over file", rename("d/sub", "d/file"));
  SHOW("mkdir x", mkdir("x", 0755));
  SHOW("rename dir over empty dir", rename("d/sub", "x"));
  SHOW("rmdir x", rmdir("x"));

  // Name lengths: a component over NAME_MAX, a path over PATH_MAX.
  char name[300];
  memset(name, 'n', 256);
  name[256] = 0;
  SHOW("name 256", open(name, O_CREAT | O_WRONLY, 0644));
  name[255] = 0;
  SHOW_OK("name 255", open(name, O_CREAT | O_WRONLY, 0644));
  SHOW("unlink name 255", unlink(name));
  char* path = malloc(5000);
  memset(path, 'a', 4999);
  path[4999] = 0;
  for (int i = 100; i < 4999; i += 100)
    path[i] = '/';
  SHOW("path over PATH_MAX", open(path, O_RDONLY));
  SHOW("mkdir path over PATH_MAX", mkdir(path, 0755));
  path[4095] = 0;
  SHOW("path of 4095", open(path, O_RDONLY));
  path[4096] = 0;
  path[4095] = 'a';
  SHOW("path of 4096", open(path, O_RDONLY));

  // Symlinks: loops, dangling links, trailing slashes, readlink.
  SHOW("symlink loop1", symlink("loop2", "loop1"));
  SHOW("symlink loop2", symlink("loop1", "loop2"));
  SHOW("open loop", open("loop1", O_RDONLY));
  SHOW("stat loop", access("loop1/x", F_OK));
  struct stat st;
  SHOW("lstat loop", lstat("loop1", &st));
  SHOW("self loop", symlink("self", "self"));
  SHOW("open self loop", open("self", O_RDONLY));
  SHOW("symlink empty target", symlink("", "empty"));
  SHOW("symlink exists", symlink("x", "loop1"));
  SHOW("dangling", symlink("nowhere", "dangling"));
  SHOW("open dangling", open("dangling", O_RDONLY));
  SHOW_OK("creat through dangling", open("dangling", O_CREAT | O_WRONLY, 0600));
  SHOW("target created", access("nowhere", F_OK));
  SHOW("O_EXCL on link", open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600));
  SHOW("O_NOFOLLOW on link", open("dangling", O_RDONLY | O_NOFOLLOW));
  SHOW("link to dir", symlink("d", "dlink"));
  SHOW("dlink/ is dir", access("dlink/", F_OK));
  SHOW("rmdir symlink", rmdir("dlink"));
  SHOW("unlink dlink/", unlink("dlink/"));
  char buf[64] = {0};
  SHOW("readlink", readlink("dlink", buf, sizeof(buf)));
  printf("readlink [%s]\n", buf);
  SHOW("readlink short", readlink("dlink", buf, 0));
  SHOW("readlink file", readlink("d/file", buf, sizeof(buf)));
  SHOW("readlink missing", readlink("none", buf, sizeof(buf)));
  SHOW("readlink empty path", readlink("", buf, sizeof(buf)));
  // A chain of 40 links resolves, 41 do not.
  int cfd = open("end", O_CREAT | O_WRONLY, 0644);
  close(cfd);
  char prev[32] = "end", cur[32];
  for (int i = 0; i < 41; i++) {
    snprintf(cur, sizeof(cur), "c%d", i);
    symlink(prev, cur);
    strcpy(prev, cur);
  }
  SHOW("chain of 40", access("c39", F_OK));
  SHOW("chain of 41", access("c40", F_OK));

  // Hard links.
  SHOW("link", link("d/file", "hard"));
  stat("hard", &st);
  SHOW("nlink after link", st.st_nlink);
  SHOW("link exists", link("d/file", "hard"));
  SHOW("link dir", link("d", "dhard"));
  SHOW("link missing", link("none", "h2"));
  SHOW("link to dangling follows?", link("dangling", "h3"));
  lstat("h3", &st);
  printf("h3 is link: %d\n", S_ISLNK(st.st_mode));

  // *at() calls relative to a directory descriptor.
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  SHOW("openat", openat(dfd, "file", O_RDONLY) >= 0);
  SHOW("mkdirat", mkdirat(dfd, "at", 0755));
  SHOW("unlinkat dir without flag", unlinkat(dfd, "at", 0));
  SHOW("unlinkat AT_REMOVEDIR", unlinkat(dfd, "at", AT_REMOVEDIR));
  SHOW("unlinkat bad flag", unlinkat(dfd, "file", 0x1));
  SHOW("renameat", renameat(dfd, "file", AT_FDCWD, "moved"));
  SHOW("renameat back", renameat(AT_FDCWD, "moved", dfd, "file"));
  int ffd = open("d/file", O_RDONLY);
  SHOW("openat file as dirfd", openat(ffd, "x", O_RDONLY));
  SHOW("openat bad dirfd", openat(99, "x", O_RDONLY));
  SHOW("openat bad dirfd absolute", openat(99, "/", O_RDONLY) >= 0);
  SHOW("fstatat empty path", fstatat(ffd, "", &st, AT_EMPTY_PATH));
  SHOW("fstatat empty no flag", fstatat(ffd, "", &st, 0));
  SHOW("fstatat bad flag", fstatat(dfd, "file", &st, 0x4000));
  SHOW("linkat AT_EMPTY_PATH", linkat(ffd, "", AT_FDCWD, "viafd", AT_EMPTY_PATH));
  SHOW("renameat2 noreplace", syscall(SYS_renameat2, AT_FDCWD, "hard", AT_FDCWD, "viafd", 1));
  SHOW("renameat2 exchange", syscall(SYS_renameat2, AT_FDCWD, "hard", AT_FDCWD, "dlink", 2));
  lstat("hard", &st);
  printf("hard is now a link: %d\n", S_ISLNK(st.st_mode));
  SHOW("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "hard", AT_FDCWD, "x", 3));
  SHOW("renameat2 exchange missing", syscall(SYS_renameat2, AT_FDCWD, "hard", AT_FDCWD, "zz", 2));
  int opath = open("dangling", O_PATH | O_NOFOLLOW);
  memset(buf, 0, sizeof(buf));
  SHOW("readlinkat O_PATH link", readlinkat(opath, "", buf, sizeof(buf)));
  printf("readlinkat [%s]\n", buf);
  SHOW("mknod fifo", mknod("fifo", S_IFIFO | 0600, 0));
  SHOW("mknod dir", mknod("mdir", S_IFDIR | 0755, 0));
  SHOW("mknod bad type", mknod("mbad", 0170000 | 0644, 0));
  SHOW("mknod regular", mknod("mreg", S_IFREG | 0644, 0));
  SHOW("mknod zero type", mknod("mzero", 0644, 0));
  stat("mzero", &st);
  printf("mzero regular: %d\n", S_ISREG(st.st_mode));
  SHOW("rmdir cwd dot", rmdir("."));
  SHOW("unlink dot", unlink("."));
  SHOW("mkdir dot", mkdir(".", 0755));
  SHOW("rename dot", rename(".", "x"));
  SHOW("rename onto dotdot", rename("mreg", ".."));
  return 0;
}
