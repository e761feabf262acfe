// /proc/net/tcp, tcp6, udp and udp6 list this program's own sockets in Linux's layout: a
// listener (state 0A), both ends of a connection (01) with the bytes waiting to be read, a
// bound UDP socket (07) and a connected one (01). Only rows with this program's ports are
// looked at: natively the host's other sockets are listed too.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "guest_test.h"

static unsigned port_of(int fd) {
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  CHECK(getsockname(fd, (struct sockaddr*)&a, &len) == 0);
  return a.ss_family == AF_INET ? ntohs(((struct sockaddr_in*)&a)->sin_port)
                                : ntohs(((struct sockaddr_in6*)&a)->sin6_port);
}

static int by_text(const void* a, const void* b) {
  return strcmp((const char*)a, (const char*)b);
}

// Prints the rows of /proc/net/NAME whose local or remote port is `port`, sorted (the kernel
// lists them in hash order), as which side is `port` (P), the state and the receive queue:
// its size for TCP, only whether it holds something for UDP (Linux counts the buffer memory
// there, overhead included).
static void show(const char* name, unsigned port) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/net/%s", name);
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    printf("%s: cannot open: %s\n", name, guest_errno_name(errno));
    return;
  }
  char line[512];
  if (fgets(line, sizeof(line), f) != NULL) {
    printf("%s header: %.*s\n", name, 40, line);
  }
  static char found[32][128];
  int rows = 0;
  while (rows < 32 && fgets(line, sizeof(line), f) != NULL) {
    char local[64], remote[64];
    unsigned state, tx, rx;
    if (sscanf(line, "%*d: %63s %63s %X %X:%X", local, remote, &state, &tx, &rx) != 5) continue;
    const char* lp = strrchr(local, ':');
    const char* rp = strrchr(remote, ':');
    if (lp == NULL || rp == NULL) continue;
    const unsigned lport = (unsigned)strtoul(lp + 1, NULL, 16);
    const unsigned rport = (unsigned)strtoul(rp + 1, NULL, 16);
    if (lport != port && rport != port) continue;
    char rx_text[16];
    if (name[0] == 't') {
      snprintf(rx_text, sizeof(rx_text), "%u", rx);
    } else {
      snprintf(rx_text, sizeof(rx_text), "%s", rx > 0 ? "some" : "none");
    }
    snprintf(found[rows++], sizeof(found[0]), "local %s remote %s state %02X rx %s",
             lport == port ? "P" : "other", rport == port ? "P" : (rport == 0 ? "0" : "other"),
             state, rx_text);
  }
  qsort(found, (size_t)rows, sizeof(found[0]), by_text);
  for (int i = 0; i < rows; i++)
    printf("%s row: %s\n", name, found[i]);
  printf("%s: %d rows\n", name, rows);
  fclose(f);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(l, (struct sockaddr*)&a, sizeof(a)) == 0);
  CHECK(listen(l, 4) == 0);
  const unsigned port = port_of(l);
  show("tcp", port);

  int c = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_port = htons((uint16_t)port);
  CHECK(connect(c, (struct sockaddr*)&a, sizeof(a)) == 0);
  int s = accept(l, NULL, NULL);
  CHECK(s >= 0);
  CHECK(write(c, "hello", 5) == 5);
  usleep(20000);
  show("tcp", port);
  close(c);
  close(s);
  close(l);

  int l6 = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  CHECK(bind(l6, (struct sockaddr*)&a6, sizeof(a6)) == 0);
  CHECK(listen(l6, 4) == 0);
  show("tcp6", port_of(l6));
  close(l6);

  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(u, (struct sockaddr*)&ua, sizeof(ua)) == 0);
  const unsigned uport = port_of(u);
  int u2 = socket(AF_INET, SOCK_DGRAM, 0);
  ua.sin_port = htons((uint16_t)uport);
  CHECK(connect(u2, (struct sockaddr*)&ua, sizeof(ua)) == 0);
  CHECK(send(u2, "dgram", 5, 0) == 5);
  usleep(20000);
  show("udp", uport);
  close(u);
  close(u2);

  int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 ua6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  CHECK(bind(u6, (struct sockaddr*)&ua6, sizeof(ua6)) == 0);
  show("udp6", port_of(u6));
  close(u6);
  return 0;
}
