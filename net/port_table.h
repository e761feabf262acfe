// Which local ports are taken, per transport protocol, and Linux's rules for sharing them
// (inet_csk_bind_conflict): two bindings on one port conflict when their addresses overlap,
// unless both set SO_REUSEADDR and the existing one is not listening, or both set
// SO_REUSEPORT as the same user (or the existing one is in TIME_WAIT).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "net/ip_address.h"
#include "net/rng.h"

namespace ms::net {

// Linux's default net.ipv4.ip_local_port_range.
inline constexpr uint16_t kEphemeralFirst = 32768;
inline constexpr uint16_t kEphemeralLast = 60999;

// One socket's claim on a port. Owned by the socket's endpoint, which keeps `state` current;
// the table only points at it.
struct Binding {
  enum class State : uint8_t { kBound, kListen, kConnected, kTimeWait };

  IpVersion family = IpVersion::kV4;  // AF_INET or AF_INET6 socket
  IpAddress addr;                     // as bound: may be any, or v4-mapped for AF_INET6
  uint16_t port = 0;
  bool v6only = false;
  bool reuse_addr = false;
  bool reuse_port = false;
  uint32_t uid = 0;
  State state = State::kBound;
  bool registered = false;
};

// Whether a datagram or connection for local address `to` (of either version) reaches a
// socket bound as b: the same address, or a wildcard that covers it.
bool binding_accepts(const Binding& b, const IpAddress& to);

class PortTable {
 public:
  explicit PortTable(Rng& rng) : rng_(rng) {}
  PortTable(const PortTable&) = delete;
  PortTable& operator=(const PortTable&) = delete;

  // Claims b.port, or a free ephemeral port (written to b.port) when it is 0. EADDRINUSE on
  // a conflict, or when every ephemeral port is taken.
  Result<void> bind(Binding& b);
  void unbind(Binding& b);
  // Registers b on its port without checks: a connection accepted on a listener shares the
  // listener's port.
  void inherit(Binding& b);
  // Re-checks b's claim for listen(2), which refuses to share with another listener.
  Result<void> check_listen(const Binding& b) const;
  // Every binding on port.
  const std::vector<Binding*>* on_port(uint16_t port) const;

 private:
  bool conflicts(const Binding& b, uint16_t port) const;

  Rng& rng_;
  std::unordered_map<uint16_t, std::vector<Binding*>> ports_;
};

}  // namespace ms::net
