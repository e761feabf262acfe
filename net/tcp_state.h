// The TCP connection states (RFC 9293 3.3.2), numbered as Linux numbers them, because
// /proc/net/tcp and TCP_INFO show those numbers.
#pragma once

#include <cstdint>
#include <string_view>

namespace ms::net {

enum class TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynReceived = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClosed = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};

std::string_view tcp_state_name(TcpState s);

// States in which both sides' initial sequence numbers are known.
inline bool tcp_synchronized(TcpState s) {
  return s != TcpState::kClosed && s != TcpState::kListen && s != TcpState::kSynSent;
}

}  // namespace ms::net
