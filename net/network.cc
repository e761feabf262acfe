#include "net/network.h"

#include <fmt/format.h>
#include <netinet/in.h>

#include <charconv>
#include <optional>

#include "base/log.h"
#include "net/host_socket.h"
#include "net/port_publisher.h"
#include "net/tcp_socket.h"
#include "net/udp_socket.h"
#include "net/unix_socket.h"

namespace ms::net {
namespace {

// What socket(2) says when the family is known but the type or protocol is not, following
// inet_create's walk over its protocol table.
Result<void> check_inet(int type, int protocol, const SocketCaller& caller) {
  switch (type) {
    case SOCK_STREAM:
      if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
      return {};
    case SOCK_DGRAM:
      if (protocol == 0 || protocol == IPPROTO_UDP) return {};
      // Ping sockets exist, but only for groups in net.ipv4.ping_group_range, which is
      // empty by default; UDP-Lite is not offered.
      if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) return fail(EACCES);
      return fail(EPROTONOSUPPORT);
    case SOCK_RAW:
      if (!caller.privileged) return fail(EPERM);
      return fail(EPROTONOSUPPORT);
    default:
      return fail(ESOCKTNOSUPPORT);
  }
}

}  // namespace

Network::Network(kernel::Clock& clock, kernel::TimerQueue& timers, kernel::HostPoller& poller,
                 NetworkOptions options)
    : clock_(clock),
      timers_(timers),
      poller_(poller),
      options_(std::move(options)),
      stack_(clock, timers, options_.stack) {}

std::expected<PortMapping, std::string> parse_port_mapping(std::string_view text) {
  const size_t colon = text.find(':');
  auto port = [](std::string_view v) -> std::optional<uint16_t> {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
    if (ec != std::errc() || end != v.data() + v.size() || p == 0 || p > 65535) return std::nullopt;
    return static_cast<uint16_t>(p);
  };
  if (colon == std::string_view::npos) {
    return std::unexpected(fmt::format("expected HOSTPORT:GUESTPORT, got '{}'", text));
  }
  const auto host = port(text.substr(0, colon));
  const auto guest = port(text.substr(colon + 1));
  if (!host || !guest) {
    return std::unexpected(fmt::format("ports are numbers from 1 to 65535, got '{}'", text));
  }
  return PortMapping{*host, *guest};
}

std::expected<void, std::string> Network::publish_ports() {
  if (options_.host && !options_.published.empty()) {
    return std::unexpected(
        "-p publishes a port of the sandbox's own network; with --net=host the guest binds "
        "host ports itself");
  }
  for (const PortMapping& m : options_.published) {
    auto p = PortPublisher::open(stack_, poller_, timers_, clock_, m.host_port, m.guest_port);
    if (!p)
      return std::unexpected(fmt::format("-p {}:{}: {}", m.host_port, m.guest_port, p.error()));
    publishers_.push_back(std::move(*p));
  }
  return {};
}

Network::~Network() {
  publishers_.clear();
  const StackStats& s = stack_.stats();
  const LinkStats& l = stack_.loopback().link->stats();
  if (s.tcp_segments_out == 0 && s.udp_datagrams_out == 0) return;
  log::info(
      "net: the loopback link carried {} packets: dropped {}, duplicated {}, reordered {}; "
      "TCP sent {} segments, retransmitted {} ({} timeouts, {} fast recoveries)",
      l.transmitted, l.dropped, l.duplicated, l.reordered, s.tcp_segments_out, s.tcp_retransmits,
      s.tcp_timeouts, s.tcp_fast_recoveries);
}

Result<std::shared_ptr<Socket>> Network::socket(int domain, int type, int protocol, int flags,
                                                const SocketCaller& caller) {
  switch (domain) {
    case AF_UNIX:
      if (protocol != 0 && protocol != AF_UNIX) return fail(EPROTONOSUPPORT);
      if (type == SOCK_RAW) type = SOCK_DGRAM;  // Linux's unix_create does the same
      if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
        return fail(ESOCKTNOSUPPORT);
      }
      return std::make_shared<UnixSocket>(unix_names_, type, flags,
                                          Credentials{caller.pid, caller.euid, caller.egid});
    case AF_INET:
    case AF_INET6:
      TRY(check_inet(type, protocol, caller));
      if (options_.host) {
        return std::static_pointer_cast<Socket>(
            TRY(HostSocket::create(poller_, domain, type, protocol, flags)));
      }
      if (type == SOCK_STREAM) return std::make_shared<TcpSocket>(stack_, domain, flags);
      return std::make_shared<UdpSocket>(stack_, domain, flags);
    default:
      return fail(EAFNOSUPPORT);
  }
}

Result<std::pair<std::shared_ptr<Socket>, std::shared_ptr<Socket>>> Network::socketpair(
    int domain, int type, int protocol, int flags, const SocketCaller& caller) {
  if (domain == AF_INET || domain == AF_INET6) {
    TRY(check_inet(type, protocol, caller));
    return fail(EOPNOTSUPP);
  }
  if (domain != AF_UNIX) return fail(EAFNOSUPPORT);
  if (protocol != 0 && protocol != AF_UNIX) return fail(EPROTONOSUPPORT);
  if (type == SOCK_RAW) type = SOCK_DGRAM;
  if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
    return fail(ESOCKTNOSUPPORT);
  }
  auto [a, b] =
      UnixSocket::pair(unix_names_, type, flags, Credentials{caller.pid, caller.euid, caller.egid});
  return std::pair<std::shared_ptr<Socket>, std::shared_ptr<Socket>>{a, b};
}

}  // namespace ms::net
