// UDP over loopback, IPv4 and IPv6: message boundaries, MSG_TRUNC, MSG_PEEK, connect as a
// filter and default destination, ECONNREFUSED from a closed port, sendmmsg/recvmmsg, and
// the usual errors.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

// A UDP socket bound to an ephemeral loopback port.
static int bound(struct sockaddr_storage* ss, socklen_t* len) {
  int s = socket(family, SOCK_DGRAM, 0);
  *len = make_addr(ss, 0);
  bind(s, (struct sockaddr*)ss, *len);
  *len = sizeof(*ss);
  getsockname(s, (struct sockaddr*)ss, len);
  return s;
}

static void run(void) {
  struct sockaddr_storage ra, sa;
  socklen_t rlen, slen;
  int r = bound(&ra, &rlen);
  int s = bound(&sa, &slen);
  printf("ports assigned: %d\n", port_of(&ra) > 0 && port_of(&sa) > 0);
  SHOW("sendto 3", sendto(s, "one", 3, 0, (struct sockaddr*)&ra, rlen));
  SHOW("sendto 5", sendto(s, "three", 5, 0, (struct sockaddr*)&ra, rlen));
  SHOW("sendto 0", sendto(s, "", 0, 0, (struct sockaddr*)&ra, rlen));
  SHOW("sendto 9", sendto(s, "123456789", 9, 0, (struct sockaddr*)&ra, rlen));
  int avail = -1;
  ioctl(r, FIONREAD, &avail);
  printf("FIONREAD (next datagram): %d\n", avail);
  char buf[64];
  struct sockaddr_storage from;
  socklen_t flen = sizeof(from);
  memset(buf, 0, sizeof(buf));
  SHOW("recvfrom", recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr*)&from, &flen));
  printf("data %s, from the sender: %d, addrlen ok: %d\n", buf, port_of(&from) == port_of(&sa),
         flen == slen);
  memset(buf, 0, sizeof(buf));
  SHOW("recv MSG_PEEK into 2", recv(r, buf, 2, MSG_PEEK));
  printf("peeked %s\n", buf);
  SHOW("recv MSG_TRUNC into 2", recv(r, buf, 2, MSG_TRUNC));
  SHOW("recv empty datagram", recv(r, buf, sizeof(buf), 0));
  struct iovec iov = {buf, 4};
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  SHOW("recvmsg into 4", recvmsg(r, &m, 0));
  printf("msg_flags has MSG_TRUNC: %d\n", (m.msg_flags & MSG_TRUNC) != 0);
  SHOW("nothing left", recv(r, buf, sizeof(buf), MSG_DONTWAIT));

  // connect() sets the default destination and filters what arrives.
  SHOW("connect", connect(r, (struct sockaddr*)&sa, slen));
  int other_port_sock;
  struct sockaddr_storage oa;
  socklen_t olen;
  other_port_sock = bound(&oa, &olen);
  SHOW("other sends", sendto(other_port_sock, "no", 2, 0, (struct sockaddr*)&ra, rlen));
  SHOW("peer sends", sendto(s, "yes", 3, 0, (struct sockaddr*)&ra, rlen));
  memset(buf, 0, sizeof(buf));
  SHOW("recv on connected", recv(r, buf, sizeof(buf), 0));
  printf("got %s\n", buf);
  SHOW("send on connected", send(r, "back", 4, 0));
  memset(buf, 0, sizeof(buf));
  SHOW("sender receives", recv(s, buf, sizeof(buf), 0));
  struct sockaddr_storage peer;
  socklen_t plen = sizeof(peer);
  SHOW("getpeername", getpeername(r, (struct sockaddr*)&peer, &plen));
  struct sockaddr_storage unspec;
  memset(&unspec, 0, sizeof(unspec));
  unspec.ss_family = AF_UNSPEC;
  SHOW("disconnect", connect(r, (struct sockaddr*)&unspec, sizeof(unspec)));
  SHOW("getpeername after", getpeername(r, (struct sockaddr*)&peer, &plen));
  SHOW("send without address", send(r, "x", 1, 0));
  close(other_port_sock);

  // A datagram to a closed port comes back as ECONNREFUSED on a connected socket.
  int c = socket(family, SOCK_DGRAM, 0);
  struct sockaddr_storage closed;
  socklen_t clen = make_addr(&closed, port_of(&oa));
  SHOW("connect to closed port", connect(c, (struct sockaddr*)&closed, clen));
  SHOW("send to closed port", send(c, "hello", 5, 0));
  SHOW("recv reports refusal", recv(c, buf, sizeof(buf), MSG_DONTWAIT));
  SHOW("then nothing", recv(c, buf, sizeof(buf), MSG_DONTWAIT));
  close(c);

  // sendmmsg / recvmmsg.
  struct mmsghdr msgs[3];
  struct iovec iovs[3];
  char bufs[3][16];
  const char* words[3] = {"alpha", "be", "gamma!"};
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < 3; ++i) {
    iovs[i].iov_base = (void*)words[i];
    iovs[i].iov_len = strlen(words[i]);
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &ra;
    msgs[i].msg_hdr.msg_namelen = rlen;
  }
  SHOW("sendmmsg", sendmmsg(s, msgs, 3, 0));
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < 3; ++i) {
    memset(bufs[i], 0, sizeof(bufs[i]));
    iovs[i].iov_base = bufs[i];
    iovs[i].iov_len = sizeof(bufs[i]);
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  SHOW("recvmmsg", recvmmsg(r, msgs, 3, MSG_DONTWAIT, NULL));
  for (int i = 0; i < 3; ++i)
    printf("  %u %s\n", msgs[i].msg_len, bufs[i]);

  // Errors.
  SHOW("send unconnected no address", send(s, "x", 1, 0));
  SHOW("bind again", bind(s, (struct sockaddr*)&sa, slen));
  int d = socket(family, SOCK_DGRAM, 0);
  SHOW("bind in use", bind(d, (struct sockaddr*)&ra, rlen));
  int one = 1;
  setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  SHOW("bind in use, reuse on one side only", bind(d, (struct sockaddr*)&ra, rlen));
  static char big[70000];
  SHOW("sendto too big", sendto(d, big, sizeof(big), 0, (struct sockaddr*)&ra, rlen));
  SHOW("sendto port 0", sendto(d, "x", 1, 0, (struct sockaddr*)&closed, make_addr(&closed, 0)));
  SHOW("short address", sendto(d, "x", 1, 0, (struct sockaddr*)&ra, 4));
  SHOW("listen on udp", listen(d, 1));
  SHOW("accept on udp", accept(d, NULL, NULL));
  SHOW("shutdown unconnected udp", shutdown(d, SHUT_RDWR));
  int v = 0;
  socklen_t vlen = sizeof(v);
  getsockopt(d, SOL_SOCKET, SO_TYPE, &v, &vlen);
  printf("SO_TYPE %d\n", v);
  close(d);
  close(r);
  close(s);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int families[] = {AF_INET, AF_INET6};
  for (int i = 0; i < 2; ++i) {
    family = families[i];
    printf("== %s\n", family == AF_INET ? "127.0.0.1" : "::1");
    run();
  }
  SHOW("socket bad type", socket(AF_INET, 77, 0));
  SHOW("socket bad flags", socket(AF_INET, SOCK_DGRAM | 0x100000, 0));
  SHOW("socket bad family", socket(12345, SOCK_DGRAM, 0));
  SHOW("socket tcp protocol on dgram", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
  SHOW("socket seqpacket inet", socket(AF_INET, SOCK_SEQPACKET, 0));
  SHOW("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}));
  SHOW("bind on non-socket", bind(1, NULL, 0));
  SHOW("bind on bad fd", bind(99, NULL, 0));
  return 0;
}
