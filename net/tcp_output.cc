// TcpEndpoint: sending (Nagle, sender and receiver silly-window avoidance, congestion
// window), retransmission (timeout with backoff, SACK-driven fast recovery), zero-window
// probes, keepalive, and the endpoint's one timer.
#include <poll.h>

#include <algorithm>

#include "net/stack.h"
#include "net/tcp_endpoint.h"
#include "net/tcp_seq.h"

namespace ms::net {

using namespace tcp_flags;

namespace {

// Linux's tcp_syn_retries, tcp_synack_retries and tcp_retries2.
constexpr int kSynRetries = 6;
constexpr int kSynAckRetries = 5;
constexpr int kDataRetries = 15;

}  // namespace

uint64_t TcpEndpoint::pos_of(uint32_t seq) const {
  return seq_to_pos(seq, snd_una_, una64_);
}

uint32_t TcpEndpoint::seq_of(uint64_t pos) const {
  return snd_una_ + static_cast<uint32_t>(pos - una64_);
}

uint64_t TcpEndpoint::pipe() const {
  return flight_.pipe();
}

bool TcpEndpoint::seq_le_fin() const {
  return seq_le(snd_una_, fin_seq_);
}

kernel::Duration TcpEndpoint::reordering_window() const {
  // RFC 8985's min_rtt / 4, but at least 1 ms: the simulated link reorders by holding
  // packets back a few hundred microseconds, longer than a loopback round trip.
  constexpr kernel::Duration kFloor = std::chrono::milliseconds(1);
  if (min_rtt_ == kernel::Duration::max()) return kFloor;
  return std::max(min_rtt_ / 4, kFloor);
}

void TcpEndpoint::rtt_sample(kernel::Duration rtt) {
  rtt_.sample(rtt);
  min_rtt_ = std::min(min_rtt_, rtt);
}

uint32_t TcpEndpoint::current_mss() const {
  if (!sack_ok_ || ooo_.empty()) return snd_mss_;
  // NOP NOP kind length + up to 4 blocks of 8 bytes.
  constexpr uint32_t kSackOptionSpace = 4 + 4 * 8;
  return std::max<uint32_t>(snd_mss_ - std::min(snd_mss_ / 2, kSackOptionSpace), 1);
}

uint32_t TcpEndpoint::receive_space() const {
  const size_t buffer = receive_buffer_size();
  const size_t used = recv_queue_.size() + ooo_.bytes();
  return used >= buffer ? 0 : static_cast<uint32_t>(buffer - used);
}

uint16_t TcpEndpoint::advertise_window() {
  const uint32_t space = receive_space();
  const uint32_t current = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  // Receiver silly-window avoidance (RFC 9293 3.8.6.2.2): move the right edge only by a
  // worthwhile amount.
  const uint32_t threshold = std::min<uint32_t>(receive_buffer_size() / 2, rcv_mss_);
  uint32_t wnd = current;
  if (space > current && space - current >= threshold) wnd = space;
  if (space >= current && current < threshold && space >= threshold) wnd = space;
  wnd = std::min<uint32_t>(wnd, 65535U << rcv_wscale_);
  const uint32_t field = wnd >> rcv_wscale_;
  const uint32_t edge = rcv_nxt_ + (field << rcv_wscale_);
  if (seq_gt(edge, rcv_adv_)) rcv_adv_ = edge;
  return static_cast<uint16_t>(field);
}

void TcpEndpoint::maybe_window_update() {
  if (!tcp_synchronized(state_) || fin_received_ || state_ == TcpState::kTimeWait) return;
  const uint32_t current = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  const uint32_t space = receive_space();
  const uint32_t threshold = std::min<uint32_t>(receive_buffer_size() / 2, rcv_mss_);
  // As tcp_cleanup_rbuf: tell the peer once the window could at least double.
  if (space >= threshold && space >= 2 * current) send_ack();
}

void TcpEndpoint::send_segment(uint32_t seq, uint8_t flags, const Payload& payload) {
  TcpHeader h;
  h.src_port = tuple_.local.port;
  h.dst_port = tuple_.remote.port;
  h.seq = seq;
  h.flags = flags;
  if ((flags & kAck) != 0) {
    h.ack = rcv_nxt_;
    ack_pending_ = false;
  }
  h.window = advertise_window();
  if (sack_ok_ && !ooo_.empty()) {
    const auto ranges = ooo_.sack_ranges(h.options.sack.size());
    for (const auto& r : ranges) {
      h.options.sack[h.options.sack_count++] = {rcv_nxt_ + static_cast<uint32_t>(r.begin - rcv64_),
                                                rcv_nxt_ + static_cast<uint32_t>(r.end - rcv64_)};
    }
    // Options never push a segment past what one packet holds.
    while (h.options.sack_count > 0 && h.size() + payload.size() > max_l4_)
      --h.options.sack_count;
  }
  ++segs_out_;
  stack_.send_tcp(tuple_, h, payload);
}

void TcpEndpoint::send_syn(bool with_ack) {
  TcpHeader h;
  h.src_port = tuple_.local.port;
  h.dst_port = tuple_.remote.port;
  h.seq = iss_;
  h.flags = kSyn;
  if (with_ack) {
    h.flags |= kAck;
    h.ack = rcv_nxt_;
  }
  const uint32_t window = std::min<uint32_t>(receive_space(), 65535);
  h.window = static_cast<uint16_t>(window);
  rcv_adv_ = rcv_nxt_ + window;
  h.options.mss = static_cast<uint16_t>(std::min<uint32_t>(adv_mss_, 65535));
  // A SYN offers window scaling and SACK; a SYN-ACK accepts what the SYN offered.
  if (!with_ack || wscale_ok_) h.options.window_scale = static_cast<int8_t>(rcv_wscale_);
  h.options.sack_permitted = !with_ack || sack_ok_;
  snd_nxt_ = iss_ + 1;
  if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
  if (timeouts_ == 0 && !rtt_timing_) {
    rtt_timing_ = true;
    rtt_seq_ = snd_nxt_;
    rtt_start_ = stack_.clock().monotonic();
  }
  ++segs_out_;
  stack_.send_tcp(tuple_, h, {});
}

void TcpEndpoint::send_ack() {
  if (!tcp_synchronized(state_)) return;
  // Linux's tcp_acceptable_seq(): a pure ACK carries the highest sequence number sent, so
  // that it stays acceptable to the peer even while we resend older data.
  send_segment(snd_max_, kAck, {});
}

void TcpEndpoint::flush_ack() {
  if (ack_pending_) send_ack();
}

void TcpEndpoint::send_reset(uint32_t seq) {
  TcpHeader h;
  h.src_port = tuple_.local.port;
  h.dst_port = tuple_.remote.port;
  h.seq = seq;
  h.flags = kRst | kAck;
  h.ack = rcv_nxt_;
  ++segs_out_;
  ++stack_.stats().tcp_resets_sent;
  stack_.send_tcp(tuple_, h, {});
}

void TcpEndpoint::output(bool force) {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      break;
    default:
      return;
  }
  const uint64_t data_end = data_end_pos();
  const kernel::Duration now = stack_.clock().monotonic();
  // Lost segments go first (RFC 6675's NextSeg), as the congestion window allows; `force`
  // (after a timeout, or entering recovery) sends the first regardless.
  uint64_t from = una64_;
  while (auto lost = flight_.next_lost(from)) {
    if (!force && pipe() >= cwnd_) return;
    const uint64_t end = std::min<uint64_t>(lost->second, lost->first + current_mss());
    resend(lost->first, end);
    from = end;
    if (force) return;
  }
  for (;;) {
    const uint64_t nxt = pos_of(snd_nxt_);
    if (nxt > data_end) break;  // everything, FIN included, is out
    const uint64_t avail = data_end - nxt;
    const uint32_t mss = current_mss();
    uint64_t len = std::min<uint64_t>(avail, mss);
    // New data stays within the peer's window.
    const uint64_t limit = una64_ + snd_wnd_;
    len = nxt + len > limit ? (limit > nxt ? limit - nxt : 0) : len;
    const bool fin = shut_wr_ && nxt + len == data_end;
    if (len == 0 && !fin) break;
    if (!force && len > 0 && pipe() >= cwnd_) break;
    if (!force && len > 0 && len < mss && !fin) {
      // Nagle (RFC 896) and sender silly-window avoidance: a small segment goes out only when
      // it carries everything queued and nothing is unacknowledged (or TCP_NODELAY), or
      // when it fills half the largest window the peer ever offered.
      const bool all_queued = nxt + len == data_end;
      const bool idle = snd_una_ == snd_max_;
      const bool corked = opts_.cork || more_pending_;
      const bool send_now = (all_queued && (opts_.nodelay || idle) && !corked) ||
                            (max_snd_wnd_ > 0 && len >= max_snd_wnd_ / 2);
      if (!send_now) break;
    }
    uint8_t flags = kAck;
    if (len > 0 && nxt + len == data_end) flags |= kPsh;
    if (fin) flags |= kFin;
    send_segment(snd_nxt_, flags, send_queue_.share(nxt - una64_, len));
    if (len > 0) flight_.sent(nxt, nxt + len, now, false);
    if (fin) {
      fin_sent_ = true;
      fin_seq_ = seq_of(data_end);
    }
    const uint32_t end_seq = snd_nxt_ + static_cast<uint32_t>(len) + (fin ? 1 : 0);
    if (!rtt_timing_) {
      rtt_timing_ = true;
      rtt_seq_ = end_seq;
      rtt_start_ = now;
    }
    snd_nxt_ = end_seq;
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    arm_retransmit();
    if (fin || force) break;
  }
  // Data waits, nothing is in flight to bring an ACK, and the window is too small: probe.
  if (snd_una_ == snd_max_ && pos_of(snd_nxt_) < data_end) arm_persist();
  arm_tail_probe();
}

