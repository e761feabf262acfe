// AF_UNIX: stream, datagram and seqpacket sockets; socketpair; abstract, filesystem and
// automatic names; SCM_RIGHTS and SCM_CREDENTIALS; SO_PEERCRED; end-of-stream, resets and
// EPIPE; the errors of bind and connect; read(2) and write(2) on sockets honour SO_RCVTIMEO
// and SO_SNDTIMEO and wait for a datagram receiver's room.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "guest_test.h"

static socklen_t abstract_addr(struct sockaddr_un* a, const char* name) {
  memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(a->sun_path + 1, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static socklen_t path_addr(struct sockaddr_un* a, const char* path) {
  memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  strcpy(a->sun_path, path);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static void print_name(const char* label, const struct sockaddr_un* a, socklen_t len) {
  size_t base = offsetof(struct sockaddr_un, sun_path);
  if (len <= base) {
    printf("%s: unnamed (len %u)\n", label, (unsigned)len);
  } else if (a->sun_path[0] == '\0') {
    printf("%s: abstract \"%.*s\" (len %u)\n", label, (int)(len - base - 1), a->sun_path + 1,
           (unsigned)len);
  } else {
    printf("%s: path \"%s\" (len %u)\n", label, a->sun_path, (unsigned)len);
  }
}

// Sends one byte and the descriptor fd over sock.
static ssize_t send_fd(int sock, int fd) {
  char byte = 'F';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof(u.buf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &m, 0);
}

// Receives a byte and a descriptor; -1 if none came. *flags gets msg_flags.
static int recv_fd(int sock, size_t control_space, int* flags) {
  char byte;
  struct iovec iov = {&byte, 1};
  char buf[256];
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control_space ? buf : NULL;
  m.msg_controllen = control_space;
  if (recvmsg(sock, &m, 0) < 0) return -2;
  *flags = m.msg_flags;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof(int));
      return fd;
    }
  }
  return -1;
}

