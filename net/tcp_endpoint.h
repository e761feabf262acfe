// One TCP endpoint: a socket's connection (or listener) as a segment protocol (RFC 9293):
// three-way handshake, sequence and acknowledgement numbers, flow control with window
// scaling, an out-of-order reassembly queue, retransmission on a timer with exponential
// backoff, RACK-TLP loss detection with SACK recovery, Reno congestion control, Nagle, FIN/RST
// handling with half-close, TIME_WAIT, zero-window probes and keepalive.
//
// The socket layer calls the operations below; each returns EAGAIN where a blocking socket
// would wait, and readiness changes are announced on wait_queue(). The stack feeds segments
// in with on_segment(). Members are split by concern: tcp_endpoint.cc (socket operations),
// tcp_input.cc (segment arrival), tcp_output.cc (sending, retransmission, timers).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>

#include "base/result.h"
#include "net/buffer.h"
#include "net/ip_address.h"
#include "net/port_table.h"
#include "net/tcp_flight.h"
#include "net/tcp_header.h"
#include "net/tcp_reassembly.h"
#include "net/tcp_rtt.h"
#include "net/tcp_state.h"
#include "sentry/kernel/clock.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::net {

class Stack;

// What TCP_INFO reports (the fields the stack can fill).
struct TcpInfo {
  TcpState state = TcpState::kClosed;
  uint8_t ca_state = 0;  // 0 open, 3 recovery, 4 loss
  uint8_t retransmits = 0;
  uint8_t backoff = 0;
  bool sack = false;
  bool wscale = false;
  uint8_t snd_wscale = 0;
  uint8_t rcv_wscale = 0;
  uint32_t rto_us = 0;
  uint32_t snd_mss = 0;
  uint32_t rcv_mss = 0;
  uint32_t unacked = 0;  // segments
  uint32_t sacked = 0;   // segments
  uint32_t rtt_us = 0;
  uint32_t rttvar_us = 0;
  uint32_t snd_ssthresh = 0;
  uint32_t snd_cwnd = 0;  // segments
  uint32_t advmss = 0;
  uint32_t rcv_space = 0;
  uint32_t total_retrans = 0;
  uint32_t snd_wnd = 0;
  uint32_t rcv_wnd = 0;
  uint64_t bytes_acked = 0;
  uint64_t bytes_received = 0;
  uint32_t segs_out = 0;
  uint32_t segs_in = 0;
  uint32_t notsent_bytes = 0;
};

// Socket options that shape the endpoint.
struct TcpSocketOptions {
  bool nodelay = false;
  bool cork = false;
  bool keepalive = false;
  int keepidle_s = 7200;
  int keepintvl_s = 75;
  int keepcnt = 9;
  // Send and receive buffer capacity in bytes (0: not set by SO_SNDBUF / SO_RCVBUF, the
  // stack sizes the buffers itself).
  uint32_t sndbuf = 0;
  uint32_t rcvbuf = 0;
  // SO_LINGER.
  bool linger = false;
  int linger_s = 0;
  uint32_t user_mss = 0;  // TCP_MAXSEG, 0: not set
};

class TcpEndpoint : public std::enable_shared_from_this<TcpEndpoint> {
 public:
  // Linux's autotuning ceilings (tcp_wmem[2], tcp_rmem[2]): the buffer sizes used when the
  // socket does not set SO_SNDBUF / SO_RCVBUF.
  static constexpr uint32_t kDefaultSendBuffer = 4 << 20;
  static constexpr uint32_t kDefaultReceiveBuffer = 6 << 20;

  // family: the socket's address family (kV6 for AF_INET6, which may carry IPv4 traffic
  // through v4-mapped addresses unless v6only).
  TcpEndpoint(Stack& stack, IpVersion family);
  ~TcpEndpoint();
  TcpEndpoint(const TcpEndpoint&) = delete;
  TcpEndpoint& operator=(const TcpEndpoint&) = delete;

