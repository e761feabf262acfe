// --net=host: an AF_INET/AF_INET6 socket that is a host socket the sentry owns, as gVisor's
// hostinet. The host does the networking; the sentry keeps the guest's view honest: the
// descriptor is non-blocking and private to the sentry (blocking, timeouts and SIGPIPE are
// the syscall layer's), privileged ports need a privileged guest, and only options and ioctls
// on an allowlist reach the host.
#pragma once

#include <memory>

#include "base/unique_fd.h"
#include "net/socket.h"
#include "sentry/kernel/host_fd_watch.h"
#include "sentry/kernel/host_poller.h"

namespace ms::net {

class HostSocket final : public Socket {
 public:
  // socket(2) on the host, non-blocking and close-on-exec.
  static Result<std::shared_ptr<HostSocket>> create(kernel::HostPoller& poller, int family,
                                                    int type, int protocol, int flags);
  HostSocket(UniqueFd fd, kernel::HostPoller& poller, int family, int type, int protocol,
             int flags);
  ~HostSocket() override;

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

  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override { return &queue_; }
  size_t readable_bytes() const override;
  bool read_finished() const override;

 private:
  static void on_wait(void* self, uint32_t events);
  Result<void> check_address(const SockAddr& addr) const;

  UniqueFd fd_;
  kernel::HostPoller& poller_;
  kernel::WaitQueue queue_;
  kernel::HostFdWatch watch_;
  bool connecting_ = false;
  // SO_LINGER with a timeout would make the sentry's close() wait: it is kept here only.
  std::optional<linger> linger_;
};

}  // namespace ms::net