static void stream_sockets(void) {
  printf("== stream, abstract name\n");
  struct sockaddr_un a;
  socklen_t alen = abstract_addr(&a, "minisentry-test-stream");
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind", bind(l, (struct sockaddr*)&a, alen));
  SHOW("connect before listen", ({
         int x = socket(AF_UNIX, SOCK_STREAM, 0);
         int r = connect(x, (struct sockaddr*)&a, alen);
         int e = errno;
         close(x);
         errno = e;
         r;
       }));
  SHOW("listen", listen(l, 4));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect", connect(c, (struct sockaddr*)&a, alen));
  SHOW("connect again", connect(c, (struct sockaddr*)&a, alen));
  SHOW("send before accept", send(c, "early", 5, 0));
  struct sockaddr_un peer;
  socklen_t plen = sizeof(peer);
  int s = accept(l, (struct sockaddr*)&peer, &plen);
  SHOW_OK("accept", s);
  print_name("accepted peer", &peer, plen);
  struct sockaddr_un name;
  socklen_t nlen = sizeof(name);
  getsockname(s, (struct sockaddr*)&name, &nlen);
  print_name("accepted socket's name", &name, nlen);
  nlen = sizeof(name);
  getpeername(c, (struct sockaddr*)&name, &nlen);
  print_name("client's peer", &name, nlen);
  nlen = sizeof(name);
  getsockname(c, (struct sockaddr*)&name, &nlen);
  print_name("client's name", &name, nlen);
  char buf[64];
  memset(buf, 0, sizeof(buf));
  SHOW("recv", recv(s, buf, sizeof(buf), 0));
  printf("got %s\n", buf);
  struct ucred cred;
  socklen_t clen = sizeof(cred);
  SHOW("SO_PEERCRED", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen));
  printf("peer pid is us: %d, uid: %d, gid: %d\n", cred.pid == getpid(), cred.uid == geteuid(),
         cred.gid == getegid());
  // Half-close, then end of stream.
  SHOW("send", send(c, "bye", 3, 0));
  SHOW("shutdown SHUT_WR", shutdown(c, SHUT_WR));
  SHOW("send after shutdown", send(c, "x", 1, MSG_NOSIGNAL));
  memset(buf, 0, sizeof(buf));
  SHOW("recv", recv(s, buf, sizeof(buf), 0));
  SHOW("recv at EOF", recv(s, buf, sizeof(buf), 0));
  SHOW("reply", send(s, "ok", 2, 0));
  SHOW("client reads reply", recv(c, buf, sizeof(buf), 0));
  close(s);
  SHOW("client reads EOF", recv(c, buf, sizeof(buf), 0));
  close(c);

  // Closing with unread data: the peer sees ECONNRESET, then EOF.
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, alen);
  s = accept(l, NULL, NULL);
  send(c, "unread", 6, 0);
  send(s, "for c", 5, 0);
  close(s);
  SHOW("recv pending data", recv(c, buf, sizeof(buf), 0));
  SHOW("recv after reset", recv(c, buf, sizeof(buf), 0));
  SHOW("recv again", recv(c, buf, sizeof(buf), 0));
  SHOW("send to closed peer", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);

  // Errors.
  int d = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind in use", bind(d, (struct sockaddr*)&a, alen));
  SHOW("connect to unbound name", connect(d, (struct sockaddr*)&a, abstract_addr(&peer, "none")));
  int g = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("dgram connect to stream listener", connect(g, (struct sockaddr*)&a, alen));
  close(g);
  SHOW("listen unbound", listen(d, 1));
  SHOW("bad family", connect(d, (struct sockaddr*)&(struct sockaddr_un){.sun_family = AF_INET},
                             sizeof(struct sockaddr_un)));
  SHOW("address too long", bind(d, (struct sockaddr*)&a, sizeof(struct sockaddr_un) + 1));
  SHOW("recv unconnected", recv(d, buf, 1, 0));
  SHOW("send unconnected", send(d, "x", 1, MSG_NOSIGNAL));
  SHOW("getpeername unconnected", getpeername(d, (struct sockaddr*)&peer, &plen));
  SHOW("shutdown unconnected", shutdown(d, SHUT_RDWR));
  SHOW("shutdown bad how", shutdown(d, 7));
  // Autobind: an empty name asks for a generated abstract one.
  int e = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un fam = {.sun_family = AF_UNIX};
  SHOW("autobind", bind(e, (struct sockaddr*)&fam, sizeof(sa_family_t)));
  nlen = sizeof(name);
  getsockname(e, (struct sockaddr*)&name, &nlen);
  printf("autobound: abstract %d, len %u\n", name.sun_path[0] == '\0', (unsigned)nlen);
  close(e);
  close(d);
  close(l);
}

static void filesystem_names(void) {
  printf("== stream, filesystem name\n");
  struct sockaddr_un a;
  socklen_t alen = path_addr(&a, "sock-file");
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind", bind(l, (struct sockaddr*)&a, alen));
  struct sockaddr_un name;
  socklen_t nlen = sizeof(name);
  getsockname(l, (struct sockaddr*)&name, &nlen);
  print_name("listener", &name, nlen);
  SHOW("listen", listen(l, 1));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect", connect(c, (struct sockaddr*)&a, alen));
  int s = accept(l, NULL, NULL);
  SHOW("send", send(c, "fs", 2, 0));
  char buf[8];
  SHOW("recv", recv(s, buf, sizeof(buf), 0));
  close(s);
  close(c);
  close(l);
  // The file stays after its socket is gone: bind fails, connect is refused.
  int d = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind over the stale file", bind(d, (struct sockaddr*)&a, alen));
  SHOW("connect to the stale file", connect(d, (struct sockaddr*)&a, alen));
  struct sockaddr_un missing;
  SHOW("connect to a missing file",
       connect(d, (struct sockaddr*)&missing, path_addr(&missing, "no-such-socket")));
  SHOW("bind in a missing directory",
       bind(d, (struct sockaddr*)&missing, path_addr(&missing, "no-dir/sock")));
  struct stat st;
  SHOW("stat the socket file", stat("sock-file", &st));
  printf("it is a socket: %d\n", S_ISSOCK(st.st_mode));
  SHOW("open it", open("sock-file", O_RDONLY));
  int f = open("plain-file", O_CREAT | O_WRONLY, 0644);
  close(f);
  SHOW("connect to a regular file",
       connect(d, (struct sockaddr*)&missing, path_addr(&missing, "plain-file")));
  SHOW("unlink the socket file", unlink("sock-file"));
  SHOW("bind the name again", bind(d, (struct sockaddr*)&a, alen));
  SHOW("listen", listen(d, 1));
  int e = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect to the new socket", connect(e, (struct sockaddr*)&a, alen));
  SHOW("rename the socket file", rename("sock-file", "renamed-sock"));
  int g = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect through the new name",
       connect(g, (struct sockaddr*)&missing, path_addr(&missing, "renamed-sock")));
  close(g);
  close(e);
  close(d);
  unlink("renamed-sock");
  unlink("plain-file");
}

