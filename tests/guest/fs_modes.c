// Mode bits, umask, chmod/fchmod/fchmodat, chown to the same ids, utimensat and friends,
// access(2), stat and statx agreeing.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#include "guest_test.h"

// struct statx as the kernel defines it (musl's headers lack it).
struct sx_time {
  long long tv_sec;
  unsigned tv_nsec;
  int reserved;
};
struct sx {
  unsigned stx_mask, stx_blksize;
  unsigned long long stx_attributes;
  unsigned stx_nlink, stx_uid, stx_gid;
  unsigned short stx_mode, pad;
  unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
  struct sx_time stx_atime, stx_btime, stx_ctime, stx_mtime;
  unsigned stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  unsigned long long spare[14];
};
#define SX_BASIC 0x7ffU
#define SX_SYNC_TYPE 0x6000

static void show_mode(const char* label, const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("%s: lstat failed %s\n", label, guest_errno_name(errno));
    return;
  }
  printf("%s: %o\n", label, st.st_mode);
}

int main(void) {
  SHOW("umask 022 (old)", umask(022));
  SHOW("umask 027 (old)", umask(027));
  close(open("u1", O_CREAT | O_WRONLY, 0777));
  show_mode("created 0777 under 027", "u1");
  mkdir("u2", 0777);
  show_mode("mkdir 0777 under 027", "u2");
  SHOW("umask 0 (old)", umask(0));
  close(open("u3", O_CREAT | O_WRONLY, 07777));
  show_mode("created 07777 under 0", "u3");
  mkdir("u4", 07777);
  show_mode("mkdir 07777 under 0", "u4");
  SHOW("umask high bits (old)", umask(0177777));
  SHOW("umask back (old)", umask(022));
  mknod("fifo", S_IFIFO | 0666, 0);
  show_mode("fifo", "fifo");
  symlink("u1", "link");
  show_mode("symlink", "link");

  SHOW("chmod 0", chmod("u1", 0));
  show_mode("after chmod 0", "u1");
  SHOW("chmod 4755", chmod("u1", 04755));
  show_mode("after chmod 4755", "u1");
  SHOW("chmod type bits ignored", chmod("u1", S_IFDIR | 0640));
  show_mode("after chmod with type", "u1");
  int fd = open("u1", O_RDONLY);
  SHOW("fchmod", fchmod(fd, 0604));
  show_mode("after fchmod", "u1");
  SHOW("fchmodat", fchmodat(AT_FDCWD, "u1", 0666, 0));
  SHOW("fchmodat2 nofollow on link", syscall(452, AT_FDCWD, "link", 0600, AT_SYMLINK_NOFOLLOW));
  SHOW("fchmodat2 bad flag", syscall(452, AT_FDCWD, "u1", 0600, 0x1));
  SHOW("chmod through link", chmod("link", 0640));
  show_mode("target of link", "u1");
  SHOW("chmod missing", chmod("none", 0644));
  int opath = open("u1", O_PATH);
  SHOW("fchmod O_PATH", fchmod(opath, 0644));
  SHOW("fchmod bad fd", fchmod(99, 0644));

  struct stat st;
  stat("u1", &st);
  SHOW("chown to same ids", chown("u1", st.st_uid, st.st_gid));
  SHOW("chown -1 -1", chown("u1", -1, -1));
  SHOW("lchown link", lchown("link", -1, -1));
  SHOW("fchown", fchown(fd, -1, st.st_gid));
  SHOW("fchownat bad flags", fchownat(AT_FDCWD, "u1", -1, -1, 0x1));
  chmod("u1", 06755);
  SHOW("chown clears set-id", chown("u1", st.st_uid, -1));
  show_mode("after chown", "u1");

  // Times.
  struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
  SHOW("utimensat explicit", utimensat(AT_FDCWD, "u1", ts, 0));
  stat("u1", &st);
  printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {5, UTIME_OMIT}};
  SHOW("utimensat omit both on missing file", utimensat(AT_FDCWD, "none", omit, 0));
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "u1", bad, 0));
  struct timespec keep_atime[2] = {{0, UTIME_OMIT}, {1200000000, 0}};
  SHOW("utimensat omit atime", utimensat(AT_FDCWD, "u1", keep_atime, 0));
  stat("u1", &st);
  printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  SHOW("futimens", futimens(fd, ts));
  SHOW("utimensat NULL path fd", syscall(SYS_utimensat, fd, NULL, ts, 0));
  SHOW("utimensat NULL path cwd", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
  SHOW("utimensat nofollow link", utimensat(AT_FDCWD, "link", ts, AT_SYMLINK_NOFOLLOW));
  lstat("link", &st);
  printf("link mtime %ld\n", (long)st.st_mtim.tv_sec);
  struct timeval tv[2] = {{1300000000, 500000}, {1300000001, 1}};
  SHOW("utimes", utimes("u1", tv));
  stat("u1", &st);
  printf("utimes: mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
  SHOW("utimes bad usec", utimes("u1", badtv));
  struct utimbuf ub = {1400000000, 1400000001};
  SHOW("utime", utime("u1", &ub));
  stat("u1", &st);
  printf("utime: atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  time_t before = time(NULL);
  SHOW("utime now", utime("u1", NULL));
  stat("u1", &st);
  printf("now is recent: %d\n", st.st_mtim.tv_sec >= before && st.st_mtim.tv_sec <= before + 5);

  // access(2).
  chmod("u1", 0644);
  SHOW("access F_OK", access("u1", F_OK));
  SHOW("access R_OK|W_OK", access("u1", R_OK | W_OK));
  SHOW("access X_OK no x bits", access("u1", X_OK));
  chmod("u1", 0744);
  SHOW("access X_OK", access("u1", X_OK));
  SHOW("access bad mode", access("u1", 8));
  SHOW("access dir X_OK", access("u2", X_OK));
  SHOW("faccessat2 bad flag", syscall(439, AT_FDCWD, "u1", F_OK, 0x1));
  SHOW("faccessat2 empty path", syscall(439, fd, "", R_OK, AT_EMPTY_PATH));
  SHOW("faccessat2 eaccess", syscall(439, AT_FDCWD, "u1", R_OK, AT_EACCESS));
  SHOW("access missing", access("none", F_OK));
  SHOW("access dangling nofollow", faccessat(AT_FDCWD, "dangling-none", F_OK, AT_SYMLINK_NOFOLLOW));

  // stat, fstat, lstat and statx agree.
  struct stat a, b;
  struct sx sx;
#define statx(dirfd, path, flags, mask, buf) syscall(SYS_statx, dirfd, path, flags, mask, buf)
  stat("u1", &a);
  fstat(fd, &b);
  SHOW("statx", statx(AT_FDCWD, "u1", 0, SX_BASIC, &sx));
  printf("stat==fstat: %d\n",
         a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_mode == b.st_mode);
  printf("statx agrees: %d\n", sx.stx_ino == a.st_ino && sx.stx_mode == a.st_mode &&
                                   sx.stx_size == (unsigned long long)a.st_size &&
                                   sx.stx_nlink == a.st_nlink &&
                                   sx.stx_mtime.tv_sec == a.st_mtim.tv_sec);
  printf("statx basic mask: %d\n", (sx.stx_mask & SX_BASIC) == SX_BASIC);
  SHOW("statx bad sync flags", statx(AT_FDCWD, "u1", SX_SYNC_TYPE, SX_BASIC, &sx));
  SHOW("statx reserved mask", statx(AT_FDCWD, "u1", 0, 0x80000000U, &sx));
  SHOW("statx empty path", statx(fd, "", AT_EMPTY_PATH, SX_BASIC, &sx));
  SHOW("stat bad pointer", stat("u1", (struct stat*)8));
  SHOW("stat bad path pointer", stat((char*)8, &a));
  lstat("link", &a);
  printf("lstat link: size %ld is link %d\n", (long)a.st_size, S_ISLNK(a.st_mode));
  stat("link", &b);
  printf("stat follows: %d\n", S_ISREG(b.st_mode));
  close(fd);
  return 0;
}
