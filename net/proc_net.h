// /proc/net/tcp, tcp6, udp and udp6 for the sandbox's own stack, in Linux's layout (what
// netstat, ss and lsof parse). Sockets on the host (--net=host) are the host's business and
// are not listed.
#pragma once

#include <string>

#include "net/ip_address.h"

namespace ms::net {

class Stack;

std::string proc_net_tcp(const Stack& stack, IpVersion version);
std::string proc_net_udp(const Stack& stack, IpVersion version);

}  // namespace ms::net