void TcpEndpoint::resend(uint64_t begin, uint64_t end) {
  const uint64_t data_end = data_end_pos();
  end = std::min(end, data_end);
  if (begin >= end) return;
  uint8_t flags = kAck;
  // The FIN sits right after the last byte and goes again with it.
  if (fin_sent_ && end == data_end) flags |= kFin;
  send_segment(seq_of(begin), flags, send_queue_.share(begin - una64_, end - begin));
  flight_.sent(begin, end, stack_.clock().monotonic(), true);
  ++total_retrans_;
  ++stack_.stats().tcp_retransmits;
  rtt_timing_ = false;  // Karn: no samples across a retransmission
  arm_retransmit();
}

void TcpEndpoint::resend_fin() {
  send_segment(fin_seq_, kAck | kFin, {});
  ++total_retrans_;
  ++stack_.stats().tcp_retransmits;
  rtt_timing_ = false;
  arm_retransmit();
}

void TcpEndpoint::detect_losses(bool partial_ack) {
  const kernel::Duration now = stack_.clock().monotonic();
  if (!sack_ok_) {
    // Without SACK, NewReno (RFC 6582): three duplicate ACKs, or a partial ACK in recovery,
    // mean the first unacknowledged segment is lost.
    if ((dupacks_ == 3 && !in_recovery_) || (in_recovery_ && partial_ack)) {
      flight_.mark_first_lost();
    }
  } else {
    reorder_at_ = flight_.detect_losses(now, reordering_window());
    update_timer();
  }
  if (flight_.has_lost() && !in_recovery_ && !loss_state_) enter_recovery();
}

