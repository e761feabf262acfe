// struct tcp_info as Linux's UAPI (<linux/tcp.h>) lays it out. glibc's <netinet/tcp.h> has
// an older, shorter version and the two headers cannot be included together.
#pragma once

#include <cstdint>

namespace ms::net {

struct LinuxTcpInfo {
  uint8_t state;
  uint8_t ca_state;
  uint8_t retransmits;
  uint8_t probes;
  uint8_t backoff;
  uint8_t options;
  uint8_t wscale;  // snd_wscale : 4, rcv_wscale : 4
  uint8_t app_limited;
  uint32_t rto;
  uint32_t ato;
  uint32_t snd_mss;
  uint32_t rcv_mss;
  uint32_t unacked;
  uint32_t sacked;
  uint32_t lost;
  uint32_t retrans;
  uint32_t fackets;
  uint32_t last_data_sent;
  uint32_t last_ack_sent;
  uint32_t last_data_recv;
  uint32_t last_ack_recv;
  uint32_t pmtu;
  uint32_t rcv_ssthresh;
  uint32_t rtt;
  uint32_t rttvar;
  uint32_t snd_ssthresh;
  uint32_t snd_cwnd;
  uint32_t advmss;
  uint32_t reordering;
  uint32_t rcv_rtt;
  uint32_t rcv_space;
  uint32_t total_retrans;
  uint64_t pacing_rate;
  uint64_t max_pacing_rate;
  uint64_t bytes_acked;
  uint64_t bytes_received;
  uint32_t segs_out;
  uint32_t segs_in;
  uint32_t notsent_bytes;
  uint32_t min_rtt;
  uint32_t data_segs_in;
  uint32_t data_segs_out;
  uint64_t delivery_rate;
  uint64_t busy_time;
  uint64_t rwnd_limited;
  uint64_t sndbuf_limited;
  uint32_t delivered;
  uint32_t delivered_ce;
  uint64_t bytes_sent;
  uint64_t bytes_retrans;
  uint32_t dsack_dups;
  uint32_t reord_seen;
  uint32_t rcv_ooopack;
  uint32_t snd_wnd;
};
static_assert(sizeof(LinuxTcpInfo) == 232);

}  // namespace ms::net
