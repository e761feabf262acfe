// Sockets: socket(2), socketpair(2), bind(2), listen(2), accept(2), accept4(2), connect(2),
// getsockname(2), getpeername(2), sendto(2), recvfrom(2), sendmsg(2), recvmsg(2),
// sendmmsg(2), recvmmsg(2), shutdown(2), setsockopt(2), getsockopt(2).
//
// The sockets themselves (net/) work on sentry memory and never block; this file moves guest
// memory, passes descriptors, and parks the task when a socket says EAGAIN.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "fs/permission.h"
#include "fs/vfs.h"
#include "net/network.h"
#include "net/socket.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/file_io.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"
#include "sentry/syscalls/socket_io.h"
#include "sentry/syscalls/wait_timeout.h"

namespace ms::sys {
namespace {

using net::SockAddr;
using net::Socket;

// SOCK_MAX in <linux/net.h>: socket types are below it.
constexpr int kSockMax = SOCK_PACKET + 1;
// No datagram is larger than this (a unix datagram is bounded by the largest SO_SNDBUF).
constexpr uint64_t kMaxDatagram = 1 << 20;
constexpr uint32_t kReadEvents = POLLIN | POLLRDNORM | POLLERR | POLLHUP | POLLRDHUP;
constexpr uint32_t kWriteEvents = POLLOUT | POLLWRNORM | POLLERR | POLLHUP;

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

Result<std::shared_ptr<Socket>> socket_file(kernel::Task& t, uint64_t fd) {
  auto file = TRY(t.file(static_cast<int>(fd)));
  auto s = std::dynamic_pointer_cast<Socket>(file);
  if (!s) return fail(ENOTSOCK);
  return s;
}

// AF_UNIX filesystem names are socket files (S_IFSOCK inodes) made by bind(); the key that
// finds a bound socket is the file's device and inode number, so that a renamed or linked
// socket file still leads to its socket, and an unlinked one to nothing.
class SocketPaths final : public net::UnixPathResolver {
 public:
  explicit SocketPaths(kernel::Task& t) : t_(t) {}

  Result<std::string> create(const std::string& path) const override {
    const fs::Caller c = caller(t_);
    const fs::Path start = TRY(start_at(t_, AT_FDCWD, path));
    const mode_t mode = S_IFSOCK | (0777 & ~t_.fs().umask);
    if (auto r = t_.kernel().vfs().mknod(c, start, path, mode, 0); !r) {
      // unix_bind_bsd: an existing name is "address in use".
      return fail(r.error() == Errno{EEXIST} ? EADDRINUSE : errno_value(r.error()));
    }
    const fs::Path made = TRY(t_.kernel().vfs().resolve(c, start, path, 0));
    return key_of(TRY(made.inode().stat()));
  }

  Result<std::string> lookup(const std::string& path) const override {
    const fs::Caller c = caller(t_);
    const fs::Path start = TRY(start_at(t_, AT_FDCWD, path));
    const fs::Path found = TRY(t_.kernel().vfs().resolve(c, start, path, fs::kFollow));
    // unix_find_bsd: write permission on the file, and it must be a socket.
    TRY(fs::permission(found.inode(), fs::kMayWrite, c.creds));
    const fs::Stat st = TRY(found.inode().stat());
    if (!S_ISSOCK(st.mode)) return fail(ECONNREFUSED);
    return key_of(st);
  }

