// The sandbox's networking as the kernel holds it: the internal stack, the AF_UNIX
// namespace, the mode (--net=none or --net=host), and published ports. It makes sockets.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/socket.h"
#include "net/stack.h"
#include "net/unix_namespace.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/host_poller.h"

namespace ms::net {

class PortPublisher;

// -p HOSTPORT:GUESTPORT.
struct PortMapping {
  uint16_t host_port = 0;
  uint16_t guest_port = 0;
};

struct NetworkOptions {
  // --net=host: AF_INET/AF_INET6 sockets are host sockets the sentry owns. Otherwise
  // (--net=none, the default) they live on the sandbox's own stack.
  bool host = false;
  StackOptions stack;
  std::vector<PortMapping> published;
};

class Network {
 public:
  Network(kernel::Clock& clock, kernel::TimerQueue& timers, kernel::HostPoller& poller,
          NetworkOptions options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // socket(2) after its flags were split off: EAFNOSUPPORT, ESOCKTNOSUPPORT,
  // EPROTONOSUPPORT as Linux reports them. flags: O_NONBLOCK.
  Result<std::shared_ptr<Socket>> socket(int domain, int type, int protocol, int flags,
                                         const SocketCaller& caller);
  // socketpair(2): AF_UNIX only (EOPNOTSUPP for inet families).
  Result<std::pair<std::shared_ptr<Socket>, std::shared_ptr<Socket>>> socketpair(
      int domain, int type, int protocol, int flags, const SocketCaller& caller);

  // Opens the host listeners of -p; a message for the user when one cannot be.
  std::expected<void, std::string> publish_ports();
  const std::vector<std::unique_ptr<PortPublisher>>& publishers() const { return publishers_; }

  Stack& stack() { return stack_; }
  UnixNamespace& unix_names() { return unix_names_; }
  kernel::HostPoller& poller() { return poller_; }
  const NetworkOptions& options() const { return options_; }

 private:
  kernel::Clock& clock_;
  kernel::TimerQueue& timers_;
  kernel::HostPoller& poller_;
  NetworkOptions options_;
  Stack stack_;
  UnixNamespace unix_names_;
  std::vector<std::unique_ptr<PortPublisher>> publishers_;
};

// "HOSTPORT:GUESTPORT", both in 1..65535.
std::expected<PortMapping, std::string> parse_port_mapping(std::string_view text);

}  // namespace ms::net
