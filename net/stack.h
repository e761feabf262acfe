// The sandbox's network stack: interfaces and routes, the demultiplexing tables that find the
// endpoint a packet is for, port allocation, and the drain loop that moves packets from links
// to endpoints. Task-independent: it sees a Clock and a TimerQueue, never a guest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "net/interface.h"
#include "net/ip_address.h"
#include "net/link_faults.h"
#include "net/packet.h"
#include "net/port_table.h"
#include "net/rng.h"
#include "net/tcp_header.h"
#include "sentry/kernel/clock.h"

namespace ms::net {

class TcpEndpoint;
class UdpEndpoint;
struct IpInfo;

struct StackOptions {
  uint64_t seed = 1;
  // Linux's TCP_RTO_MIN.
  kernel::Duration min_rto = std::chrono::milliseconds(200);
  // Linux's TCP_TIMEWAIT_LEN.
  kernel::Duration time_wait = std::chrono::seconds(60);
  // lo's MTU, as Linux sets it.
  size_t loopback_mtu = 65536;
  LinkFaults loopback_faults;
  // When set, initial sequence numbers are this value plus a counter instead of random:
  // lets tests put a connection right before the 2^32 wrap.
  std::optional<uint32_t> isn_base;
};

struct StackStats {
  uint64_t tcp_segments_in = 0;
  uint64_t tcp_segments_out = 0;
  uint64_t tcp_retransmits = 0;
  uint64_t tcp_timeouts = 0;         // retransmission timer expiries
  uint64_t tcp_fast_recoveries = 0;  // loss recoveries entered from duplicate ACKs / SACK
  uint64_t tcp_resets_sent = 0;
  uint64_t udp_datagrams_in = 0;
  uint64_t udp_datagrams_out = 0;
  uint64_t udp_no_port = 0;
  uint64_t udp_receive_drops = 0;
  uint64_t malformed = 0;
};

class Stack final : public LinkReceiver {
 public:
  struct Route {
    NetInterface* iface = nullptr;
    IpAddress src;  // the preferred source address
    size_t mtu = 0;
  };

  // Creates the stack with `lo` (127.0.0.1/8 and ::1/128) on a simulated link.
  Stack(kernel::Clock& clock, kernel::TimerQueue& timers, const StackOptions& options = {});
  // Makes a stack whose loopback sends on `link` instead (tests script their own).
  Stack(kernel::Clock& clock, kernel::TimerQueue& timers, const StackOptions& options,
        std::unique_ptr<Link> loopback_link);
  ~Stack() override;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  kernel::Clock& clock() { return clock_; }
  kernel::TimerQueue& timers() { return timers_; }
  const StackOptions& options() const { return options_; }
  Rng& rng() { return rng_; }
  StackStats& stats() { return stats_; }

  // --- Interfaces and routing ---
  NetInterface& add_interface(std::string name, size_t mtu, uint32_t flags,
                              std::vector<InterfaceAddress> addresses, std::unique_ptr<Link> link);
  NetInterface& loopback() { return *interfaces_.front(); }
  const std::vector<std::unique_ptr<NetInterface>>& interfaces() const { return interfaces_; }
  // Whether packets to `a` are delivered to this stack (an interface's address, or anywhere
  // in a loopback prefix).
  bool is_local(const IpAddress& a) const;
  // ENETUNREACH when no interface reaches dst.
  Result<Route> route(const IpAddress& dst) const;

  // --- Sending ---
  void send_tcp(const FourTuple& tuple, const TcpHeader& header, const Payload& payload);
  void send_udp(const NetAddress& from, const NetAddress& to, const Payload& payload);

  // --- Receiving ---
  // Hands every due packet on every link to its endpoint, then sends the ACKs that
  // accumulated, until nothing is left to do. Called at the end of each socket operation
  // and timer; harmless (a no-op) when called from inside itself.
  void drain();
  void link_ready() override { drain(); }

  // --- Tables ---
  PortTable& tcp_ports() { return tcp_ports_; }
  PortTable& udp_ports() { return udp_ports_; }
  void add_connection(const FourTuple& t, std::shared_ptr<TcpEndpoint> ep);
  void remove_connection(const FourTuple& t, const TcpEndpoint* ep);
  bool has_connection(const FourTuple& t) const { return connections_.contains(t); }
  void add_listener(std::shared_ptr<TcpEndpoint> ep);
  void remove_listener(const TcpEndpoint* ep);
  void add_udp(UdpEndpoint* ep);
  void remove_udp(UdpEndpoint* ep);
  // The endpoint wants an ACK sent once the current batch of packets is processed.
  void want_ack(std::shared_ptr<TcpEndpoint> ep);

  // Every TCP endpoint the stack tracks (listeners, then connections), for /proc/net/tcp.
  void for_each_tcp(const std::function<void(const TcpEndpoint&)>& fn) const;
  void for_each_udp(const std::function<void(const UdpEndpoint&)>& fn) const;
  size_t connection_count() const { return connections_.size(); }

  uint32_t new_isn() {
    if (options_.isn_base) return *options_.isn_base + 1000 * isn_count_++;
    return static_cast<uint32_t>(rng_.next());
  }
  uint16_t next_ip_id() { return ip_id_++; }

 private:
  void transmit(const Route& r, Packet packet);
  void receive(const Packet& packet);
  void receive_tcp(const IpInfo& ip, const Packet& packet);
  void receive_udp(const IpInfo& ip, const Packet& packet);
  void receive_icmp(const IpInfo& ip, const Packet& packet);
  void send_reset_for(const IpInfo& ip, const TcpHeader& h, size_t payload_len);
  void send_port_unreachable(const IpInfo& ip, const Packet& packet);
  std::shared_ptr<TcpEndpoint> find_listener(const FourTuple& t) const;
  UdpEndpoint* find_udp(const NetAddress& local, const NetAddress& remote) const;
  void flush_acks();

  kernel::Clock& clock_;
  kernel::TimerQueue& timers_;
  StackOptions options_;
  Rng rng_;
  StackStats stats_;
  std::vector<std::unique_ptr<NetInterface>> interfaces_;
  PortTable tcp_ports_;
  PortTable udp_ports_;
  std::unordered_map<FourTuple, std::shared_ptr<TcpEndpoint>, FourTupleHash> connections_;
  std::unordered_map<uint16_t, std::vector<std::shared_ptr<TcpEndpoint>>> listeners_;
  std::unordered_map<uint16_t, std::vector<UdpEndpoint*>> udp_;
  std::vector<std::shared_ptr<TcpEndpoint>> pending_acks_;
  uint16_t ip_id_ = 1;
  uint32_t isn_count_ = 0;
  bool draining_ = false;
};

}  // namespace ms::net