 private:
  static std::string key_of(const fs::Stat& st) {
    return std::to_string(st.dev) + ":" + std::to_string(st.ino);
  }
  kernel::Task& t_;
};

// The caller as sockets see it. `paths` must outlive the operation it is used for.
net::SocketCaller caller_of(kernel::Task& t, const SocketPaths* paths = nullptr) {
  const kernel::Credentials& c = t.thread_group().creds();
  net::SocketCaller caller;
  caller.pid = t.pid();
  caller.uid = c.ruid;
  caller.gid = c.rgid;
  caller.euid = c.euid;
  caller.egid = c.egid;
  caller.privileged = c.euid == 0;
  caller.paths = paths;
  return caller;
}

// move_addr_to_kernel: EINVAL for a length over sizeof(sockaddr_storage), EFAULT.
Result<SockAddr> copy_in_addr(kernel::Task& t, uint64_t addr, uint64_t len) {
  if (static_cast<int>(len) < 0 || len > sizeof(sockaddr_storage)) return fail(EINVAL);
  SockAddr a;
  a.len = static_cast<uint32_t>(len);
  if (len > 0) TRY(t.mm().copy_in(addr, std::span(a.bytes.data(), len)));
  return a;
}

// move_addr_to_user: reads the guest's buffer length, copies what fits and writes back the
// full length.
Result<void> copy_out_addr(kernel::Task& t, const std::optional<SockAddr>& a, uint64_t addr,
                           uint64_t len_ptr) {
  const int len = TRY(t.mm().read(mm::GuestPtr<int>(len_ptr)));
  if (len < 0) return fail(EINVAL);
  const uint32_t full = a ? a->len : 0;
  const uint32_t n = std::min<uint32_t>(static_cast<uint32_t>(len), full);
  if (n > 0) TRY(t.mm().copy_out(addr, std::span(a->bytes.data(), n)));
  TRY(t.mm().write(mm::GuestPtr<int>(len_ptr), static_cast<int>(full)));
  return {};
}

// Parks t until `queue` reports `events` or the socket timeout passes. What the caller
// returns when the wait cannot start: the timeout becomes `timeout_error`, and a signal
// becomes EINTR when a timeout was set (sock_intr_errno), else a restart.
std::unexpected<Errno> wait_for(kernel::Task& t, kernel::WaitQueue* queue, uint32_t events,
                                kernel::Duration timeout, int timeout_error) {
  if (timeout.count() > 0) t.deadline_after(timeout);
  if (queue != nullptr) t.add_wait(*queue, events);
  auto parked = t.park();
  if (parked.error() == Errno{ETIMEDOUT}) return fail(timeout_error);
  if (parked.error() == Errno{ERESTARTSYS} && timeout.count() > 0) return fail(EINTR);
  return parked;
}

// Sends the bytes of `ranges` with blocking, partial progress and SIGPIPE as send(2) has
// them. Stream sockets take the data in chunks; a datagram goes whole or not at all.
SysRet send_data(kernel::Task& t, Socket& s, std::span<const GuestRange> ranges,
                 net::SendOptions& opts) {
  const uint64_t total = total_length(ranges);
  const bool nonblock = s.nonblocking() || (opts.flags & MSG_DONTWAIT) != 0;
  uint64_t done = t.syscall_progress;
  if (done > 0) {
    // Descriptors and credentials went with the first part already.
    opts.rights.clear();
    opts.creds.reset();
  }
  auto failed = [&](Errno e) -> SysRet {
    if (e == Errno{EPIPE} && (opts.flags & MSG_NOSIGNAL) == 0) raise_sigpipe(t);
    if (done > 0) return done;
    return std::unexpected(e);
  };
  for (;;) {
    const uint64_t want = s.stream() ? std::min(total - done, kTransferChunk) : total;
    if (!s.stream() && want > kMaxDatagram) return fail(EMSGSIZE);
    std::span<std::byte> buf = t.kernel().scratch(want);
    const uint64_t got = gather(t, ranges, done, buf);
    if (got < want && (got == 0 || !s.stream())) return done > 0 ? SysRet(done) : fail(EFAULT);
    auto n = s.send(buf.first(got), opts);
    if (n) {
      done += *n;
      opts.rights.clear();
      opts.creds.reset();
      if (!s.stream() || done >= total || got < want) return done;
      continue;
    }
    if (n.error() != Errno{EAGAIN}) return failed(n.error());
    if (nonblock) return done > 0 ? SysRet(done) : fail(EAGAIN);
    t.syscall_progress = done;
    auto parked = wait_for(t, s.send_wait_queue(), kWriteEvents, s.send_timeout(), EAGAIN);
    if (parked.error() != Errno{EPARKED} && done > 0) return done;
    return parked;
  }
}

struct Received {
  uint64_t bytes = 0;     // copied to the guest
  net::RecvResult first;  // address, flags, descriptors of the (first) message
};

// Receives into `ranges` as recv(2) does, with MSG_WAITALL's loop for streams.
Result<Received> recv_data(kernel::Task& t, Socket& s, std::span<const GuestRange> ranges,
                           int flags) {
  const uint64_t total = total_length(ranges);
  const bool nonblock = s.nonblocking() || (flags & MSG_DONTWAIT) != 0;
  const bool waitall = (flags & MSG_WAITALL) != 0 && s.stream() && !nonblock;
  const bool peek = (flags & MSG_PEEK) != 0;
  Received out;
  uint64_t done = t.syscall_progress;
  if (waitall && peek && s.readable_bytes() < total && !s.read_finished()) {
    // A peek that waits for all of it waits for the data first.
    return wait_for(t, s.wait_queue(), kReadEvents, s.recv_timeout(), EAGAIN);
  }
  bool first = true;
  for (;;) {
    const uint64_t want =
        s.stream() ? std::min(total - done, kTransferChunk) : std::min(total, kMaxDatagram);
    std::span<std::byte> buf = t.kernel().scratch(want);
    auto r = s.recv(buf, flags);
    if (!r) {
      if (r.error() != Errno{EAGAIN} || nonblock) {
        if (done > 0) {
          out.bytes = done;
          return out;
        }
        return std::unexpected(r.error());
      }
      t.syscall_progress = done;
      auto parked = wait_for(t, s.wait_queue(), kReadEvents, s.recv_timeout(), EAGAIN);
      if (parked.error() != Errno{EPARKED} && done > 0) {
        out.bytes = done;
        return out;
      }
      return parked;
    }
    const uint64_t copied = scatter(t, ranges, done, buf.first(r->copied));
    if (copied < r->copied && done + copied == 0) return fail(EFAULT);
    done += copied;
    if (first) {
      out.first = std::move(*r);
      first = false;
    }
    if (!waitall || r->copied == 0 || done >= total || peek) break;
  }
  out.bytes = done;
  return out;
}

// SCM_RIGHTS and SCM_CREDENTIALS from a sendmsg control buffer.
Result<void> parse_control(kernel::Task& t, Socket& s, uint64_t control, uint64_t len,
                           net::SendOptions& opts) {
  if (len == 0) return {};
  if (len > INT_MAX) return fail(ENOBUFS);
  if (len < sizeof(cmsghdr)) return fail(EINVAL);
  std::vector<std::byte> buf(len);
  TRY(t.mm().copy_in(control, buf));
  size_t off = 0;
  while (off + sizeof(cmsghdr) <= len) {
    cmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof(h));
    if (h.cmsg_len < sizeof(cmsghdr) || h.cmsg_len > len - off) return fail(EINVAL);
    const std::byte* data = buf.data() + off + CMSG_LEN(0);
    const size_t data_len = h.cmsg_len - CMSG_LEN(0);
    if (h.cmsg_level == SOL_SOCKET) {
      switch (h.cmsg_type) {
        case SCM_RIGHTS: {
          if (s.family() != AF_UNIX) return fail(EINVAL);
          const size_t n = data_len / sizeof(int);
          if (opts.rights.size() + n > 253) return fail(EINVAL);
          for (size_t i = 0; i < n; ++i) {
            int fd;
            std::memcpy(&fd, data + i * sizeof(int), sizeof(fd));
            opts.rights.push_back(TRY(t.file(fd)));
          }
          break;
        }
        case SCM_CREDENTIALS: {
          if (s.family() != AF_UNIX) return fail(EINVAL);
          if (h.cmsg_len != CMSG_LEN(sizeof(ucred))) return fail(EINVAL);
          ucred c;
          std::memcpy(&c, data, sizeof(c));
          opts.creds = net::Credentials{c.pid, c.uid, c.gid};
          break;
        }
        default:
          return fail(EINVAL);
      }
    }
    off += CMSG_ALIGN(h.cmsg_len);
  }
  return {};
}

// Writes the control messages of a received message into the guest's buffer as put_cmsg
// and scm_detach_fds do; installs passed descriptors. Returns the bytes used.
Result<uint64_t> write_control(kernel::Task& t, const net::RecvResult& r, uint64_t control,
                               uint64_t space, int flags, int& msg_flags) {
  uint64_t used = 0;
  auto put = [&](int type, std::span<const std::byte> data) -> Result<void> {
    const uint64_t left = space - used;
    if (control == 0 || left < sizeof(cmsghdr)) {
      msg_flags |= MSG_CTRUNC;
      return {};
    }
    uint64_t cmlen = CMSG_LEN(data.size());
    if (left < cmlen) {
      msg_flags |= MSG_CTRUNC;
      cmlen = left;
    }
    cmsghdr h{};
    h.cmsg_len = cmlen;
    h.cmsg_level = SOL_SOCKET;
    h.cmsg_type = type;
    TRY(t.mm().copy_out(control + used, std::as_bytes(std::span(&h, 1))));
    TRY(t.mm().copy_out(control + used + CMSG_LEN(0), data.first(cmlen - CMSG_LEN(0))));
    used += std::min<uint64_t>(CMSG_SPACE(data.size()), left);
    return {};
  };
  if (r.creds) {
    ucred c{r.creds->pid, r.creds->uid, r.creds->gid};
    TRY(put(SCM_CREDENTIALS, std::as_bytes(std::span(&c, 1))));
  }
  if (!r.rights.empty()) {
    const uint64_t left = space - used;
    const uint64_t fit =
        control != 0 && left > sizeof(cmsghdr) ? (left - sizeof(cmsghdr)) / sizeof(int) : 0;
    const size_t n = std::min<uint64_t>(fit, r.rights.size());
    std::vector<int> fds;
    for (size_t i = 0; i < n; ++i) {
      auto fd = t.fds().install(r.rights[i], (flags & MSG_CMSG_CLOEXEC) != 0, 0, fd_limit(t));
      if (!fd) break;
      fds.push_back(*fd);
    }
    if (fds.size() < r.rights.size()) msg_flags |= MSG_CTRUNC;
    if (!fds.empty()) TRY(put(SCM_RIGHTS, std::as_bytes(std::span(fds))));
  }
  return used;
}

// One sendmsg: the msghdr at `msg_addr`.
SysRet send_msghdr(kernel::Task& t, Socket& s, uint64_t msg_addr, int flags) {
  const msghdr m = TRY(t.mm().read(mm::GuestPtr<msghdr>(msg_addr)));
  if (m.msg_iovlen > UIO_MAXIOV) return fail(EMSGSIZE);
  net::SendOptions opts;
  opts.flags = flags;
  const SocketPaths paths(t);
  opts.caller = caller_of(t, &paths);
  if (m.msg_name != nullptr && m.msg_namelen > 0) {
    const uint64_t namelen = std::min<uint64_t>(m.msg_namelen, sizeof(sockaddr_storage));
    opts.to = TRY(copy_in_addr(t, reinterpret_cast<uint64_t>(m.msg_name), namelen));
  }
  const auto iov = TRY(copy_in_iovecs(t, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen));
  TRY(parse_control(t, s, reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen, opts));
  return send_data(t, s, iov, opts);
}

// One recvmsg into the msghdr at `msg_addr`.
SysRet recv_msghdr(kernel::Task& t, Socket& s, uint64_t msg_addr, int flags) {
  msghdr m = TRY(t.mm().read(mm::GuestPtr<msghdr>(msg_addr)));
  if (m.msg_iovlen > UIO_MAXIOV) return fail(EMSGSIZE);
  const auto iov = TRY(copy_in_iovecs(t, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen));
  const Received got = TRY(recv_data(t, s, iov, flags));
  int msg_flags = got.first.msg_flags;
  if (m.msg_name != nullptr) {
    const uint64_t name_ptr = msg_addr + offsetof(msghdr, msg_namelen);
    TRY(copy_out_addr(t, got.first.from, reinterpret_cast<uint64_t>(m.msg_name), name_ptr));
  }
  const uint64_t used = TRY(write_control(t, got.first, reinterpret_cast<uint64_t>(m.msg_control),
                                          m.msg_controllen, flags, msg_flags));
  TRY(t.mm().write(mm::GuestPtr<size_t>(msg_addr + offsetof(msghdr, msg_controllen)),
                   static_cast<size_t>(used)));
  TRY(t.mm().write(mm::GuestPtr<int>(msg_addr + offsetof(msghdr, msg_flags)), msg_flags));
  if ((flags & MSG_TRUNC) != 0 && !s.stream()) return got.first.length;
  return got.bytes;
}

SysRet do_accept(kernel::Task& t, uint64_t fd, uint64_t addr, uint64_t addrlen, uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) return fail(EINVAL);
  auto s = TRY(socket_file(t, fd));
  auto r = s->accept((flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0);
  if (!r) {
    if (r.error() != Errno{EAGAIN} || s->nonblocking()) return std::unexpected(r.error());
    return wait_for(t, s->wait_queue(), kReadEvents, s->recv_timeout(), EAGAIN);
  }
  std::shared_ptr<Socket> conn = std::move(*r);
  conn->set_owner(caller_of(t));
  if (addr != 0) TRY(copy_out_addr(t, TRY(conn->peer_name()), addr, addrlen));
  return TRY(t.fds().install(std::move(conn), (flags & SOCK_CLOEXEC) != 0, 0, fd_limit(t)));
}

}  // namespace

