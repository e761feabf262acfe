// A SOCK_STREAM socket of AF_INET or AF_INET6 on the sandbox's stack: socket(7) semantics
// (connect states, SO_ERROR, shutdown, options, TCP_INFO) over a TcpEndpoint.
#pragma once

#include <memory>

#include "net/inet_socket.h"
#include "net/tcp_endpoint.h"

namespace ms::net {

class TcpSocket final : public InetSocket {
 public:
  TcpSocket(Stack& stack, int family, int flags);
  // A connection accepted on a listener.
  TcpSocket(Stack& stack, int family, int flags, std::shared_ptr<TcpEndpoint> accepted,
            uint32_t sndbuf_reported, uint32_t rcvbuf_reported);
  ~TcpSocket() override;

  Result<void> bind(const SockAddr& addr, const SocketCaller& caller) override;
  Result<void> listen(int backlog, const SocketCaller& caller) override;
  Result<std::shared_ptr<Socket>> accept(int flags) override;
  Result<void> connect(const SockAddr& addr, const SocketCaller& caller) override;
  Result<void> finish_connect() override;
  Result<size_t> send(std::span<const std::byte> data, SendOptions& opts) override;
  Result<RecvResult> recv(std::span<std::byte> dst, int flags) override;
  Result<void> shutdown(int how) override;
  Result<SockAddr> local_name() override;
  Result<SockAddr> peer_name() override;
  Result<void> setsockopt(int level, int name, std::span<const std::byte> value,
                          const SocketCaller& caller) override;
  Result<std::vector<std::byte>> getsockopt(int level, int name) override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;

  uint32_t readiness() override { return ep_->readiness(); }
  kernel::WaitQueue* wait_queue() override { return &ep_->wait_queue(); }
  size_t readable_bytes() const override { return ep_->readable_bytes(); }
  bool read_finished() const override;

  TcpEndpoint& endpoint() { return *ep_; }

 private:
  // socket(7)'s view of the connection, as Linux's sock->state.
  enum class SockState : uint8_t { kUnconnected, kConnecting, kConnected };

  // tcp_disconnect(): back to a fresh, unconnected socket that keeps its options and any
  // address bind() gave it.
  void disconnect();

  std::shared_ptr<TcpEndpoint> ep_;
  SockState sock_state_ = SockState::kUnconnected;
  // SO_SNDBUF / SO_RCVBUF as getsockopt reports them (Linux's doubled values).
  uint32_t sndbuf_reported_;
  uint32_t rcvbuf_reported_;
};

}  // namespace ms::net