  // --- Socket operations. Addresses are in the socket's family. ---
  // EINVAL if already bound; EADDRNOTAVAIL for an address that is not local; EADDRINUSE.
  Result<void> bind(const NetAddress& addr);
  Result<void> listen(int backlog);
  // A connection that completed the handshake; EAGAIN when none has; EINVAL when not
  // listening.
  Result<std::shared_ptr<TcpEndpoint>> accept();
  // Sends the SYN. The outcome arrives later: state() leaves kSynSent and take_error() says
  // why if it failed.
  Result<void> connect(const NetAddress& to);
  // Queues bytes for sending; a short count when the send buffer fills, EAGAIN when it is
  // full. EPIPE after shutdown(SHUT_WR) or a reset (the caller raises SIGPIPE); the
  // connection's error first when one is pending.
  Result<size_t> send(std::span<const std::byte> data, bool more = false);
  // Copies received bytes in order. 0 at end of stream; EAGAIN when nothing is there yet.
  Result<size_t> recv(std::span<std::byte> dst, bool peek = false);
  // SHUT_RD, SHUT_WR or SHUT_RDWR: ENOTCONN when not connected.
  Result<void> shutdown(int how);
  // The socket's last file reference went away: finish politely (FIN), or reset when unread
  // data would be lost or SO_LINGER says so. The endpoint lives on in the stack until the
  // connection is over.
  void close();
  // Sends RST and drops the connection (SO_LINGER with a zero timeout, or abort).
  void abort();

  // POLLIN, POLLOUT, POLLHUP, POLLRDHUP, POLLERR, as Linux's tcp_poll computes them.
  uint32_t readiness() const;
  kernel::WaitQueue& wait_queue() { return queue_; }
  // SO_ERROR: the pending error (0 if none), cleared by reading it.
  int take_error();
  int pending_error() const { return error_; }

  TcpState state() const { return state_; }
  IpVersion family() const { return family_; }
  bool bound() const { return binding_.registered; }
  // Whether bind() named the port (Linux's SOCK_BINDPORT_LOCK).
  bool port_locked() const { return port_locked_; }
  // What bind() asked for (the wildcard address when bind() was not called).
  NetAddress bound_address() const { return {bound_addr_, binding_.port}; }
  // Gives the port back now (the socket is being replaced by a fresh endpoint).
  void release_port();
  // The local address in the socket's family (the wildcard until bound).
  NetAddress local_address() const;
  // ENOTCONN unless connected (or connecting).
  Result<NetAddress> peer_address() const;
  // Wire-form addresses, for /proc/net/tcp.
  const FourTuple& tuple() const { return tuple_; }
  bool has_peer() const { return has_peer_; }
  // FIONREAD / SIOCINQ.
  size_t readable_bytes() const { return recv_queue_.size(); }
  // SIOCOUTQ: bytes not yet acknowledged; SIOCOUTQNSD: not yet sent.
  size_t unacked_bytes() const { return send_queue_.size(); }
  size_t unsent_bytes() const;
  size_t accept_queue_length() const { return accept_queue_.size(); }
  // Bytes written and not yet acknowledged (/proc/net/tcp's tx_queue).
  size_t send_queue_bytes() const { return send_queue_.size(); }
  // The other end in any state that has one (SYN_SENT and TIME_WAIT too), for /proc.
  std::optional<NetAddress> remote_address() const;
  int backlog() const { return backlog_; }
  bool read_shut() const { return shut_rd_; }
  bool write_shut() const { return shut_wr_; }
  // Whether a FIN has been received (the peer will send nothing more).
  bool peer_closed() const { return fin_received_; }
  // Whether the socket's file is gone and the endpoint only finishes the protocol.
  bool orphaned() const { return orphaned_; }

  // --- Options ---
  TcpSocketOptions& options() { return opts_; }
  const TcpSocketOptions& options() const { return opts_; }
  Binding& binding() { return binding_; }
  const Binding& binding() const { return binding_; }
  // Applies option changes that have effects now (TCP_NODELAY pushes queued data, a cork
  // removed flushes, SO_KEEPALIVE arms its timer).
  void options_changed();
  uint32_t send_buffer_size() const;
  uint32_t receive_buffer_size() const;
  uint32_t mss() const { return snd_mss_; }
  TcpInfo info() const;