SysRet socket_read(kernel::Task& t, Socket& s, std::span<const GuestRange> dst, bool nowait) {
  // Unlike recv(2), a zero-length read(2) does not wait for (or consume) a datagram.
  if (total_length(dst) == 0) return 0;
  const Received got = TRY(recv_data(t, s, dst, nowait ? MSG_DONTWAIT : 0));
  return got.bytes;
}

SysRet socket_write(kernel::Task& t, Socket& s, std::span<const GuestRange> src, bool nowait) {
  net::SendOptions opts;
  opts.flags = nowait ? MSG_DONTWAIT : 0;
  const SocketPaths paths(t);
  opts.caller = caller_of(t, &paths);
  return send_data(t, s, src, opts);
}

SysRet sys_socket(kernel::Task& t, const SyscallArgs& a) {
  const int domain = static_cast<int>(a[0]);
  const int type_arg = static_cast<int>(a[1]);
  const int protocol = static_cast<int>(a[2]);
  const int flags = type_arg & ~0xf;
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) return fail(EINVAL);
  const int type = type_arg & 0xf;
  if (domain < 0 || domain >= AF_MAX) return fail(EAFNOSUPPORT);
  if (type < 0 || type >= kSockMax) return fail(EINVAL);
  const net::SocketCaller caller = caller_of(t);
  auto s = TRY(t.kernel().network().socket(domain, type, protocol,
                                           (flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0, caller));
  s->set_owner(caller);
  return TRY(t.fds().install(std::move(s), (flags & SOCK_CLOEXEC) != 0, 0, fd_limit(t)));
}

