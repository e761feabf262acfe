// TcpEndpoint: segment arrival (RFC 9293 3.10.7), with RFC 5961's reset and SYN checks and
// Linux's acceptance test.
#include <poll.h>

#include <algorithm>

#include "net/stack.h"
#include "net/tcp_endpoint.h"
#include "net/tcp_seq.h"

namespace ms::net {

using namespace tcp_flags;

bool TcpEndpoint::on_segment(const TcpHeader& h, const Payload& payload, const IpAddress& local,
                             const IpAddress& remote) {
  auto self = shared_from_this();
  ++segs_in_;
  last_received_ = stack_.clock().monotonic();
  keepalive_probes_ = 0;
  switch (state_) {
    case TcpState::kClosed:
      return true;
    case TcpState::kListen:
      listen_input(h, local, remote);
      return true;
    case TcpState::kSynSent:
      syn_sent_input(h, payload);
      return true;
    default:
      return synchronized_input(h, payload);
  }
}

void TcpEndpoint::listen_input(const TcpHeader& h, const IpAddress& local,
                               const IpAddress& remote) {
  if (h.has(kRst)) return;
  if (h.has(kAck) || !h.has(kSyn)) {
    // No connection for it: the stack answers with a reset.
    TcpHeader rst;
    rst.src_port = h.dst_port;
    rst.dst_port = h.src_port;
    rst.seq = h.ack;
    rst.flags = kRst;
    stack_.send_tcp({{local, h.dst_port}, {remote, h.src_port}}, rst, {});
    ++stack_.stats().tcp_resets_sent;
    return;
  }
  // A full accept queue drops the SYN; the client retransmits it later (Linux without
  // syncookies).
  if (accept_queue_full()) return;
  auto route = stack_.route(remote);
  if (!route) return;
  auto child = make_child(local, remote, h.dst_port, h.src_port);
  child->max_l4_ = static_cast<uint32_t>(max_transport_len(remote.version(), route->mtu));
  child->adv_mss_ = child->max_l4_ - static_cast<uint32_t>(TcpHeader::kMinSize);
  if (opts_.user_mss != 0) child->adv_mss_ = std::min(child->adv_mss_, opts_.user_mss);
  child->rcv_mss_ = child->adv_mss_;
  child->irs_ = h.seq;
  child->rcv_nxt_ = h.seq + 1;
  child->rcv64_ = 1;
  child->iss_ = stack_.new_isn();
  child->snd_una_ = child->snd_nxt_ = child->snd_max_ = child->iss_;
  child->una64_ = 0;
  child->apply_syn_options(h);
  child->set_state(TcpState::kSynReceived);
  stack_.add_connection(child->tuple_, child);
  child->in_connections_ = true;
  child->send_syn(true);
  child->arm_retransmit();
}

void TcpEndpoint::apply_syn_options(const TcpHeader& h) {
  const bool active = state_ == TcpState::kSynSent;
  const uint32_t peer_mss =
      h.options.mss != 0 ? h.options.mss : default_mss(tuple_.remote.ip.version());
  snd_mss_ = std::max<uint32_t>(std::min(peer_mss, adv_mss_), 64);
  if (opts_.user_mss != 0) snd_mss_ = std::min(snd_mss_, opts_.user_mss);
  if (h.options.window_scale >= 0) {
    wscale_ok_ = true;
    snd_wscale_ = static_cast<uint8_t>(h.options.window_scale);
    if (!active) {
      uint8_t scale = 0;
      while (scale < 14 && (receive_buffer_size() >> scale) > 65535)
        ++scale;
      rcv_wscale_ = scale;
    }
  } else {
    wscale_ok_ = false;
    snd_wscale_ = rcv_wscale_ = 0;
  }
  sack_ok_ = h.options.sack_permitted;
  snd_wnd_ = h.window;  // never scaled in a SYN
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  snd_wl1_ = h.seq;
  snd_wl2_ = h.ack;
}

void TcpEndpoint::syn_sent_input(const TcpHeader& h, const Payload& /*payload*/) {
  if (h.has(kAck) && (seq_le(h.ack, iss_) || seq_gt(h.ack, snd_max_))) {
    if (!h.has(kRst)) send_reset(h.ack);
    return;
  }
  if (h.has(kRst)) {
    if (h.has(kAck)) finish(ECONNREFUSED);
    return;
  }
  if (!h.has(kSyn)) return;
  irs_ = h.seq;
  rcv_nxt_ = h.seq + 1;
  rcv64_ = 1;
  // Our SYN's window edge was counted from nothing: count it from the peer's ISN now, or a
  // right edge half the sequence space away would refuse every byte the peer sends.
  rcv_adv_ = rcv_nxt_;
  apply_syn_options(h);
  if (h.has(kAck)) {
    snd_una_ = h.ack;
    una64_ = 1;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    if (rtt_timing_ && timeouts_ == 0) rtt_sample(stack_.clock().monotonic() - rtt_start_);
    rtt_timing_ = false;
    timeouts_ = 0;
    rtt_.reset_backoff();
    snd_wl1_ = h.seq;
    snd_wl2_ = h.ack;
    stop_retransmit();
    established();
    send_ack();
    return;
  }
  // Simultaneous open (RFC 9293 figure 8).
  set_state(TcpState::kSynReceived);
  send_syn(true);
}

void TcpEndpoint::established() {
  set_state(TcpState::kEstablished);
  cwnd_ = 10 * snd_mss_;  // RFC 6928
  arm_keepalive();
  notify(POLLOUT | POLLWRNORM);
}

bool TcpEndpoint::acceptable(const TcpHeader& h, size_t len) const {
  // Linux's tcp_sequence(): the segment must not end before the next expected byte nor start
  // beyond the window. Data past the window is trimmed later, so a zero-window probe is
  // acceptable and answered with the current window.
  const uint32_t wnd = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  const uint32_t end = h.seq + static_cast<uint32_t>(len);
  return seq_ge(end, rcv_nxt_) && seq_le(h.seq, rcv_nxt_ + wnd);
}

bool TcpEndpoint::synchronized_input(const TcpHeader& h, const Payload& payload) {
  const size_t len = payload.size() + (h.has(kSyn) ? 1 : 0) + (h.has(kFin) ? 1 : 0);

  // A new connection's SYN may take over a tuple in TIME_WAIT (RFC 6191's rule, without
  // timestamps): its sequence number must lie beyond the old connection's.
  if (state_ == TcpState::kTimeWait && h.has(kSyn) && !h.has(kAck) && !h.has(kRst)) {
    if (seq_gt(h.seq, rcv_nxt_)) {
      finish(0);
      return false;
    }
    send_ack();
    return true;
  }
  // Our SYN-ACK was lost and the peer sends its SYN again.
  if (state_ == TcpState::kSynReceived && h.has(kSyn) && !h.has(kAck) && h.seq == irs_) {
    send_syn(true);
    return true;
  }
  if (!acceptable(h, len)) {
    if (!h.has(kRst)) send_ack();
    return true;
  }
  if (h.has(kRst)) {
    // RFC 5961 3.2: only an exact match resets; one elsewhere in the window earns a
    // challenge ACK, so that a blind attacker must guess the sequence number exactly.
    if (h.seq == rcv_nxt_) {
      on_reset();
    } else {
      send_ack();
    }
    return true;
  }
  if (h.has(kSyn)) {
    send_ack();  // RFC 5961 4.2: challenge ACK
    return true;
  }
  if (!h.has(kAck)) return true;
  process_ack(h, payload.size());
  if (state_ == TcpState::kClosed || state_ == TcpState::kSynReceived) return true;
  if (!payload.empty() || h.has(kFin)) {
    switch (state_) {
      case TcpState::kEstablished:
      case TcpState::kFinWait1:
      case TcpState::kFinWait2:
        process_data(h, payload);
        break;
      case TcpState::kTimeWait:
        // A retransmitted FIN: acknowledge it and wait the full time again.
        close_at_ = stack_.clock().monotonic() + stack_.options().time_wait;
        update_timer();
        send_ack();
        break;
      default:
        // The peer already sent its FIN: this is a retransmission.
        send_ack();
        break;
    }
  }
  return true;
}

void TcpEndpoint::on_reset() {
  switch (state_) {
    case TcpState::kSynReceived:
      // Back to listening, for a passive open: the child just goes away.
      orphaned_ = true;
      finish(0);
      return;
    case TcpState::kCloseWait:
      // Linux reports EPIPE here: the application already saw the peer's FIN.
      finish(EPIPE);
      return;
    case TcpState::kClosing:
    case TcpState::kLastAck:
    case TcpState::kTimeWait:
      finish(0);
      return;
    default:
      finish(ECONNRESET);
      return;
  }
}

void TcpEndpoint::update_window(const TcpHeader& h) {
  if (seq_lt(snd_wl1_, h.seq) || (snd_wl1_ == h.seq && seq_le(snd_wl2_, h.ack))) {
    snd_wnd_ = static_cast<uint32_t>(h.window) << snd_wscale_;
    snd_wl1_ = h.seq;
    snd_wl2_ = h.ack;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    if (snd_wnd_ > 0) {
      persist_at_.reset();
      persist_backoff_ = 0;
    }
  }
}

bool TcpEndpoint::process_sack(const TcpHeader& h) {
  if (!sack_ok_) return false;
  const uint64_t before = flight_.delivered_bytes();
  const kernel::Duration now = stack_.clock().monotonic();
  for (size_t i = 0; i < h.options.sack_count; ++i) {
    const SackBlock& b = h.options.sack[i];
    if (!seq_lt(b.left, b.right)) continue;
    // Blocks must lie in what was sent and not yet cumulatively acknowledged (a D-SACK
    // below it says nothing new).
    if (seq_le(b.left, snd_una_) || seq_gt(b.right, snd_max_)) continue;
    flight_.sacked(pos_of(b.left), pos_of(b.right), now);
  }
  return flight_.delivered_bytes() != before;
}

void TcpEndpoint::process_ack(const TcpHeader& h, size_t payload_len) {
  if (state_ == TcpState::kSynReceived) {
    if (!seq_lt(snd_una_, h.ack) || !seq_le(h.ack, snd_max_)) {
      send_reset(h.ack);
      return;
    }
    auto listener = listener_.lock();
    // Linux drops the handshake's last ACK when the accept queue is full; the SYN-ACK is
    // retransmitted and the client's next ACK may find room.
    if (listener && listener->state_ == TcpState::kListen && listener->accept_queue_full()) {
      return;
    }
    snd_una_ = iss_ + 1;
    una64_ = 1;
    if (rtt_timing_ && timeouts_ == 0) rtt_sample(stack_.clock().monotonic() - rtt_start_);
    rtt_timing_ = false;
    timeouts_ = 0;
    rtt_.reset_backoff();
    stop_retransmit();
    snd_wnd_ = static_cast<uint32_t>(h.window) << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = h.seq;
    snd_wl2_ = h.ack;
    established();
    child_established(shared_from_this());
    if (state_ == TcpState::kClosed) return;
  }
  if (seq_gt(h.ack, snd_max_)) {
    send_ack();  // acknowledges something never sent
    return;
  }
  if (seq_lt(h.ack, snd_una_)) return;  // an old duplicate

  const bool new_sack = process_sack(h);
  const uint32_t old_wnd = snd_wnd_;
  update_window(h);
  const uint32_t acked = h.ack - snd_una_;
  const kernel::Duration now = stack_.clock().monotonic();
  bool partial_ack = false;

  if (acked > 0) {
    uint32_t data_acked = acked;
    const bool fin_acked = fin_sent_ && seq_gt(h.ack, fin_seq_);
    if (fin_acked) --data_acked;
    data_acked = std::min<uint32_t>(data_acked, static_cast<uint32_t>(send_queue_.size()));
    send_queue_.consume(data_acked);
    snd_una_ = h.ack;
    una64_ += acked;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    flight_.acked(una64_, now);
    bytes_acked_ += data_acked;
    if (rtt_timing_ && seq_ge(h.ack, rtt_seq_)) {
      rtt_sample(now - rtt_start_);
      rtt_timing_ = false;
    }
    timeouts_ = 0;
    rtt_.reset_backoff();
    persist_backoff_ = 0;
    probe_sent_ = false;

    if (in_recovery_) {
      if (seq_ge(h.ack, recover_)) {
        in_recovery_ = false;
        cwnd_ = ssthresh_;
      } else {
        partial_ack = true;
      }
    } else {
      if (loss_state_ && seq_ge(h.ack, recover_)) loss_state_ = false;
      // Slow start, then congestion avoidance (RFC 5681), by bytes acknowledged.
      if (cwnd_ < ssthresh_) {
        cwnd_ += std::min<uint32_t>(acked, 2 * snd_mss_ + acked / 2);
      } else {
        cwnd_ += std::max<uint32_t>(1, static_cast<uint32_t>(uint64_t{snd_mss_} * acked / cwnd_));
      }
      cwnd_ = std::min<uint32_t>(cwnd_, 1U << 30);
    }
    dupacks_ = 0;
    if (snd_una_ == snd_max_) {
      stop_retransmit();
      reorder_at_.reset();
    } else {
      rto_at_ = now + rtt_.rto();
      update_timer();
    }
    if (data_acked > 0 && (readiness() & POLLOUT) != 0) notify(POLLOUT | POLLWRNORM);

    if (fin_acked) {
      switch (state_) {
        case TcpState::kFinWait1:
          set_state(TcpState::kFinWait2);
          if (orphaned_) {
            close_at_ = now + stack_.options().time_wait;
            update_timer();
          }
          break;
        case TcpState::kClosing:
          enter_time_wait();
          return;
        case TcpState::kLastAck:
          finish(0);
          return;
        default:
          break;
      }
    }
  } else if (snd_una_ != snd_max_) {
    const bool pure = payload_len == 0 && !h.has(kFin) && !h.has(kSyn);
    if ((pure && snd_wnd_ == old_wnd) || new_sack) ++dupacks_;
  }
  if (snd_una_ != snd_max_) detect_losses(partial_ack);
  output();
}

void TcpEndpoint::process_data(const TcpHeader& h, const Payload& payload) {
  uint32_t seq = h.seq;
  Payload data = payload;
  bool fin = h.has(kFin);
  // Drop what was already received.
  if (seq_lt(seq, rcv_nxt_)) {
    const uint32_t old = rcv_nxt_ - seq;
    if (old > data.size()) {
      data = {};
      fin = false;  // the FIN was old too (it sits right after the data)
    } else {
      data = data.sub(old, data.size() - old);
    }
    seq = rcv_nxt_;
  }
  // Trim to the window offered.
  const uint32_t room = seq_gt(rcv_adv_, seq) ? rcv_adv_ - seq : 0;
  if (data.size() > room) {
    data = data.sub(0, room);
    fin = false;
  }
  if (data.empty() && !fin) {
    send_ack();  // a duplicate, or beyond the window: tell the peer where we are
    return;
  }
  // Data that arrives after the application closed the socket cannot be delivered: Linux
  // resets the connection.
  if (orphaned_ && !data.empty()) {
    send_reset(snd_max_);
    finish(0);
    return;
  }
  if (seq != rcv_nxt_) {
    ooo_.insert(seq_to_pos(seq, rcv_nxt_, rcv64_), data, fin);
    send_ack();  // an immediate duplicate ACK, with SACK blocks, drives fast retransmit
    return;
  }
  const bool had_holes = !ooo_.empty();
  recv_queue_.append(data);
  rcv_nxt_ += static_cast<uint32_t>(data.size());
  rcv64_ += data.size();
  bytes_received_ += data.size();
  if (had_holes) {
    uint64_t next = rcv64_;
    fin |= ooo_.pop_contiguous(next, recv_queue_);
    const uint64_t filled = next - rcv64_;
    rcv_nxt_ += static_cast<uint32_t>(filled);
    rcv64_ = next;
    bytes_received_ += filled;
  }
  if (!recv_queue_.empty()) notify(POLLIN | POLLRDNORM);
  if (fin) {
    process_fin();
    return;
  }
  if (had_holes) {
    send_ack();
  } else if (!ack_pending_) {
    ack_pending_ = true;
    stack_.want_ack(shared_from_this());
  }
}

void TcpEndpoint::process_fin() {
  rcv_nxt_ += 1;
  rcv64_ += 1;
  fin_received_ = true;
  shut_rd_ = true;
  switch (state_) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      set_state(TcpState::kCloseWait);
      break;
    case TcpState::kFinWait1:
      set_state(TcpState::kClosing);
      break;
    case TcpState::kFinWait2:
      send_ack();
      enter_time_wait();
      notify(POLLIN | POLLRDNORM | POLLRDHUP);
      return;
    default:
      break;
  }
  send_ack();
  notify(POLLIN | POLLRDNORM | POLLRDHUP | (shut_wr_ ? POLLHUP : 0));
}

}  // namespace ms::net
