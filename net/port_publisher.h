// -p HOSTPORT:GUESTPORT: a listener on the host's 127.0.0.1:HOSTPORT whose connections are
// bridged, byte for byte, to a connection the sentry opens to 127.0.0.1:GUESTPORT on the
// sandbox's own stack (what a guest server listening there accepts). Each direction holds at
// most one buffer of bytes: a client that never reads stalls the guest's writes (TCP's
// backpressure), it never grows the sentry. Clients that vanish, reset or send anything at
// all end their own bridge and nothing else.
#pragma once

#include <cstdint>
#include <expected>
#include <list>
#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/host_poller.h"

namespace ms::net {

class Stack;
struct PortMapping;

class PortPublisher {
 public:
  // Bridges past this many are refused (accepted and closed at once).
  static constexpr size_t kMaxBridges = 512;
  // Bytes held per direction of a bridge.
  static constexpr size_t kBufferSize = 256 * 1024;

  // Binds and listens on the host; the message says why not.
  static std::expected<std::unique_ptr<PortPublisher>, std::string> open(
      Stack& stack, kernel::HostPoller& poller, kernel::TimerQueue& timers, kernel::Clock& clock,
      uint16_t host_port, uint16_t guest_port);
  ~PortPublisher();
  PortPublisher(const PortPublisher&) = delete;
  PortPublisher& operator=(const PortPublisher&) = delete;

  size_t bridges() const { return bridges_.size(); }
  uint16_t host_port() const { return host_port_; }
  // The port actually bound (host port 0 picks one; tests use that).
  uint16_t bound_port() const { return bound_port_; }

 private:
  class Bridge;
  PortPublisher(Stack& stack, kernel::HostPoller& poller, kernel::TimerQueue& timers,
                kernel::Clock& clock, UniqueFd listener, uint16_t host_port, uint16_t guest_port);
  void arm_accept();
  void on_accept();
  void remove(Bridge* b);

  Stack& stack_;
  kernel::HostPoller& poller_;
  kernel::TimerQueue& timers_;
  kernel::Clock& clock_;
  UniqueFd listener_;
  uint16_t host_port_;
  uint16_t bound_port_ = 0;
  uint16_t guest_port_;
  std::list<std::unique_ptr<Bridge>> bridges_;
};

}  // namespace ms::net