  // --- From the stack ---
  // A segment for this connection (or, on a listener, a SYN for a new one). Returns false
  // when a TIME_WAIT endpoint gives up its tuple to a new connection's SYN, which the stack
  // then offers to the listener.
  bool on_segment(const TcpHeader& h, const Payload& payload, const IpAddress& local,
                  const IpAddress& remote);
  // Sends the ACK that on_segment() deferred to the end of the batch.
  void flush_ack();

 private:
  // tcp_input.cc
  void listen_input(const TcpHeader& h, const IpAddress& local, const IpAddress& remote);
  void syn_sent_input(const TcpHeader& h, const Payload& payload);
  bool synchronized_input(const TcpHeader& h, const Payload& payload);
  bool acceptable(const TcpHeader& h, size_t len) const;
  void process_ack(const TcpHeader& h, size_t payload_len);
  // Records SACK blocks; whether they reported anything new.
  bool process_sack(const TcpHeader& h);
  void process_data(const TcpHeader& h, const Payload& payload);
  void process_fin();
  void on_reset();
  void update_window(const TcpHeader& h);
  void apply_syn_options(const TcpHeader& h);
  void established();

  // tcp_output.cc
  void output(bool force = false);
  void send_syn(bool with_ack);
  void send_ack();
  void send_reset(uint32_t seq);
  void send_segment(uint32_t seq, uint8_t flags, const Payload& payload);
  // Sends [begin, end) again (at most one segment).
  void resend(uint64_t begin, uint64_t end);
  void resend_fin();
  bool fin_outstanding() const { return fin_sent_ && seq_le_fin(); }
  bool seq_le_fin() const;
  // RACK: marks what is lost, arms the reordering timer, enters recovery when needed.
  void detect_losses(bool partial_ack = false);
  void enter_recovery();
  kernel::Duration reordering_window() const;
  uint16_t advertise_window();
  uint32_t receive_space() const;
  void maybe_window_update();
  uint64_t pipe() const;
  // The payload that fits one segment now: the MSS less the SACK option space the next
  // segments carry (Linux's tcp_current_mss).
  uint32_t current_mss() const;
  uint64_t una_pos() const { return una64_; }
  uint64_t pos_of(uint32_t seq) const;
  uint32_t seq_of(uint64_t pos) const;
  uint64_t data_end_pos() const { return una64_ + send_queue_.size(); }
  void rtt_sample(kernel::Duration rtt);
  void arm_retransmit();
  void stop_retransmit();
  void arm_persist();
  void arm_keepalive();
  void arm_tail_probe();
  void update_timer();
  void on_timer();
  void retransmit_timeout();
  void persist_timeout();
  void keepalive_timeout();
  void tail_probe_timeout();

  // tcp_endpoint.cc
  void set_state(TcpState s);
  void enter_time_wait();
  // Ends the connection: unregisters it, wakes everybody, keeps `error` for SO_ERROR.
  void finish(int error);
  void notify(uint32_t events) { queue_.notify(events); }
  void start_close(bool send_fin);
  void set_error(int error) { error_ = error; }
  Result<void> autobind();
  void register_child(std::shared_ptr<TcpEndpoint> child);
  std::shared_ptr<TcpEndpoint> make_child(const IpAddress& local, const IpAddress& remote,
                                          uint16_t local_port, uint16_t remote_port);
  void child_established(const std::shared_ptr<TcpEndpoint>& child);
  bool accept_queue_full() const;
  uint32_t default_mss(IpVersion v) const;

  Stack& stack_;
  const IpVersion family_;
  TcpState state_ = TcpState::kClosed;
  Binding binding_;
  IpAddress bound_addr_;      // the address bind() chose (the wildcard if none)
  bool port_locked_ = false;  // bind() named the port
  bool addr_locked_ = false;  // bind() named the address
  FourTuple tuple_;           // wire form: both addresses of the same version
  bool has_peer_ = false;
  bool in_connections_ = false;
  bool in_listeners_ = false;
  kernel::WaitQueue queue_;
  TcpSocketOptions opts_;

