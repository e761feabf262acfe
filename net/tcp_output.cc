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
  const uint64_t nxt = pos_of(snd_nxt_);
  const uint64_t out = nxt - una64_;
  const uint64_t sacked = scoreboard_.sacked_below(nxt);
  return out > sacked ? out - sacked : 0;
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
  for (;;) {
    uint64_t nxt = pos_of(snd_nxt_);
    const bool retransmission = seq_lt(snd_nxt_, snd_max_);
    if (retransmission && sack_ok_) {
      const uint64_t skip = std::min(scoreboard_.skip_sacked(nxt), data_end);
      if (skip != nxt) {
        snd_nxt_ = seq_of(skip);
        continue;
      }
    }
    if (nxt > data_end) break;  // everything, FIN included, is out
    const uint64_t avail = data_end - nxt;
    const uint32_t mss = current_mss();
    uint64_t len = std::min<uint64_t>(avail, mss);
    // New data stays within the peer's window; data sent before may be sent again.
    uint64_t limit = una64_ + snd_wnd_;
    if (retransmission) limit = std::max(limit, pos_of(snd_max_));
    len = nxt + len > limit ? (limit > nxt ? limit - nxt : 0) : len;
    if (retransmission && sack_ok_) len = std::min(len, scoreboard_.next_sacked(nxt) - nxt);
    const bool fin = shut_wr_ && nxt + len == data_end;
    if (len == 0 && !fin) break;
    if (!force && len > 0 && pipe() >= cwnd_) break;
    if (!retransmission && !force && len > 0 && len < mss && !fin) {
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
    if (fin) {
      fin_sent_ = true;
      fin_seq_ = seq_of(data_end);
    }
    const uint32_t end_seq = snd_nxt_ + static_cast<uint32_t>(len) + (fin ? 1 : 0);
    if (retransmission) {
      ++total_retrans_;
      ++stack_.stats().tcp_retransmits;
      rtt_timing_ = false;  // Karn: no samples across a retransmission
    } else if (!rtt_timing_) {
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
}

void TcpEndpoint::retransmit_range(uint64_t begin, uint64_t end) {
  const uint64_t data_end = data_end_pos();
  end = std::min(end, data_end);
  const uint32_t mss = current_mss();
  while (begin < end) {
    const uint64_t len = std::min<uint64_t>(end - begin, mss);
    const bool fin = shut_wr_ && fin_sent_ && begin + len == data_end;
    uint8_t flags = kAck;
    if (fin) flags |= kFin;
    send_segment(seq_of(begin), flags, send_queue_.share(begin - una64_, len));
    ++total_retrans_;
    ++stack_.stats().tcp_retransmits;
    begin += len;
  }
  rtt_timing_ = false;
  arm_retransmit();
}

void TcpEndpoint::retransmit_lost() {
  if (!sack_ok_ || scoreboard_.empty()) {
    // NewReno (RFC 6582): resend the first unacknowledged segment once per partial ACK.
    if (retx_next_ <= una64_) {
      const uint64_t end = std::min<uint64_t>(una64_ + snd_mss_, data_end_pos());
      if (end > una64_) {
        retransmit_range(una64_, end);
      } else if (fin_sent_ && snd_una_ == fin_seq_) {
        send_segment(fin_seq_, kAck | kFin, {});
        ++total_retrans_;
      }
      retx_next_ = std::max<uint64_t>(end, una64_ + 1);
    }
    return;
  }
  // SACK (RFC 6675, simplified): every hole below the highest byte the receiver holds is
  // lost; each is resent once per recovery.
  uint64_t pos = std::max(retx_next_, una64_);
  const uint64_t high = scoreboard_.highest();
  while (pos < high) {
    pos = scoreboard_.skip_sacked(pos);
    if (pos >= high) break;
    const uint64_t hole_end = std::min(scoreboard_.next_sacked(pos), high);
    retransmit_range(pos, hole_end);
    pos = hole_end;
  }
  retx_next_ = std::max(retx_next_, pos);
}

void TcpEndpoint::enter_recovery() {
  in_recovery_ = true;
  recover_ = snd_max_;
  ssthresh_ = static_cast<uint32_t>(std::max<uint64_t>(pipe() / 2, 2ULL * snd_mss_));
  cwnd_ = ssthresh_;
  retx_next_ = una64_;
  rtt_timing_ = false;
  retransmit_lost();
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
  for (const auto& d : {rto_at_, persist_at_, keepalive_at_, close_at_}) {
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
  if (++timeouts_ > kDataRetries) {
    send_reset(snd_max_);
    finish(ETIMEDOUT);
    return;
  }
  // RFC 5681 3.1 and RFC 6298 5.5-5.7: halve ssthresh on the first timeout, restart from one
  // segment, back off the timer and resend from the first unacknowledged byte (skipping what
  // the receiver reported holding).
  if (timeouts_ == 1) {
    ssthresh_ = static_cast<uint32_t>(std::max<uint64_t>(pipe() / 2, 2ULL * snd_mss_));
  }
  cwnd_ = snd_mss_;
  in_recovery_ = false;
  loss_state_ = true;
  recover_ = snd_max_;
  dupacks_ = 0;
  rtt_timing_ = false;
  rtt_.backoff();
  snd_nxt_ = snd_una_;
  output(true);
  arm_retransmit();
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
