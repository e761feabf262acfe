// TCP over loopback, IPv4 and IPv6: port 0 and getsockname, connect/accept, an 8 MiB
// transfer checked by checksum, half-close, MSG_PEEK, MSG_WAITALL, non-blocking connect,
// ECONNREFUSED, EADDRINUSE and SO_REUSEADDR, ECONNRESET, EPIPE and SIGPIPE.
// minisentry-test: timeout 120
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "guest_test.h"

static int family;

static socklen_t make_addr(struct sockaddr_storage* ss, int port) {
  memset(ss, 0, sizeof(*ss));
  if (family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof(*a);
  }
  struct sockaddr_in6* a = (struct sockaddr_in6*)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  a->sin6_addr = in6addr_loopback;
  return sizeof(*a);
}

static int port_of(const struct sockaddr_storage* ss) {
  if (ss->ss_family == AF_INET) return ntohs(((const struct sockaddr_in*)ss)->sin_port);
  return ntohs(((const struct sockaddr_in6*)ss)->sin6_port);
}

// A listener on an ephemeral loopback port; *port receives the port.
static int listener(int* port, int reuse) {
  int l = socket(family, SOCK_STREAM, 0);
  if (reuse) setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  struct sockaddr_storage ss;
  socklen_t len = make_addr(&ss, 0);
  if (bind(l, (struct sockaddr*)&ss, len) != 0 || listen(l, 16) != 0) return -1;
  len = sizeof(ss);
  getsockname(l, (struct sockaddr*)&ss, &len);
  *port = port_of(&ss);
  return l;
}

static int connect_to(int port, int flags) {
  int c = socket(family, SOCK_STREAM | flags, 0);
  struct sockaddr_storage ss;
  socklen_t len = make_addr(&ss, port);
  if (connect(c, (struct sockaddr*)&ss, len) != 0 && errno != EINPROGRESS) return -1;
  return c;
}

static uint8_t pattern(size_t i) {
  return (uint8_t)(i * 7 + (i >> 11));
}

static uint64_t checksum(const uint8_t* p, size_t n, uint64_t sum) {
  for (size_t i = 0; i < n; ++i)
    sum = sum * 1099511628211ULL + p[i];
  return sum;
}

enum { kBig = 8 << 20 };

// The child: sends 8 MiB in uneven writes, half-closes, then expects "done".
static int big_sender(int port) {
  int c = connect_to(port, 0);
  if (c < 0) return 10;
  static uint8_t buf[300000];
  size_t sent = 0;
  size_t step = 1;
  while (sent < kBig) {
    size_t n = step;
    if (n > sizeof(buf)) n = sizeof(buf);
    if (n > kBig - sent) n = kBig - sent;
    for (size_t i = 0; i < n; ++i)
      buf[i] = pattern(sent + i);
    ssize_t w = write(c, buf, n);
    if (w <= 0) return 11;
    sent += (size_t)w;
    step = step * 3 + 1;
  }
  if (shutdown(c, SHUT_WR) != 0) return 12;
  char reply[16] = {0};
  ssize_t r = recv(c, reply, sizeof(reply), MSG_WAITALL);
  if (r != 4 || memcmp(reply, "done", 4) != 0) return 13;
  close(c);
  return 0;
}