SysRet sys_socketpair(kernel::Task& t, const SyscallArgs& a) {
  const int domain = static_cast<int>(a[0]);
  const int type_arg = static_cast<int>(a[1]);
  const int protocol = static_cast<int>(a[2]);
  const int flags = type_arg & ~0xf;
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) return fail(EINVAL);
  const int type = type_arg & 0xf;
  if (domain < 0 || domain >= AF_MAX) return fail(EAFNOSUPPORT);
  if (type < 0 || type >= kSockMax) return fail(EINVAL);
  const net::SocketCaller caller = caller_of(t);
  auto [x, y] = TRY(t.kernel().network().socketpair(
      domain, type, protocol, (flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0, caller));
  x->set_owner(caller);
  y->set_owner(caller);
  const bool cloexec = (flags & SOCK_CLOEXEC) != 0;
  const int fd1 = TRY(t.fds().install(x, cloexec, 0, fd_limit(t)));
  auto fd2 = t.fds().install(y, cloexec, 0, fd_limit(t));
  if (!fd2) {
    t.fds().remove(fd1);
    return std::unexpected(fd2.error());
  }
  const int fds[2] = {fd1, *fd2};
  if (auto w = t.mm().copy_out(a[3], std::as_bytes(std::span(fds))); !w) {
    t.fds().remove(fd1);
    t.fds().remove(*fd2);
    return std::unexpected(w.error());
  }
  return 0;
}