static void datagram_sockets(void) {
  printf("== datagram\n");
  struct sockaddr_un ra, sa;
  socklen_t rlen = abstract_addr(&ra, "minisentry-test-dgram-r");
  socklen_t slen = abstract_addr(&sa, "minisentry-test-dgram-s");
  int r = socket(AF_UNIX, SOCK_DGRAM, 0);
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("bind receiver", bind(r, (struct sockaddr*)&ra, rlen));
  SHOW("sendto unnamed", sendto(s, "one", 3, 0, (struct sockaddr*)&ra, rlen));
  SHOW("bind sender", bind(s, (struct sockaddr*)&sa, slen));
  SHOW("sendto named", sendto(s, "two!", 4, 0, (struct sockaddr*)&ra, rlen));
  SHOW("sendto empty", sendto(s, "", 0, 0, (struct sockaddr*)&ra, rlen));
  int avail = -1;
  ioctl(r, FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  char buf[64];
  struct sockaddr_un from;
  socklen_t flen = sizeof(from);
  memset(buf, 0, sizeof(buf));
  SHOW("recvfrom", recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr*)&from, &flen));
  printf("from unnamed sender: addrlen %u\n", (unsigned)flen);
  flen = sizeof(from);
  SHOW("recvfrom into 2 with MSG_TRUNC",
       recvfrom(r, buf, 2, MSG_TRUNC, (struct sockaddr*)&from, &flen));
  print_name("from", &from, flen);
  SHOW("recv empty datagram", recv(r, buf, sizeof(buf), 0));
  SHOW("recv nothing", recv(r, buf, sizeof(buf), MSG_DONTWAIT));
  SHOW("send unconnected", send(s, "x", 1, 0));
  SHOW("connect", connect(s, (struct sockaddr*)&ra, rlen));
  SHOW("send connected", send(s, "x", 1, 0));
  SHOW("recv", recv(r, buf, sizeof(buf), 0));
  close(r);
  SHOW("send to closed peer", send(s, "x", 1, 0));
  SHOW("send again", send(s, "x", 1, 0));
  SHOW("sendto missing name", sendto(s, "x", 1, 0, (struct sockaddr*)&ra, rlen));
  close(s);
  // A full receiver queue makes non-blocking senders wait.
  int p[2];
  SHOW("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, p));
  int sent = 0;
  while (send(p[0], "q", 1, MSG_DONTWAIT) == 1 && sent < 100000)
    ++sent;
  printf("queue filled after some datagrams: %s\n", errno == EAGAIN && sent > 0 ? "EAGAIN" : "?");
  int got = 0;
  while (recv(p[1], buf, sizeof(buf), MSG_DONTWAIT) == 1)
    ++got;
  printf("received all of them: %d\n", got == sent);
  close(p[0]);
  close(p[1]);
}

