// An AF_UNIX socket (unix(7)): SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM, named by path or
// abstract name or unnamed; descriptors (SCM_RIGHTS) and credentials (SCM_CREDENTIALS,
// SO_PEERCRED) travel with the data. Messages are queued at the receiver; the sender is
// charged for what it queued until the receiver reads it, which is how writers block.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include "net/buffer.h"
#include "net/socket.h"
#include "net/unix_address.h"
#include "net/unix_namespace.h"

namespace ms::net {

class UnixSocket final : public Socket {
 public:
  // Linux's net.core.wmem_default, and net.unix.max_dgram_qlen's default.
  static constexpr uint32_t kDefaultBuffer = 212992;
  static constexpr size_t kMaxDatagramQueue = 10;
  // SCM_MAX_FD.
  static constexpr size_t kMaxRights = 253;
  // What a message costs its sender beyond its bytes, standing for Linux's skb overhead
  // (truesize), so that floods of small datagrams fill the send buffer as they do there.
  static constexpr size_t kMessageOverhead = 768;

  UnixSocket(UnixNamespace& names, int type, int flags, const Credentials& creds);
  ~UnixSocket() override;

  // socketpair(2): two connected sockets.
  static std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> pair(
      UnixNamespace& names, int type, int flags, const Credentials& creds);

  Result<void> bind(const SockAddr& addr, const SocketCaller& caller) override;
  Result<void> listen(int backlog, const SocketCaller& caller) override;
  Result<std::shared_ptr<Socket>> accept(int flags) override;
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

  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override { return &queue_; }
  kernel::WaitQueue* send_wait_queue() override;
  size_t readable_bytes() const override { return queue_bytes_; }
  bool read_finished() const override { return shut_rd_ || error_ != 0; }

 private:
  struct Message {
    Payload data;
    std::vector<FilePtr> rights;
    Credentials creds;
    std::optional<UnixName> from;  // the sender's name, if it had one
    std::weak_ptr<UnixSocket> sender;
    size_t charge = 0;  // what the sender is still charged for it
  };
  enum class State : uint8_t { kUnconnected, kListening, kConnected };

  std::shared_ptr<UnixSocket> self() {
    return std::static_pointer_cast<UnixSocket>(shared_from_this());
  }
  bool connection_oriented() const { return type() != SOCK_DGRAM; }
  Result<void> autobind();
  Result<std::shared_ptr<UnixSocket>> find(const SockAddr& addr, const SocketCaller& caller);
  Result<void> connect_stream(const SockAddr& addr, const SocketCaller& caller);
  Result<size_t> send_stream(std::span<const std::byte> data, SendOptions& opts);
  Result<size_t> send_datagram(std::span<const std::byte> data, SendOptions& opts);
  Result<RecvResult> recv_stream(std::span<std::byte> dst, int flags);
  Result<RecvResult> recv_message(std::span<std::byte> dst, int flags);
  // Queues a message here, charging `sender` until it is read.
  void enqueue(Message m, UnixSocket* sender);
  // Gives up to `n` of what a message costs back to its sender's budget.
  static void uncharge(Message& m, size_t n);
  static std::optional<UnixName> sender_name(const Message& m);
  bool queue_full() const;
  uint32_t send_buffer() const { return sndbuf_; }
  void peer_closed(bool lost_data);

  UnixNamespace& names_;
  State state_ = State::kUnconnected;
  std::optional<UnixName> name_;
  std::weak_ptr<UnixSocket> peer_;
  std::optional<UnixName> peer_name_;  // kept for getpeername after the peer is gone
  bool had_peer_ = false;
  std::deque<Message> messages_;
  size_t queue_bytes_ = 0;
  size_t charged_ = 0;  // bytes this socket queued at receivers, not yet read
  std::deque<std::shared_ptr<UnixSocket>> accept_queue_;
  int backlog_ = 0;
  Credentials creds_;  // the creator's; a listener's are refreshed by listen()
  std::optional<Credentials> peer_creds_;
  bool shut_rd_ = false;
  bool shut_wr_ = false;
  int error_ = 0;
  bool passcred_ = false;
  uint32_t sndbuf_ = kDefaultBuffer;
  uint32_t rcvbuf_ = kDefaultBuffer;
  // The datagram receiver a blocked sendto() waits on.
  std::weak_ptr<UnixSocket> blocked_on_;
  kernel::WaitQueue queue_;
};

}  // namespace ms::net