static void big_transfer(void) {
  int port;
  int l = listener(&port, 0);
  pid_t pid = fork();
  if (pid == 0) _exit(big_sender(port));
  struct sockaddr_storage peer;
  socklen_t plen = sizeof(peer);
  int s = accept(l, (struct sockaddr*)&peer, &plen);
  SHOW_OK("accept", s);
  struct sockaddr_storage peer2;
  socklen_t plen2 = sizeof(peer2);
  SHOW("getpeername", getpeername(s, (struct sockaddr*)&peer2, &plen2));
  CHECK(plen == plen2 && memcmp(&peer, &peer2, plen) == 0);
  static uint8_t buf[1 << 16];
  size_t got = 0;
  uint64_t sum = 14695981039346656037ULL;
  size_t want = 1;
  for (;;) {
    ssize_t r = read(s, buf, want);
    if (r <= 0) {
      SHOW("read at end of stream", r);
      break;
    }
    sum = checksum(buf, (size_t)r, sum);
    got += (size_t)r;
    want = want * 2 + 3;
    if (want > sizeof(buf)) want = sizeof(buf);
  }
  uint64_t expect = 14695981039346656037ULL;
  for (size_t i = 0; i < kBig; i += sizeof(buf)) {
    size_t n = kBig - i < sizeof(buf) ? kBig - i : sizeof(buf);
    for (size_t j = 0; j < n; ++j)
      buf[j] = pattern(i + j);
    expect = checksum(buf, n, expect);
  }
  printf("received %zu bytes, checksum %s\n", got, sum == expect ? "matches" : "DIFFERS");
  SHOW("read again after EOF", read(s, buf, 10));
  SHOW("write after peer's half-close", write(s, "done", 4));
  close(s);
  int status = 0;
  waitpid(pid, &status, 0);
  printf("sender exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  close(l);
}

static void peek_and_waitall(void) {
  int port;
  int l = listener(&port, 0);
  int c = connect_to(port, 0);
  int s = accept(l, NULL, NULL);
  SHOW("send hello", send(c, "hello", 5, 0));
  char buf[32] = {0};
  SHOW("recv MSG_PEEK", recv(s, buf, sizeof(buf), MSG_PEEK));
  printf("peeked: %s\n", buf);
  int avail = -1;
  SHOW("FIONREAD", ioctl(s, FIONREAD, &avail));
  printf("available: %d\n", avail);
  SHOW("send world", send(c, " world", 6, 0));
  memset(buf, 0, sizeof(buf));
  SHOW("recv MSG_WAITALL 11", recv(s, buf, 11, MSG_WAITALL));
  printf("got: %s\n", buf);
  SHOW("recv MSG_DONTWAIT on empty", recv(s, buf, sizeof(buf), MSG_DONTWAIT));
  SHOW("recv MSG_OOB", recv(s, buf, 1, MSG_OOB));
  close(c);
  SHOW("recv after peer close", recv(s, buf, sizeof(buf), 0));
  close(s);
  close(l);
}

// connect() again until it stops saying EALREADY; returns its result with errno set.
static int connect_until_settled(int fd, struct sockaddr* sa, socklen_t len) {
  for (;;) {
    usleep(1000);
    int r = connect(fd, sa, len);
    if (r == 0 || errno != EALREADY) return r;
  }
}

static void nonblocking_connect(void) {
  int port;
  int l = listener(&port, 0);
  int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_storage ss;
  socklen_t len = make_addr(&ss, port);
  SHOW("non-blocking connect", connect(c, (struct sockaddr*)&ss, len));
  SHOW("connect again", connect_until_settled(c, (struct sockaddr*)&ss, len));
  SHOW("and again", connect(c, (struct sockaddr*)&ss, len));
  int err = -1;
  socklen_t elen = sizeof(err);
  SHOW("SO_ERROR", getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen));
  printf("SO_ERROR value %d\n", err);
  int s = accept(l, NULL, NULL);
  SHOW_OK("accept", s);
  close(c);
  close(s);
  close(l);
  // A refused non-blocking connect reports through a second connect and SO_ERROR.
  int d = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW("non-blocking connect to closed port", connect(d, (struct sockaddr*)&ss, len));
  SHOW("connect again", connect_until_settled(d, (struct sockaddr*)&ss, len));
  close(d);
}

static void refused_and_in_use(void) {
  int port;
  int l = listener(&port, 1);
  struct sockaddr_storage ss;
  socklen_t len = make_addr(&ss, port);
  int b = socket(family, SOCK_STREAM, 0);
  SHOW("bind to a listening port", bind(b, (struct sockaddr*)&ss, len));
  int one = 1;
  setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  SHOW("with SO_REUSEADDR too", bind(b, (struct sockaddr*)&ss, len));
  close(b);
  // A connection the server closes first leaves TIME_WAIT on the listener's port.
  int c = connect_to(port, 0);
  int s = accept(l, NULL, NULL);
  close(s);
  char x;
  SHOW("client sees EOF", read(c, &x, 1));
  close(c);
  close(l);
  int n = socket(family, SOCK_STREAM, 0);
  SHOW("rebind without SO_REUSEADDR", bind(n, (struct sockaddr*)&ss, len));
  setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  SHOW("rebind with SO_REUSEADDR", bind(n, (struct sockaddr*)&ss, len));
  SHOW("listen", listen(n, 1));
  close(n);
  // Nobody listens now.
  int d = socket(family, SOCK_STREAM, 0);
  SHOW("connect to closed port", connect(d, (struct sockaddr*)&ss, len));
  SHOW("getpeername unconnected", getpeername(d, (struct sockaddr*)&ss, &len));
  close(d);
}

