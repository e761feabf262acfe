// A SOCK_DGRAM socket of AF_INET or AF_INET6 on the sandbox's stack.
#pragma once

#include "net/inet_socket.h"
#include "net/udp_endpoint.h"

namespace ms::net {

class UdpSocket final : public InetSocket {
 public:
  UdpSocket(Stack& stack, int family, int flags);

  Result<void> bind(const SockAddr& addr, const SocketCaller& caller) override;
  Result<void> connect(const SockAddr& addr, const SocketCaller& caller) override;
  Result<size_t> send(std::span<const std::byte> data, SendOptions& opts) override;
  Result<RecvResult> recv(std::span<std::byte> dst, int flags) override;
  Result<void> shutdown(int how) override;
  Result<SockAddr> local_name() override;
  Result<SockAddr> peer_name() override;
  Result<void> setsockopt(int level, int name, std::span<const std::byte> value,
                          const SocketCaller& caller) override;
  Result<std::vector<std::byte>> getsockopt(int level, int name) override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;

  uint32_t readiness() override { return ep_.readiness(); }
  kernel::WaitQueue* wait_queue() override { return &ep_.wait_queue(); }

 private:
  UdpEndpoint ep_;
  uint32_t sndbuf_reported_;
  uint32_t rcvbuf_reported_;
};

}  // namespace ms::net