SysRet sys_bind(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const SockAddr addr = TRY(copy_in_addr(t, a[1], a[2]));
  const SocketPaths paths(t);
  TRY(s->bind(addr, caller_of(t, &paths)));
  return 0;
}

SysRet sys_listen(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  TRY(s->listen(static_cast<int>(a[1]), caller_of(t)));
  return 0;
}

SysRet sys_accept(kernel::Task& t, const SyscallArgs& a) {
  return do_accept(t, a[0], a[1], a[2], 0);
}

SysRet sys_accept4(kernel::Task& t, const SyscallArgs& a) {
  return do_accept(t, a[0], a[1], a[2], a[3]);
}

SysRet sys_connect(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const SockAddr addr = TRY(copy_in_addr(t, a[1], a[2]));
  if (t.syscall_progress == 0) {
    const SocketPaths paths(t);
    auto r = s->connect(addr, caller_of(t, &paths));
    if (r) return 0;
    if (r.error() == Errno{EAGAIN}) {
      // A unix listener's backlog is full: wait for room, then try again from the start.
      if (s->nonblocking()) return fail(EAGAIN);
      return wait_for(t, s->send_wait_queue(), POLLOUT, s->send_timeout(), EAGAIN);
    }
    if (r.error() != Errno{EINPROGRESS}) return std::unexpected(r.error());
    if (s->nonblocking()) return fail(EINPROGRESS);
    t.syscall_progress = 1;  // this call started the connection: wait for its outcome
  }
  auto done = s->finish_connect();
  if (done) return 0;
  if (done.error() != Errno{EINPROGRESS}) return std::unexpected(done.error());
  return wait_for(t, s->wait_queue(), kWriteEvents, s->send_timeout(), EINPROGRESS);
}