static volatile int sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  ++sigpipes;
}

static void reset_and_epipe(void) {
  int port;
  int l = listener(&port, 0);
  // Closing with unread data resets the connection.
  int c = connect_to(port, 0);
  int s = accept(l, NULL, NULL);
  SHOW("send", send(c, "unread", 6, 0));
  close(s);
  char buf[8];
  SHOW("recv after reset", recv(c, buf, sizeof(buf), 0));
  SHOW("recv again", recv(c, buf, sizeof(buf), 0));
  close(c);
  // Writing to a peer that closed: the first write goes, the reset makes the next EPIPE.
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigpipe;
  sigaction(SIGPIPE, &sa, NULL);
  c = connect_to(port, 0);
  s = accept(l, NULL, NULL);
  close(s);
  SHOW("write to closed peer", write(c, "a", 1));
  usleep(10000);
  SHOW("write again", write(c, "b", 1));
  printf("SIGPIPE count %d\n", sigpipes);
  SHOW("send MSG_NOSIGNAL", send(c, "c", 1, MSG_NOSIGNAL));
  printf("SIGPIPE count %d\n", sigpipes);
  close(c);
  // Writes on a socket that never connected.
  int u = socket(family, SOCK_STREAM, 0);
  SHOW("send unconnected", send(u, "x", 1, MSG_NOSIGNAL));
  SHOW("recv unconnected", recv(u, buf, 1, 0));
  SHOW("shutdown unconnected", shutdown(u, SHUT_WR));
  close(u);
  close(l);
}

static void options(void) {
  int s = socket(family, SOCK_STREAM, 0);
  int v = -1;
  socklen_t len = sizeof(v);
  SHOW("SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
  printf("type %d\n", v);
  len = sizeof(v);
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len);
  printf("domain is family: %d\n", v == family);
  v = 1;
  SHOW("TCP_NODELAY", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
  len = sizeof(v);
  getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
  printf("nodelay %d\n", v);
  SHOW("SO_KEEPALIVE", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
  len = sizeof(v);
  getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
  printf("keepalive %d\n", v);
  struct linger lg = {1, 0};
  SHOW("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
  struct timeval tv = {0, 50000};
  SHOW("SO_RCVTIMEO", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
  SHOW("unknown option", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)));
  SHOW("short option", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, 2));
  if (family == AF_INET6) {
    SHOW("IPV6_V6ONLY", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
  }
  close(s);
  // SO_RCVTIMEO: a recv on an idle connection times out with EAGAIN.
  int port;
  int l = listener(&port, 0);
  int c = connect_to(port, 0);
  int a = accept(l, NULL, NULL);
  setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4];
  SHOW("recv with SO_RCVTIMEO", recv(a, buf, sizeof(buf), 0));
  struct tcp_info info;
  len = sizeof(info);
  SHOW("TCP_INFO", getsockopt(c, IPPROTO_TCP, TCP_INFO, &info, &len));
  printf("state established: %d\n", info.tcpi_state == 1);
  close(a);
  close(c);
  close(l);
}

// An unprivileged process may not bind a port below 1024; root may.
static void privileged_ports(void) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, 80);
    int s = socket(family, SOCK_STREAM, 0);
    if (geteuid() == 0) {
      printf("as root: bind port 80: %s\n",
             bind(s, (struct sockaddr*)&ss, len) == 0 ? "ok" : "refused");
      close(s);
      s = socket(family, SOCK_STREAM, 0);
      if (setuid(65534) != 0) _exit(1);
    } else {
      printf("as root: bind port 80: ok\n");  // not root: the same line, for the comparison
    }
    SHOW("unprivileged: bind port 80", bind(s, (struct sockaddr*)&ss, len));
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int families[] = {AF_INET, AF_INET6};
  for (int i = 0; i < 2; ++i) {
    family = families[i];
    printf("== %s\n", family == AF_INET ? "127.0.0.1" : "::1");
    int port = 0;
    int l = listener(&port, 0);
    SHOW_OK("listener on port 0", l);
    printf("port assigned: %s\n", port > 0 ? "yes" : "no");
    close(l);
    big_transfer();
    peek_and_waitall();
    nonblocking_connect();
    refused_and_in_use();
    reset_and_epipe();
    options();
    privileged_ports();
  }
  return 0;
}
