// A socket as an open file description: the operations of socket(7) on sentry memory, for
// every family (AF_UNIX, AF_INET/AF_INET6 on the sandbox's stack or on host sockets). The
// syscall layer (sentry/syscalls/sys_socket.cc) moves guest memory in and out, installs
// passed descriptors and parks the task when an operation says EAGAIN; a socket never
// blocks and never sees a Task.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/file_description.h"
#include "sentry/kernel/clock.h"

namespace ms::net {

// A socket address as the guest passed it (at most sizeof(sockaddr_storage) bytes).
struct SockAddr {
  std::array<std::byte, sizeof(sockaddr_storage)> bytes{};
  uint32_t len = 0;

  static SockAddr of(const void* data, size_t n) {
    SockAddr a;
    a.len = static_cast<uint32_t>(std::min(n, a.bytes.size()));
    std::memcpy(a.bytes.data(), data, a.len);
    return a;
  }
  template <class T>
  static SockAddr of(const T& value) {
    return of(&value, sizeof(T));
  }
  // sa_family, or -1 when too short to hold one.
  int family() const {
    if (len < sizeof(sa_family_t)) return -1;
    sa_family_t f;
    std::memcpy(&f, bytes.data(), sizeof(f));
    return f;
  }
  // The first sizeof(T) bytes as a T, zero-filled past len.
  template <class T>
  T as() const {
    T v{};
    std::memcpy(&v, bytes.data(), std::min<size_t>(len, sizeof(T)));
    return v;
  }
  std::span<const std::byte> view() const { return std::span(bytes.data(), len); }
};

// How AF_UNIX filesystem names become socket files: implemented by the syscall layer, which
// knows the caller's root, cwd and the filesystem. A key identifies one socket file.
class UnixPathResolver {
 public:
  virtual ~UnixPathResolver() = default;
  // Makes the socket file for bind(2): EADDRINUSE if the name exists, or the path walk's
  // error.
  virtual Result<std::string> create(const std::string& path) const = 0;
  // Finds the socket file for connect(2) or sendto(2): ENOENT, ECONNREFUSED for a file that
  // is not a socket, or the path walk's error.
  virtual Result<std::string> lookup(const std::string& path) const = 0;
};

// Who performs an operation: for credentials passing (SO_PEERCRED, SCM_CREDENTIALS) and
// privilege checks (ports below 1024).
struct SocketCaller {
  int pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t euid = 0;
  uint32_t egid = 0;
  bool privileged = false;  // CAP_NET_BIND_SERVICE and friends: euid 0
  const UnixPathResolver* paths = nullptr;
};

struct Credentials {
  int pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

using FilePtr = std::shared_ptr<fs::FileDescription>;

// What sendmsg passes besides the bytes.
struct SendOptions {
  int flags = 0;
  std::optional<SockAddr> to;
  std::vector<FilePtr> rights;       // SCM_RIGHTS
  std::optional<Credentials> creds;  // SCM_CREDENTIALS as the sender wrote them
  SocketCaller caller;
};

// What recvmsg returns besides the bytes.
struct RecvResult {
  size_t copied = 0;
  size_t length = 0;             // a datagram's full length (MSG_TRUNC); == copied for streams
  std::optional<SockAddr> from;  // nullopt: no address (msg_namelen 0)
  int msg_flags = 0;             // MSG_TRUNC, MSG_EOR...
  std::vector<FilePtr> rights;
  std::optional<Credentials> creds;
};

class Socket : public fs::FileDescription {
 public:
  Socket(int family, int type, int protocol, int flags);

  int family() const { return family_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  bool stream() const { return type_ == SOCK_STREAM; }

  virtual Result<void> bind(const SockAddr& addr, const SocketCaller& caller) = 0;
  virtual Result<void> listen(int backlog, const SocketCaller& caller);
  // A connection to accept, as a new socket with `flags` (O_NONBLOCK); EAGAIN when none.
  virtual Result<std::shared_ptr<Socket>> accept(int flags);
  // Starts (or, for datagram sockets, sets) a connection. EINPROGRESS: it proceeds in the
  // background and finish_connect() reports the outcome.
  virtual Result<void> connect(const SockAddr& addr, const SocketCaller& caller) = 0;
  // EINPROGRESS while a connect() is pending, else its outcome (as a second connect() would
  // report it).
  virtual Result<void> finish_connect();
  // Sends data (all of it, or a prefix for stream sockets); EAGAIN when full.
  virtual Result<size_t> send(std::span<const std::byte> data, SendOptions& opts) = 0;
  // Receives into dst per flags (MSG_PEEK, MSG_TRUNC, ...); EAGAIN when nothing is there.
  virtual Result<RecvResult> recv(std::span<std::byte> dst, int flags) = 0;
  virtual Result<void> shutdown(int how) = 0;
  virtual Result<SockAddr> local_name() = 0;
  virtual Result<SockAddr> peer_name() = 0;
  // Options: level and name as setsockopt(2). The value is the guest's bytes; getsockopt
  // returns the full value and the syscall layer truncates it to the guest's length.
  virtual Result<void> setsockopt(int level, int name, std::span<const std::byte> value,
                                  const SocketCaller& caller);
  virtual Result<std::vector<std::byte>> getsockopt(int level, int name);

  // Where a sender waits after send() said EAGAIN (a datagram's receiver may be another
  // socket's queue).
  virtual kernel::WaitQueue* send_wait_queue() { return wait_queue(); }
  // Bytes a blocking recv with MSG_WAITALL|MSG_PEEK could see now (streams).
  virtual size_t readable_bytes() const { return 0; }
  // Whether no more data can ever arrive (EOF or error): ends a MSG_WAITALL wait.
  virtual bool read_finished() const { return true; }

  // Who made the socket: the credentials write(2) sends with, as it has no caller of its
  // own here.
  void set_owner(const SocketCaller& owner) { owner_ = owner; }

  // SO_RCVTIMEO / SO_SNDTIMEO (zero: wait forever).
  kernel::Duration recv_timeout() const { return rcvtimeo_; }
  kernel::Duration send_timeout() const { return sndtimeo_; }

  // FileDescription: read(2) and write(2) are recv and send without flags.
  Result<size_t> read(std::span<std::byte> dst) override;
  Result<size_t> write(std::span<const std::byte> src) override;
  Result<fs::Stat> stat() override;
  std::string describe() const override;

 protected:
  // SOL_SOCKET options every family shares; ENOPROTOOPT for the others.
  Result<void> set_common_option(int name, std::span<const std::byte> value);
  Result<std::vector<std::byte>> get_common_option(int name);
  // A socket-unique inode number, for fstat and /proc.
  uint64_t ino() const { return ino_; }

 private:
  const int family_;
  const int type_;
  const int protocol_;
  const uint64_t ino_;
  kernel::Duration rcvtimeo_{0};
  kernel::Duration sndtimeo_{0};
  SocketCaller owner_;
};

// Option values: an int (Linux accepts longer buffers and reads the first int; shorter is
// EINVAL), and the bytes of a value for getsockopt.
Result<int> option_int(std::span<const std::byte> value);
template <class T>
std::vector<std::byte> option_bytes(const T& value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  return std::vector<std::byte>(p, p + sizeof(T));
}

}  // namespace ms::net