SysRet sys_getsockname(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const SockAddr name = TRY(s->local_name());
  TRY(copy_out_addr(t, name, a[1], a[2]));
  return 0;
}

SysRet sys_getpeername(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const SockAddr name = TRY(s->peer_name());
  TRY(copy_out_addr(t, name, a[1], a[2]));
  return 0;
}

SysRet sys_sendto(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  net::SendOptions opts;
  opts.flags = static_cast<int>(a[3]);
  const SocketPaths paths(t);
  opts.caller = caller_of(t, &paths);
  if (a[4] != 0) opts.to = TRY(copy_in_addr(t, a[4], a[5]));
  const GuestRange range{a[1], std::min<uint64_t>(a[2], kMaxRwCount)};
  return send_data(t, *s, std::span(&range, 1), opts);
}

SysRet sys_recvfrom(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const int flags = static_cast<int>(a[3]);
  const GuestRange range{a[1], std::min<uint64_t>(a[2], kMaxRwCount)};
  const Received got = TRY(recv_data(t, *s, std::span(&range, 1), flags));
  if (a[4] != 0) TRY(copy_out_addr(t, got.first.from, a[4], a[5]));
  if ((flags & MSG_TRUNC) != 0 && !s->stream()) return got.first.length;
  return got.bytes;
}