void TcpEndpoint::enter_recovery() {
  ++stack_.stats().tcp_fast_recoveries;
  in_recovery_ = true;
  recover_ = snd_max_;
  // RFC 5681: half the data in flight, at least two segments.
  ssthresh_ = static_cast<uint32_t>(std::max<uint64_t>((snd_max_ - snd_una_) / 2, 2ULL * snd_mss_));
  cwnd_ = ssthresh_;
  rtt_timing_ = false;
  probe_sent_ = false;
  probe_at_.reset();
  output(/*force=*/true);  // the first lost segment goes at once
}

// --- Timers ---------------------------------------------------------------------------

void TcpEndpoint::arm_retransmit() {
  if (rto_at_) return;
  rto_at_ = stack_.clock().monotonic() + rtt_.rto();
  update_timer();
}

void TcpEndpoint::stop_retransmit() {
  rto_at_.reset();
}

void TcpEndpoint::arm_persist() {
  if (persist_at_) return;
  kernel::Duration d = rtt_.rto();
  for (int i = 0; i < persist_backoff_ && d < RttEstimator::kMaxRto; ++i)
    d *= 2;
  persist_at_ = stack_.clock().monotonic() + std::min(d, RttEstimator::kMaxRto);
  update_timer();
}

void TcpEndpoint::arm_keepalive() {
  if (!opts_.keepalive || !tcp_synchronized(state_) || state_ == TcpState::kTimeWait) {
    keepalive_at_.reset();
    return;
  }
  keepalive_at_ = last_received_ + std::chrono::seconds(opts_.keepidle_s);
  update_timer();
}

