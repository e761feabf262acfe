// Socket readiness through poll(2) and epoll(7): a fresh socket, a non-blocking connect,
// listeners, data and end of stream, EPOLLRDHUP, edge-triggered wake-ups, errors after a
// reset, UDP and AF_UNIX; a single-threaded echo server driven by epoll.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "guest_test.h"

static const char* events_text(unsigned e) {
  static char buf[128];
  buf[0] = 0;
  struct {
    unsigned bit;
    const char* name;
  } names[] = {{POLLIN, "IN"},   {POLLOUT, "OUT"},     {POLLERR, "ERR"},
               {POLLHUP, "HUP"}, {POLLRDHUP, "RDHUP"}, {POLLPRI, "PRI"}};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
    if (e & names[i].bit) {
      if (buf[0]) strcat(buf, "|");
      strcat(buf, names[i].name);
    }
  }
  return buf[0] ? buf : "none";
}

static unsigned poll_now(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
  if (poll(&p, 1, 0) < 0) return 0xffff;
  return (unsigned)p.revents;
}

static void show_poll(const char* label, int fd) {
  printf("%s: %s\n", label, events_text(poll_now(fd)));
}

static int listener(struct sockaddr_in* a) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  a->sin_family = AF_INET;
  a->sin_port = 0;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(*a);
  bind(l, (struct sockaddr*)a, len);
  listen(l, 8);
  getsockname(l, (struct sockaddr*)a, &len);
  return l;
}

static void tcp_readiness(void) {
  printf("== TCP with poll\n");
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  show_poll("fresh socket", fresh);
  close(fresh);
  struct sockaddr_in a;
  int l = listener(&a);
  show_poll("idle listener", l);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW("non-blocking connect", connect(c, (struct sockaddr*)&a, sizeof(a)));
  struct pollfd p = {c, POLLOUT, 0};
  SHOW("poll for the connection", poll(&p, 1, 5000));
  printf("revents: %s\n", events_text((unsigned)p.revents));
  p.fd = l;
  p.events = POLLIN;
  SHOW("poll the listener", poll(&p, 1, 5000));
  printf("revents: %s\n", events_text((unsigned)p.revents));
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  SHOW_OK("accept4", s);
  show_poll("connected, nothing to read", s);
  send(c, "abc", 3, 0);
  show_poll("data waiting", s);
  shutdown(c, SHUT_WR);
  char buf[16];
  recv(s, buf, sizeof(buf), 0);
  show_poll("after the peer's FIN", s);
  shutdown(s, SHUT_WR);
  show_poll("both directions shut", s);
  show_poll("the other side", c);
  close(s);
  close(c);
  // A reset: POLLERR until SO_ERROR or a read takes the error.
  c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, sizeof(a));
  s = accept(l, NULL, NULL);
  send(c, "unread", 6, 0);
  close(s);
  show_poll("after a reset", c);
  int err = 0;
  socklen_t elen = sizeof(err);
  getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen);
  printf("SO_ERROR is ECONNRESET: %d\n", err == ECONNRESET);
  show_poll("after SO_ERROR", c);
  close(c);
  // A refused non-blocking connect.
  struct sockaddr_in gone = a;
  close(l);
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  connect(c, (struct sockaddr*)&gone, sizeof(gone));
  p.fd = c;
  p.events = POLLOUT;
  SHOW("poll a refused connect", poll(&p, 1, 5000));
  printf("revents: %s\n", events_text((unsigned)p.revents));
  elen = sizeof(err);
  getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen);
  printf("SO_ERROR is ECONNREFUSED: %d\n", err == ECONNREFUSED);
  close(c);
}

static void epoll_edges(void) {
  printf("== epoll\n");
  struct sockaddr_in a;
  int l = listener(&a);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
  SHOW("add listener", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, sizeof(a));
  struct epoll_event out[4];
  SHOW("wait: a connection", epoll_wait(ep, out, 4, 5000));
  printf("data %u events %s\n", out[0].data.u32, events_text(out[0].events));
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
  ev.data.u32 = 2;
  SHOW("add connection, edge-triggered", epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  SHOW("wait: nothing yet", epoll_wait(ep, out, 4, 0));
  send(c, "one", 3, 0);
  SHOW("wait: data", epoll_wait(ep, out, 4, 5000));
  printf("data %u events %s\n", out[0].data.u32, events_text(out[0].events));
  SHOW("wait: the same edge again", epoll_wait(ep, out, 4, 0));
  send(c, "two", 3, 0);
  SHOW("wait: a new edge", epoll_wait(ep, out, 4, 5000));
  char buf[16];
  SHOW("read both", recv(s, buf, sizeof(buf), 0));
  close(c);
  SHOW("wait: the peer closed", epoll_wait(ep, out, 4, 5000));
  printf("events %s\n", events_text(out[0].events));
  close(s);
  close(l);
  close(ep);
}

// One process, one epoll loop: a non-blocking server echoes for three clients in turn.
static void echo_loop(void) {
  printf("== echo server on epoll\n");
  struct sockaddr_in a;
  int l = listener(&a);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 3; ++i) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(c, (struct sockaddr*)&a, sizeof(a)) != 0) _exit(1);
      char msg[32];
      int n = snprintf(msg, sizeof(msg), "message %d", i);
      if (send(c, msg, (size_t)n, 0) != n) _exit(2);
      shutdown(c, SHUT_WR);
      char back[32] = {0};
      if (recv(c, back, sizeof(back), MSG_WAITALL) != n || memcmp(back, msg, (size_t)n) != 0) {
        _exit(3);
      }
      close(c);
    }
    _exit(0);
  }
  int served = 0;
  while (served < 3) {
    struct epoll_event out[8];
    int n = epoll_wait(ep, out, 8, 5000);
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      if (out[i].data.fd == l) {
        int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
        struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
        continue;
      }
      int s = out[i].data.fd;
      char buf[64];
      ssize_t r = recv(s, buf, sizeof(buf), 0);
      if (r > 0) {
        send(s, buf, (size_t)r, 0);
      } else if (r == 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
        close(s);
        ++served;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("served %d clients, client exit %d\n", served, WEXITSTATUS(status));
  close(ep);
  close(l);
}

static void udp_and_unix(void) {
  printf("== UDP and AF_UNIX\n");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  show_poll("fresh UDP socket", u);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  bind(u, (struct sockaddr*)&a, len);
  getsockname(u, (struct sockaddr*)&a, &len);
  sendto(u, "x", 1, 0, (struct sockaddr*)&a, len);
  show_poll("UDP with a datagram", u);
  close(u);
  int p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, p);
  show_poll("unix pair", p[0]);
  send(p[1], "x", 1, 0);
  show_poll("unix pair with data", p[0]);
  close(p[1]);
  show_poll("unix peer closed", p[0]);
  close(p[0]);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  show_poll("fresh unix stream socket", s);
  close(s);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  show_poll("fresh unix datagram socket", d);
  close(d);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  tcp_readiness();
  epoll_edges();
  echo_loop();
  udp_and_unix();
  return 0;
}
