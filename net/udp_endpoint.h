// One UDP endpoint: datagrams with their boundaries, a bounded receive queue, connect() as a
// default destination and source filter, and ICMP port-unreachable reported as
// ECONNREFUSED on connected sockets.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <utility>

#include "base/result.h"
#include "net/buffer.h"
#include "net/ip_address.h"
#include "net/port_table.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::net {

class Stack;

class UdpEndpoint {
 public:
  // Linux's net.core.rmem_default / wmem_default.
  static constexpr uint32_t kDefaultBuffer = 212992;

  UdpEndpoint(Stack& stack, IpVersion family);
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  // Addresses are in the socket's family.
  Result<void> bind(const NetAddress& addr);
  Result<void> connect(const NetAddress& to);
  // connect(AF_UNSPEC): forget the peer.
  void disconnect();
  // Sends one datagram to `to`, or to the connected peer. EDESTADDRREQ without either,
  // EMSGSIZE when it cannot fit one IP packet, ECONNREFUSED when an earlier datagram to the
  // connected peer was refused.
  Result<size_t> send_to(std::span<const std::byte> data, const std::optional<NetAddress>& to);

  struct Received {
    size_t length = 0;  // the datagram's full length (MSG_TRUNC reports it)
    size_t copied = 0;
    NetAddress from;
  };
  // Copies the next datagram (the rest of it is dropped unless peek). EAGAIN when none.
  Result<Received> recv(std::span<std::byte> dst, bool peek);
  Result<void> shutdown(int how);

  uint32_t readiness() const;
  kernel::WaitQueue& wait_queue() { return queue_; }
  int take_error() { return std::exchange(error_, 0); }

  IpVersion family() const { return family_; }
  NetAddress local_address() const;
  Result<NetAddress> peer_address() const;
  bool connected() const { return peer_.has_value(); }
  // FIONREAD: the size of the next datagram.
  size_t next_datagram_size() const {
    return datagrams_.empty() ? 0 : datagrams_.front().data.size();
  }
  size_t queued_bytes() const { return queue_bytes_; }
  Binding& binding() { return binding_; }
  const Binding& binding() const { return binding_; }
  uint32_t rcvbuf = 0;  // SO_RCVBUF as set (0: default)
  uint32_t sndbuf = 0;

  // From the stack: the wire-form source and the local address it was sent to.
  void on_datagram(const NetAddress& from, const IpAddress& to, const Payload& data);
  void on_unreachable();
  // Whether this endpoint takes a datagram from `remote` to `local` (wire form), and how
  // specifically (higher is better); -1 if not.
  int match_score(const NetAddress& local, const NetAddress& remote) const;
  // Wire-form peer, when connected.
  const std::optional<NetAddress>& wire_peer() const { return peer_; }

 private:
  struct Datagram {
    NetAddress from;  // wire form
    Payload data;
  };
  Result<void> autobind();
  NetAddress to_family(const NetAddress& wire) const;

  Stack& stack_;
  const IpVersion family_;
  Binding binding_;
  bool port_locked_ = false;  // bind() named the port (SOCK_BINDPORT_LOCK)
  bool addr_locked_ = false;  // bind() named the address (SOCK_BINDADDR_LOCK)
  std::optional<NetAddress> peer_;
  IpAddress source_;  // wire source chosen by connect(), when the binding is a wildcard
  std::deque<Datagram> datagrams_;
  size_t queue_bytes_ = 0;
  int error_ = 0;
  bool shut_rd_ = false;
  bool shut_wr_ = false;
  kernel::WaitQueue queue_;
};

}  // namespace ms::net