  // Socket-side state.
  bool orphaned_ = false;
  bool shut_rd_ = false;
  bool shut_wr_ = false;  // no more data from the application; FIN queued behind it
  int error_ = 0;

  // Listening.
  int backlog_ = 0;
  std::deque<std::shared_ptr<TcpEndpoint>> accept_queue_;
  std::weak_ptr<TcpEndpoint> listener_;  // a child's listener, until accepted

  // Send sequence space (RFC 9293 3.3.1). Data byte i of send_queue_ has sequence
  // number snd_una_ + i once the SYN is acknowledged.
  uint32_t iss_ = 0;
  uint32_t snd_una_ = 0;
  uint32_t snd_nxt_ = 0;
  uint32_t snd_max_ = 0;  // one past the highest sequence number ever sent
  uint64_t una64_ = 0;    // snd_una_ as a stream position
  uint32_t snd_wnd_ = 0;
  uint32_t max_snd_wnd_ = 0;
  uint32_t snd_wl1_ = 0;
  uint32_t snd_wl2_ = 0;
  uint8_t snd_wscale_ = 0;
  uint8_t rcv_wscale_ = 0;
  bool wscale_ok_ = false;
  bool sack_ok_ = false;
  uint32_t snd_mss_ = 536;
  uint32_t adv_mss_ = 536;  // what we told the peer
  // The largest transport segment (header + payload) the path carries.
  uint32_t max_l4_ = 576;
  ByteQueue send_queue_;
  bool fin_sent_ = false;
  uint32_t fin_seq_ = 0;
  bool more_pending_ = false;  // MSG_MORE on the last send

  // Congestion control and loss recovery.
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = 0x7fffffff;
  uint32_t dupacks_ = 0;
  bool in_recovery_ = false;
  uint32_t recover_ = 0;
  bool loss_state_ = false;  // after a timeout, until the lost data is recovered
  TcpFlight flight_;
  bool probe_sent_ = false;  // a tail loss probe is out, since the last new ACK
  kernel::Duration min_rtt_ = kernel::Duration::max();
  RttEstimator rtt_;
  bool rtt_timing_ = false;
  uint32_t rtt_seq_ = 0;
  kernel::Duration rtt_start_{0};
  int timeouts_ = 0;  // consecutive retransmission timeouts
  uint32_t total_retrans_ = 0;
  uint64_t bytes_acked_ = 0;
  uint64_t bytes_received_ = 0;
  uint32_t segs_out_ = 0;
  uint32_t segs_in_ = 0;

  // Receive sequence space.
  uint32_t irs_ = 0;
  uint32_t rcv_nxt_ = 0;
  uint32_t rcv_adv_ = 0;  // right edge of the window last advertised
  uint64_t rcv64_ = 0;    // rcv_nxt_ as a stream position
  uint32_t rcv_mss_ = 536;
  ByteQueue recv_queue_;
  Reassembly ooo_;
  bool fin_received_ = false;
  bool ack_pending_ = false;

  // Timers: one TimerQueue entry for the earliest of these deadlines.
  std::optional<kernel::Duration> rto_at_;
  std::optional<kernel::Duration> reorder_at_;  // RACK's reordering timer
  std::optional<kernel::Duration> probe_at_;    // the tail loss probe timer
  std::optional<kernel::Duration> persist_at_;
  std::optional<kernel::Duration> keepalive_at_;
  std::optional<kernel::Duration> close_at_;  // TIME_WAIT or an orphan's FIN_WAIT2
  int persist_backoff_ = 0;
  int keepalive_probes_ = 0;
  kernel::Duration last_received_{0};
  std::optional<uint64_t> timer_id_;
  kernel::Duration timer_at_{0};
};

}  // namespace ms::net