void TcpEndpoint::update_timer() {
  std::optional<kernel::Duration> next;
  for (const auto& d : {rto_at_, reorder_at_, probe_at_, persist_at_, keepalive_at_, close_at_}) {
    if (d && (!next || *d < *next)) next = d;
  }
  if (!next) return;  // a pending timer fires, finds nothing due and lapses
  if (timer_id_ && timer_at_ <= *next) return;
  if (timer_id_) stack_.timers().cancel(*timer_id_);
  timer_at_ = *next;
  timer_id_ = stack_.timers().schedule(*next, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->on_timer();
  });
}

void TcpEndpoint::on_timer() {
  auto self = shared_from_this();
  timer_id_.reset();
  const kernel::Duration now = stack_.clock().monotonic();
  if (rto_at_ && *rto_at_ <= now) {
    rto_at_.reset();
    retransmit_timeout();
  }
  if (reorder_at_ && *reorder_at_ <= now) {
    reorder_at_.reset();
    if (tcp_synchronized(state_)) {
      detect_losses();
      output();
    }
  }
  if (probe_at_ && *probe_at_ <= now) {
    probe_at_.reset();
    tail_probe_timeout();
  }
  if (persist_at_ && *persist_at_ <= now) {
    persist_at_.reset();
    persist_timeout();
  }
  if (keepalive_at_ && *keepalive_at_ <= now) {
    keepalive_at_.reset();
    keepalive_timeout();
  }
  if (close_at_ && *close_at_ <= now) {
    close_at_.reset();
    orphaned_ = orphaned_ || state_ == TcpState::kTimeWait;
    finish(0);
  }
  update_timer();
  stack_.drain();
}