SysRet sys_sendmsg(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  return send_msghdr(t, *s, a[1], static_cast<int>(a[2]));
}

SysRet sys_recvmsg(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  return recv_msghdr(t, *s, a[1], static_cast<int>(a[2]));
}

SysRet sys_sendmmsg(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const uint64_t vec = a[1];
  const uint64_t vlen = std::min<uint64_t>(static_cast<uint32_t>(a[2]), UIO_MAXIOV);
  const int flags = static_cast<int>(a[3]);
  uint64_t sent = 0;
  for (; sent < vlen; ++sent) {
    const uint64_t entry = vec + sent * sizeof(mmsghdr);
    // Only the first message may wait: a later one that would block ends the call.
    const int f = sent == 0 ? flags : flags | MSG_DONTWAIT;
    auto n = send_msghdr(t, *s, entry, f);
    if (!n) {
      if (sent > 0 && n.error() != Errno{EPARKED}) break;
      return n;
    }
    TRY(t.mm().write(mm::GuestPtr<unsigned>(entry + offsetof(mmsghdr, msg_len)),
                     static_cast<unsigned>(*n)));
    t.syscall_progress = 0;
  }
  return sent;
}

SysRet sys_recvmmsg(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const uint64_t vec = a[1];
  const uint64_t vlen = std::min<uint64_t>(static_cast<uint32_t>(a[2]), UIO_MAXIOV);
  int flags = static_cast<int>(a[3]);
  const std::optional<kernel::Duration> timeout = TRY(read_timespec_timeout(t, a[4]));
  start_deadline(t, timeout);
  uint64_t got = 0;
  for (; got < vlen; ++got) {
    const uint64_t entry = vec + got * sizeof(mmsghdr);
    // Only the first message may wait (which covers MSG_WAITFORONE); a passed timeout ends
    // the call after a message.
    if (got > 0 && timeout && time_left(t) == kernel::Duration::zero()) break;
    const int f = got > 0 ? flags | MSG_DONTWAIT : flags;
    auto n = recv_msghdr(t, *s, entry, f & ~MSG_WAITFORONE);
    if (!n) {
      if (got > 0 && n.error() != Errno{EPARKED}) break;
      if (n.error() == Errno{ETIMEDOUT}) return fail(EAGAIN);
      return n;
    }
    TRY(t.mm().write(mm::GuestPtr<unsigned>(entry + offsetof(mmsghdr, msg_len)),
                     static_cast<unsigned>(*n)));
    t.syscall_progress = 0;
  }
  return got;
}

SysRet sys_shutdown(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  TRY(s->shutdown(static_cast<int>(a[1])));
  return 0;
}

SysRet sys_setsockopt(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const int len = static_cast<int>(a[4]);
  if (len < 0) return fail(EINVAL);
  std::vector<std::byte> value(std::min(len, 4096));
  if (!value.empty()) TRY(t.mm().copy_in(a[3], value));
  TRY(s->setsockopt(static_cast<int>(a[1]), static_cast<int>(a[2]), value, caller_of(t)));
  return 0;
}

SysRet sys_getsockopt(kernel::Task& t, const SyscallArgs& a) {
  auto s = TRY(socket_file(t, a[0]));
  const int len = TRY(t.mm().read(mm::GuestPtr<int>(a[4])));
  if (len < 0) return fail(EINVAL);
  const std::vector<std::byte> value =
      TRY(s->getsockopt(static_cast<int>(a[1]), static_cast<int>(a[2])));
  const size_t n = std::min<size_t>(static_cast<size_t>(len), value.size());
  if (n > 0) TRY(t.mm().copy_out(a[3], std::span(value).first(n)));
  TRY(t.mm().write(mm::GuestPtr<int>(a[4]), static_cast<int>(n)));
  return 0;
}

}  // namespace ms::sys