static void seqpacket_sockets(void) {
  printf("== seqpacket\n");
  int p[2];
  SHOW("socketpair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p));
  SHOW("send 5", send(p[0], "first", 5, 0));
  SHOW("send 6", send(p[0], "second", 6, 0));
  char buf[16];
  struct iovec iov = {buf, 3};
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  SHOW("recvmsg into 3", recvmsg(p[1], &m, 0));
  printf("truncated %d, end of record %d\n", (m.msg_flags & MSG_TRUNC) != 0,
         (m.msg_flags & MSG_EOR) != 0);
  memset(buf, 0, sizeof(buf));
  SHOW("recv", recv(p[1], buf, sizeof(buf), 0));
  printf("got %s\n", buf);
  close(p[0]);
  SHOW("recv after close", recv(p[1], buf, sizeof(buf), 0));
  close(p[1]);
  // Listener and connect.
  struct sockaddr_un a;
  socklen_t alen = abstract_addr(&a, "minisentry-test-seqpacket");
  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  bind(l, (struct sockaddr*)&a, alen);
  SHOW("listen", listen(l, 2));
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW("connect", connect(c, (struct sockaddr*)&a, alen));
  int s = accept(l, NULL, NULL);
  SHOW("send", send(s, "rec", 3, 0));
  SHOW("recv", recv(c, buf, sizeof(buf), 0));
  int u = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW("send unconnected", send(u, "x", 1, 0));
  SHOW("recv unconnected", recv(u, buf, 1, 0));
  close(u);
  close(c);
  close(s);
  close(l);
}

static void passing(void) {
  printf("== SCM_RIGHTS and SCM_CREDENTIALS\n");
  int carrier[2];
  int payload[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, carrier);
  socketpair(AF_UNIX, SOCK_STREAM, 0, payload);
  SHOW("send fd", send_fd(carrier[0], payload[1]));
  close(payload[1]);
  int flags = 0;
  int fd = recv_fd(carrier[1], 256, &flags);
  printf("received a new descriptor: %d, flags %d\n", fd > payload[0], flags);
  SHOW("write through the passed fd", write(fd, "via fd", 6));
  char buf[32];
  memset(buf, 0, sizeof(buf));
  SHOW("read at the other end", read(payload[0], buf, sizeof(buf)));
  printf("got %s\n", buf);
  close(fd);
  // No room for the descriptor: MSG_CTRUNC and it is gone.
  socketpair(AF_UNIX, SOCK_STREAM, 0, payload);
  send_fd(carrier[0], payload[1]);
  close(payload[1]);
  fd = recv_fd(carrier[1], 0, &flags);
  printf("no control buffer: fd %d, MSG_CTRUNC %d\n", fd, (flags & MSG_CTRUNC) != 0);
  SHOW("peer of the dropped descriptor sees EOF", read(payload[0], buf, sizeof(buf)));
  close(payload[0]);
  // A fork'd child receives a descriptor from its parent over a socketpair.
  socketpair(AF_UNIX, SOCK_STREAM, 0, payload);
  pid_t pid = fork();
  if (pid == 0) {
    int f = 0;
    int got = recv_fd(carrier[1], 256, &f);
    if (got < 0) _exit(1);
    _exit(write(got, "child", 5) == 5 ? 0 : 2);
  }
  send_fd(carrier[0], payload[1]);
  int status;
  waitpid(pid, &status, 0);
  printf("child exit %d\n", WEXITSTATUS(status));
  memset(buf, 0, sizeof(buf));
  SHOW("read what the child wrote", read(payload[0], buf, sizeof(buf)));
  printf("got %s\n", buf);
  close(payload[0]);
  close(payload[1]);
  // Bad descriptors.
  SHOW("send a bad fd", send_fd(carrier[0], 999));
  // Credentials, with SO_PASSCRED on the receiver.
  int one = 1;
  SHOW("SO_PASSCRED", setsockopt(carrier[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
  SHOW("send", send(carrier[0], "c", 1, 0));
  char ch;
  struct iovec iov = {&ch, 1};
  union {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(struct ucred))];
  } u;
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.b;
  m.msg_controllen = sizeof(u.b);
  SHOW("recvmsg", recvmsg(carrier[1], &m, 0));
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (c && c->cmsg_type == SCM_CREDENTIALS) {
    struct ucred cr;
    memcpy(&cr, CMSG_DATA(c), sizeof(cr));
    printf("SCM_CREDENTIALS: pid is us %d, uid %d, gid %d\n", cr.pid == getpid(),
           cr.uid == getuid(), cr.gid == getgid());
  } else {
    printf("no credentials\n");
  }
  // Lying about the pid is refused.
  struct ucred lie = {getpid() + 1, getuid(), getgid()};
  memset(&u, 0, sizeof(u));
  m.msg_control = u.b;
  m.msg_controllen = sizeof(u.b);
  c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(lie));
  memcpy(CMSG_DATA(c), &lie, sizeof(lie));
  if (geteuid() != 0) {
    SHOW("false credentials", sendmsg(carrier[0], &m, 0));
  } else {
    printf("false credentials: (root may send them)\n");
  }
  close(carrier[0]);
  close(carrier[1]);
}

static long elapsed_ms(const struct timeval* since) {
  struct timeval now;
  gettimeofday(&now, NULL);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_usec - since->tv_usec) / 1000;
}

