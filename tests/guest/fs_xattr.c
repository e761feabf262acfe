// Extended attributes: user.* on files and directories, flags, sizes and errors.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "guest_test.h"

int main(void) {
  close(open("f", O_CREAT | O_WRONLY, 0644));
  mkdir("d", 0755);
  symlink("f", "link");
  char buf[256];
  SHOW("get missing", getxattr("f", "user.k", buf, sizeof(buf)));
  SHOW("set", setxattr("f", "user.k", "value", 5, 0));
  SHOW("get size", getxattr("f", "user.k", NULL, 0));
  memset(buf, 0, sizeof(buf));
  SHOW("get", getxattr("f", "user.k", buf, sizeof(buf)));
  printf("[%s]\n", buf);
  SHOW("get small buffer", getxattr("f", "user.k", buf, 2));
  SHOW("create existing", setxattr("f", "user.k", "v", 1, XATTR_CREATE));
  SHOW("replace missing", setxattr("f", "user.other", "v", 1, XATTR_REPLACE));
  SHOW("replace", setxattr("f", "user.k", "v2", 2, XATTR_REPLACE));
  SHOW("bad flags", setxattr("f", "user.k", "v", 1, 4));
  SHOW("empty value", setxattr("f", "user.empty", "", 0, 0));
  SHOW("get empty", getxattr("f", "user.empty", buf, sizeof(buf)));
  SHOW("list size", listxattr("f", NULL, 0));
  SHOW("list small", listxattr("f", buf, 3));
  SHOW("unknown namespace", setxattr("f", "foo.k", "v", 1, 0));
  SHOW("empty name", setxattr("f", "", "v", 1, 0));
  char longname[300] = "user.";
  memset(longname + 5, 'n', 260);
  SHOW("long name", setxattr("f", longname, "v", 1, 0));
  static char huge[70000];
  SHOW("huge value", setxattr("f", "user.huge", huge, sizeof(huge), 0));
  SHOW("dir attr", setxattr("d", "user.k", "dv", 2, 0));
  SHOW("get through link", getxattr("link", "user.k", buf, sizeof(buf)));
  SHOW("lset on link", lsetxattr("link", "user.k", "v", 1, 0));
  SHOW("lget on link", lgetxattr("link", "user.k", buf, sizeof(buf)));
  int fd = open("f", O_RDONLY);
  SHOW("fget", fgetxattr(fd, "user.k", buf, sizeof(buf)));
  SHOW("fset", fsetxattr(fd, "user.f", "x", 1, 0));
  SHOW("remove", removexattr("f", "user.k"));
  SHOW("remove again", removexattr("f", "user.k"));
  SHOW("fremove", fremovexattr(fd, "user.f"));
  SHOW("get missing file", getxattr("none", "user.k", buf, sizeof(buf)));
  int opath = open("f", O_PATH);
  SHOW("fget O_PATH", fgetxattr(opath, "user.k", buf, sizeof(buf)));
  SHOW("trusted as root", setxattr("f", "trusted.t", "v", 1, 0));
  SHOW("get trusted", getxattr("f", "trusted.t", buf, sizeof(buf)));
  return 0;
}