void TcpEndpoint::retransmit_timeout() {
  switch (state_) {
    case TcpState::kSynSent:
      if (++timeouts_ > kSynRetries) {
        finish(ETIMEDOUT);
        return;
      }
      rtt_.backoff();
      rtt_timing_ = false;
      send_syn(false);
      arm_retransmit();
      return;
    case TcpState::kSynReceived:
      if (++timeouts_ > kSynAckRetries) {
        orphaned_ = true;
        finish(0);
        return;
      }
      rtt_.backoff();
      rtt_timing_ = false;
      send_syn(true);
      arm_retransmit();
      return;
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      break;
    default:
      return;
  }
  if (snd_una_ == snd_max_) return;
  ++stack_.stats().tcp_timeouts;
  if (++timeouts_ > kDataRetries) {
    send_reset(snd_max_);
    finish(ETIMEDOUT);
    return;
  }
  // RFC 5681 3.1 and RFC 6298 5.5-5.7: halve ssthresh on the first timeout, restart from one
  // segment, back off the timer, and resend what the receiver did not report holding.
  if (timeouts_ == 1) {
    ssthresh_ =
        static_cast<uint32_t>(std::max<uint64_t>((snd_max_ - snd_una_) / 2, 2ULL * snd_mss_));
  }
  cwnd_ = snd_mss_;
  in_recovery_ = false;
  loss_state_ = true;
  recover_ = snd_max_;
  dupacks_ = 0;
  rtt_timing_ = false;
  probe_at_.reset();
  reorder_at_.reset();
  rtt_.backoff();
  flight_.mark_all_lost();
  if (flight_.empty() && fin_outstanding()) {
    resend_fin();
  } else {
    output(/*force=*/true);
  }
  arm_retransmit();
}

void TcpEndpoint::arm_tail_probe() {
  // RFC 8985 7: with data in flight and no loss being repaired, probe the tail after two
  // round trips, so that a lost last segment is found by SACK instead of the slow timer.
  if (!sack_ok_ || in_recovery_ || loss_state_ || probe_sent_ || snd_una_ == snd_max_ ||
      !rtt_.srtt() || !tcp_synchronized(state_)) {
    probe_at_.reset();
    return;
  }
  const kernel::Duration pto =
      std::max<kernel::Duration>(2 * *rtt_.srtt(), std::chrono::milliseconds(10));
  const kernel::Duration at = stack_.clock().monotonic() + pto;
  if (rto_at_ && at >= *rto_at_) {
    probe_at_.reset();
    return;
  }
  probe_at_ = at;
  update_timer();
}

void TcpEndpoint::tail_probe_timeout() {
  if (!tcp_synchronized(state_) || in_recovery_ || loss_state_ || snd_una_ == snd_max_) return;
  probe_sent_ = true;
  const uint64_t nxt = pos_of(snd_nxt_);
  if (nxt < data_end_pos() && nxt < una64_ + snd_wnd_) {
    output(/*force=*/true);  // new data makes the best probe
  } else if (auto last = flight_.last()) {
    const uint64_t begin = last->second - std::min<uint64_t>(last->second - last->first, snd_mss_);
    resend(begin, last->second);
  } else if (fin_outstanding()) {
    resend_fin();
  }
  rto_at_ = stack_.clock().monotonic() + rtt_.rto();
  update_timer();
}

void TcpEndpoint::persist_timeout() {
  if (!tcp_synchronized(state_) || snd_una_ != snd_max_ || pos_of(snd_nxt_) >= data_end_pos()) {
    persist_backoff_ = 0;
    return;
  }
  if (snd_wnd_ > 0) {
    output(true);  // some window: send what fits, small or not
  } else {
    // Linux's zero-window probe: an old sequence number, which the peer answers with an ACK
    // carrying its current window.
    send_segment(snd_una_ - 1, kAck, {});
  }
  ++persist_backoff_;
  if (snd_una_ == snd_max_) arm_persist();
}

void TcpEndpoint::keepalive_timeout() {
  if (!opts_.keepalive || !tcp_synchronized(state_) || state_ == TcpState::kTimeWait) return;
  const kernel::Duration now = stack_.clock().monotonic();
  const kernel::Duration idle_limit = std::chrono::seconds(opts_.keepidle_s);
  if (now - last_received_ < idle_limit) {
    keepalive_at_ = last_received_ + idle_limit;
    return;
  }
  if (keepalive_probes_ >= opts_.keepcnt) {
    send_reset(snd_max_);
    finish(ETIMEDOUT);
    return;
  }
  ++keepalive_probes_;
  send_segment(snd_una_ - 1, kAck, {});
  keepalive_at_ = now + std::chrono::seconds(opts_.keepintvl_s);
}

}  // namespace ms::net