static void read_write_on_sockets(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  const struct timeval tv = {0, 100000};
  CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
  CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
  char buf[65536];
  struct timeval start;
  gettimeofday(&start, NULL);
  SHOW("read past SO_RCVTIMEO", read(sv[0], buf, sizeof(buf)));
  long ms = elapsed_ms(&start);
  printf("read waited the timeout: %s\n", ms >= 90 && ms < 2000 ? "yes" : "no");
  struct iovec iov = {buf, sizeof(buf)};
  SHOW("readv past SO_RCVTIMEO", readv(sv[0], &iov, 1));
  memset(buf, 'w', sizeof(buf));
  long written = 0;
  ssize_t n;
  gettimeofday(&start, NULL);
  while ((n = write(sv[0], buf, sizeof(buf))) > 0)
    written += n;
  printf("write until full: %s\n", written > 0 ? "wrote some" : "wrote nothing");
  printf("then: -1 %s\n", guest_errno_name(errno));
  ms = elapsed_ms(&start);
  printf("write waited the timeout: %s\n", ms >= 90 && ms < 2000 ? "yes" : "no");
  close(sv[0]);
  close(sv[1]);

  // A zero-length read(2) neither waits for nor consumes a datagram; recv(2) would.
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  SHOW("zero-length read of an empty datagram socket", read(sv[0], buf, 0));
  SHOW("send a datagram", send(sv[1], "dgram", 5, 0));
  SHOW("zero-length read", read(sv[0], buf, 0));
  SHOW("the datagram is still there", read(sv[0], buf, sizeof(buf)));
  SHOW("an empty datagram by write", write(sv[1], buf, 0));
  SHOW("read it", read(sv[0], buf, sizeof(buf)));

  // write(2) to a datagram socket whose receiver is full waits until the receiver reads.
  int small = 4096;
  CHECK(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
  int queued = 0;
  CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
  while (write(sv[1], buf, 512) == 512)
    ++queued;
  printf("receiver filled: %s (%s)\n", queued > 0 ? "yes" : "no", guest_errno_name(errno));
  CHECK(fcntl(sv[1], F_SETFL, 0) == 0);
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    for (int i = 0; i < queued; ++i)
      if (read(sv[0], buf, sizeof(buf)) != 512) _exit(1);
    _exit(0);
  }
  SHOW("blocking write once the receiver reads", write(sv[1], buf, 512));
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  printf("reader: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "read all" : "failed");
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGPIPE, SIG_IGN);
  stream_sockets();
  filesystem_names();
  datagram_sockets();
  seqpacket_sockets();
  passing();
  read_write_on_sockets();
  return 0;
}
