#include "net/socket.h"

#include <fmt/format.h>
#include <linux/sockios.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <atomic>

namespace ms::net {
namespace {

uint64_t next_ino() {
  static uint64_t ino = 1000;
  return ++ino;
}

// A timeval option (SO_RCVTIMEO_OLD): Linux's sock_set_timeout.
Result<kernel::Duration> parse_timeout(std::span<const std::byte> value) {
  if (value.size() < sizeof(timeval)) return fail(EINVAL);
  timeval tv;
  std::memcpy(&tv, value.data(), sizeof(tv));
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return fail(EDOM);
  if (tv.tv_sec < 0) return kernel::Duration(1);  // Linux: a negative time is "do not wait"
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return kernel::Duration(0);
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

std::vector<std::byte> timeout_bytes(kernel::Duration d) {
  timeval tv{};
  if (d.count() > 1) {
    tv.tv_sec = static_cast<time_t>(d.count() / 1000000000);
    tv.tv_usec = static_cast<suseconds_t>(d.count() % 1000000000 / 1000);
  }
  return option_bytes(tv);
}

}  // namespace

Result<int> option_int(std::span<const std::byte> value) {
  if (value.size() < sizeof(int)) return fail(EINVAL);
  int v;
  std::memcpy(&v, value.data(), sizeof(v));
  return v;
}

Socket::Socket(int family, int type, int protocol, int flags)
    : fs::FileDescription(O_RDWR | (flags & O_NONBLOCK)),
      family_(family),
      type_(type),
      protocol_(protocol),
      ino_(next_ino()) {}

Result<void> Socket::listen(int /*backlog*/, const SocketCaller& /*caller*/) {
  return fail(EOPNOTSUPP);
}

Result<std::shared_ptr<Socket>> Socket::accept(int /*flags*/) {
  return fail(EOPNOTSUPP);
}

Result<void> Socket::finish_connect() {
  return {};
}

Result<void> Socket::setsockopt(int level, int name, std::span<const std::byte> value,
                                const SocketCaller& /*caller*/) {
  if (level != SOL_SOCKET) return fail(ENOPROTOOPT);
  return set_common_option(name, value);
}

Result<std::vector<std::byte>> Socket::getsockopt(int level, int name) {
  if (level != SOL_SOCKET) return fail(ENOPROTOOPT);
  return get_common_option(name);
}

Result<void> Socket::set_common_option(int name, std::span<const std::byte> value) {
  switch (name) {
    case SO_RCVTIMEO_OLD:
      rcvtimeo_ = TRY(parse_timeout(value));
      return {};
    case SO_SNDTIMEO_OLD:
      sndtimeo_ = TRY(parse_timeout(value));
      return {};
    case SO_TYPE:
    case SO_DOMAIN:
    case SO_PROTOCOL:
    case SO_ACCEPTCONN:
    case SO_ERROR:
    case SO_PEERCRED:
      return fail(ENOPROTOOPT);
    default:
      return fail(ENOPROTOOPT);
  }
}

Result<std::vector<std::byte>> Socket::get_common_option(int name) {
  switch (name) {
    case SO_TYPE:
      return option_bytes(type_);
    case SO_DOMAIN:
      return option_bytes(family_);
    case SO_PROTOCOL:
      return option_bytes(protocol_);
    case SO_RCVTIMEO_OLD:
      return timeout_bytes(rcvtimeo_);
    case SO_SNDTIMEO_OLD:
      return timeout_bytes(sndtimeo_);
    default:
      return fail(ENOPROTOOPT);
  }
}

Result<size_t> Socket::read(std::span<std::byte> dst) {
  auto r = TRY(recv(dst, 0));
  return r.copied;
}

Result<size_t> Socket::write(std::span<const std::byte> src) {
  SendOptions opts;
  opts.caller = owner_;
  opts.caller.paths = nullptr;
  return send(src, opts);
}

Result<fs::Stat> Socket::stat() {
  fs::Stat s;
  s.ino = ino_;
  s.mode = S_IFSOCK | 0777;
  s.blksize = 4096;
  s.dev = 8;  // Linux's sockfs is an anonymous device; any fixed number serves
  return s;
}

std::string Socket::describe() const {
  return fmt::format("socket:[{}]", ino_);
}

}  // namespace ms::net
