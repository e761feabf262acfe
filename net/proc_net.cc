#include "net/proc_net.h"

#include <fmt/format.h>

#include <cstring>

#include "net/stack.h"
#include "net/tcp_endpoint.h"
#include "net/udp_endpoint.h"

namespace ms::net {
namespace {

// Linux prints each 32-bit word of an address as the host-order value of its network-order
// bytes: 127.0.0.1 is 0100007F.
std::string hex_address(const NetAddress& a, IpVersion version) {
  std::string out;
  const int words = version == IpVersion::kV4 ? 1 : 4;
  for (int i = 0; i < words; ++i) {
    uint32_t word = 0;
    std::memcpy(&word, a.ip.bytes() + 4 * i, sizeof(word));
    out += fmt::format("{:08X}", word);
  }
  return out + fmt::format(":{:04X}", a.port);
}

// The columns after the addresses, state and queues that the sandbox has no notion of
// (timers, retransmits, probes) are zero; inode 0 (endpoints do not know their socket).
constexpr std::string_view kTcpTail = "00:00000000 00000000";
constexpr std::string_view kPointer = "0000000000000000";

// IPv4 rows are padded to a fixed width, as Linux does (TMPSZ - 1 for TCP, 127 for UDP).
std::string padded(std::string line, size_t width) {
  if (line.size() < width) line.append(width - line.size(), ' ');
  return line + "\n";
}

}  // namespace

std::string proc_net_tcp(const Stack& stack, IpVersion version) {
  const bool v4 = version == IpVersion::kV4;
  std::string out =
      v4 ? padded(
               "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
               "   uid  timeout inode",
               149)
         : "  sl  local_address                         remote_address                        st"
           " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  int slot = 0;
  stack.for_each_tcp([&](const TcpEndpoint& ep) {
    if (ep.family() != version) return;
    const NetAddress local = ep.local_address();
    const NetAddress remote = ep.remote_address().value_or(NetAddress{IpAddress::any(version), 0});
    const bool listening = ep.state() == TcpState::kListen;
    // A listener's queues are its accept queue and backlog.
    const size_t tx = listening ? static_cast<size_t>(ep.backlog()) : ep.send_queue_bytes();
    const size_t rx = listening ? ep.accept_queue_length() : ep.readable_bytes();
    std::string line = fmt::format(
        "{:4d}: {} {} {:02X} {:08X}:{:08X} {} {:5d} {:8d} {} 1 {} 20 4 0 10 -1", slot++,
        hex_address(local, version), hex_address(remote, version),
        static_cast<unsigned>(ep.state()), tx, rx, kTcpTail, ep.binding().uid, 0, 0, kPointer);
    out += v4 ? padded(std::move(line), 149) : line + "\n";
  });
  return out;
}

std::string proc_net_udp(const Stack& stack, IpVersion version) {
  const bool v4 = version == IpVersion::kV4;
  constexpr std::string_view kColumns =
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
  std::string out =
      v4 ? padded(fmt::format("   sl  local_address rem_address   st {}", kColumns), 127)
         : fmt::format(
               "  sl  local_address                         remote_address           "
               "             st {}\n",
               kColumns);
  int slot = 0;
  stack.for_each_udp([&](const UdpEndpoint& ep) {
    if (ep.family() != version) return;
    const NetAddress remote = ep.wire_peer().value_or(NetAddress{IpAddress::any(version), 0});
    // UDP sockets report TCP_ESTABLISHED once connected, TCP_CLOSE otherwise. (Linux's
    // rx_queue counts buffer memory, datagram overhead included; this counts the bytes.)
    const unsigned state = ep.connected() ? 1 : 7;
    std::string line =
        fmt::format("{:5d}: {} {} {:02X} {:08X}:{:08X} {} {:5d} {:8d} {} 2 {} 0", slot++,
                    hex_address(ep.local_address(), version), hex_address(remote, version), state,
                    0, ep.queued_bytes(), kTcpTail, ep.binding().uid, 0, 0, kPointer);
    out += v4 ? padded(std::move(line), 127) : line + "\n";
  });
  return out;
}

}  // namespace ms::net
