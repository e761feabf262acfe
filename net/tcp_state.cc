#include "net/tcp_state.h"

namespace ms::net {

std::string_view tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
      return "ESTABLISHED";
    case TcpState::kSynSent:
      return "SYN_SENT";
    case TcpState::kSynReceived:
      return "SYN_RECV";
    case TcpState::kFinWait1:
      return "FIN_WAIT1";
    case TcpState::kFinWait2:
      return "FIN_WAIT2";
    case TcpState::kTimeWait:
      return "TIME_WAIT";
    case TcpState::kClosed:
      return "CLOSE";
    case TcpState::kCloseWait:
      return "CLOSE_WAIT";
    case TcpState::kLastAck:
      return "LAST_ACK";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kClosing:
      return "CLOSING";
  }
  return "?";
}

}  // namespace ms::net
