#include "sentry/trace/strace_format.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace ms::trace {
namespace {

using sys::ArgKind;

constexpr size_t kMaxString = 32;  // strace's default -s

struct Flag {
  uint64_t bit;
  std::string_view name;
};

std::string flags_string(uint64_t value, std::initializer_list<Flag> flags) {
  std::string out;
  for (const Flag& f : flags) {
    if (f.bit != 0 && (value & f.bit) == f.bit) {
      if (!out.empty()) out += '|';
      out += f.name;
      value &= ~f.bit;
    }
  }
  if (value != 0 || out.empty()) {
    if (!out.empty()) out += '|';
    out += fmt::format("{:#x}", value);
  }
  return out;
}

std::string quoted(std::string_view bytes, bool truncated) {
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          // A short escape followed by a digit would read back as a different byte.
          const bool digit_next =
              i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
          out += digit_next ? fmt::format("\\{:03o}", c) : fmt::format("\\{:o}", c);
        }
    }
  }
  out += '"';
  if (truncated) out += "...";
  return out;
}

std::string buffer(mm::GuestMemory& mem, uint64_t addr, uint64_t len) {
  if (addr == 0) return "NULL";
  std::string bytes(std::min<uint64_t>(len, kMaxString), '\0');
  if (!mem.copy_in(addr, std::as_writable_bytes(std::span(bytes.data(), bytes.size())))) {
    return fmt::format("{:#x}", addr);
  }
  return quoted(bytes, len > kMaxString);
}

std::string path(mm::GuestMemory& mem, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto s = mem.copy_in_string(addr, 4096);
  if (!s) return fmt::format("{:#x}", addr);
  return quoted(*s, false);
}

// The kernel's O_LARGEFILE (glibc defines it as 0 on x86-64; musl passes the real bit).
constexpr uint64_t kOLargefile = 0100000;

// Open flags other than the access mode, in strace's order (multi-bit flags first where
// they overlap: O_SYNC contains O_DSYNC, O_TMPFILE contains O_DIRECTORY).
std::string status_flags(uint64_t v) {
  return flags_string(v, {{O_CREAT, "O_CREAT"},
                          {O_EXCL, "O_EXCL"},
                          {O_NOCTTY, "O_NOCTTY"},
                          {O_TRUNC, "O_TRUNC"},
                          {O_APPEND, "O_APPEND"},
                          {O_NONBLOCK, "O_NONBLOCK"},
                          {O_SYNC, "O_SYNC"},
                          {O_DSYNC, "O_DSYNC"},
                          {O_ASYNC, "O_ASYNC"},
                          {O_DIRECT, "O_DIRECT"},
                          {kOLargefile, "O_LARGEFILE"},
                          {O_NOFOLLOW, "O_NOFOLLOW"},
                          {O_NOATIME, "O_NOATIME"},
                          {O_CLOEXEC, "O_CLOEXEC"},
                          {O_PATH, "O_PATH"},
                          {O_TMPFILE, "O_TMPFILE"},
                          {O_DIRECTORY, "O_DIRECTORY"}});
}

std::string open_flags(uint64_t v) {
  std::string mode;
  switch (v & O_ACCMODE) {
    case O_RDONLY:
      mode = "O_RDONLY";
      break;
    case O_WRONLY:
      mode = "O_WRONLY";
      break;
    case O_RDWR:
      mode = "O_RDWR";
      break;
    default:
      mode = "O_ACCMODE";
      break;
  }
  v &= ~static_cast<uint64_t>(O_ACCMODE);
  if (v == 0) return mode;
  return mode + "|" + status_flags(v);
}

std::string prot(uint64_t v) {
  if (v == 0) return "PROT_NONE";
  return flags_string(v, {{PROT_READ, "PROT_READ"},
                          {PROT_WRITE, "PROT_WRITE"},
                          {PROT_EXEC, "PROT_EXEC"},
                          {PROT_GROWSDOWN, "PROT_GROWSDOWN"},
                          {PROT_GROWSUP, "PROT_GROWSUP"}});
}

std::string map_flags(uint64_t v) {
  std::string type;
  switch (v & MAP_TYPE) {
    case MAP_SHARED:
      type = "MAP_SHARED";
      break;
    case MAP_PRIVATE:
      type = "MAP_PRIVATE";
      break;
    case MAP_SHARED_VALIDATE:
      type = "MAP_SHARED_VALIDATE";
      break;
    default:
      type = fmt::format("{:#x}", v & MAP_TYPE);
      break;
  }
  v &= ~static_cast<uint64_t>(MAP_TYPE);
  if (v == 0) return type;
  return type + "|" +
         flags_string(v, {{MAP_FIXED, "MAP_FIXED"},
                          {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
                          {MAP_32BIT, "MAP_32BIT"},
                          {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
                          {MAP_DENYWRITE, "MAP_DENYWRITE"},
                          {MAP_EXECUTABLE, "MAP_EXECUTABLE"},
                          {MAP_LOCKED, "MAP_LOCKED"},
                          {MAP_NORESERVE, "MAP_NORESERVE"},
                          {MAP_POPULATE, "MAP_POPULATE"},
                          {MAP_NONBLOCK, "MAP_NONBLOCK"},
                          {MAP_STACK, "MAP_STACK"},
                          {MAP_HUGETLB, "MAP_HUGETLB"},
                          {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}});
}

std::string at_flags(uint64_t v) {
  if (v == 0) return "0";
  return flags_string(v, {{AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
                          {AT_REMOVEDIR, "AT_REMOVEDIR"},
                          {AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},
                          {AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
                          {AT_EMPTY_PATH, "AT_EMPTY_PATH"},
                          {AT_EACCESS, "AT_EACCESS"}});
}

std::string named(uint64_t v, std::initializer_list<Flag> names) {
  for (const Flag& f : names) {
    if (f.bit == v) return std::string(f.name);
  }
  return fmt::format("{}", static_cast<int64_t>(v));
}

std::string signal_name(uint64_t sig) {
  if (sig >= 1 && sig < 32) {
    const char* abbrev = sigabbrev_np(static_cast<int>(sig));
    if (abbrev != nullptr) return fmt::format("SIG{}", abbrev);
  }
  if (sig == 32) return "SIGRTMIN";
  if (sig > 32 && sig <= 64) return fmt::format("SIGRT_{}", sig - 32);
  return fmt::format("{}", sig);
}

std::string hex(uint64_t v) {
  return v == 0 ? "0" : fmt::format("{:#x}", v);
}

// An iovec array; `shown` caps how many bytes of data are printed in total (what a read
// returned), as strace does.
std::string iovec_list(mm::GuestMemory& mem, uint64_t addr, uint64_t count, uint64_t shown) {
  std::string out = "[";
  for (uint64_t i = 0; i < std::min<uint64_t>(count, 8); ++i) {
    iovec v{};
    if (!mem.copy_in(addr + i * sizeof(iovec), std::as_writable_bytes(std::span(&v, 1)))) {
      return hex(addr);
    }
    if (i > 0) out += ", ";
    const auto base = reinterpret_cast<uint64_t>(v.iov_base);
    const uint64_t len = std::min<uint64_t>(v.iov_len, shown);
    shown -= len;
    out += fmt::format("{{iov_base={}, iov_len={}}}", buffer(mem, base, len), v.iov_len);
  }
  if (count > 8) out += ", ...";
  return out + "]";
}

// As strace prints a socket address: {sa_family=AF_INET, sin_port=htons(80), ...}.
std::string sockaddr_text(mm::GuestMemory& mem, uint64_t addr, uint64_t len) {
  if (addr == 0) return "NULL";
  sockaddr_storage ss{};
  len = std::min<uint64_t>(len, sizeof(ss));
  if (len < sizeof(sa_family_t) ||
      !mem.copy_in(addr, std::as_writable_bytes(std::span(&ss, 1)).first(len))) {
    return fmt::format("{:#x}", addr);
  }
  char text[INET6_ADDRSTRLEN] = {};
  switch (ss.ss_family) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
      return fmt::format("{{sa_family=AF_INET, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}",
                         ntohs(sin->sin_port), text);
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
      return fmt::format(
          "{{sa_family=AF_INET6, sin6_port=htons({}), sin6_flowinfo=htonl({}), "
          "inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={}}}",
          ntohs(sin6->sin6_port), ntohl(sin6->sin6_flowinfo), text, sin6->sin6_scope_id);
    }
    case AF_UNIX: {
      const auto* sun = reinterpret_cast<const sockaddr_un*>(&ss);
      const size_t n = len - offsetof(sockaddr_un, sun_path);
      if (n == 0) return "{sa_family=AF_UNIX}";
      if (sun->sun_path[0] == '\0') {
        return fmt::format("{{sa_family=AF_UNIX, sun_path=@\"{}\"}}",
                           std::string_view(sun->sun_path + 1, n - 1));
      }
      return fmt::format("{{sa_family=AF_UNIX, sun_path=\"{}\"}}",
                         std::string_view(sun->sun_path, strnlen(sun->sun_path, n)));
    }
    default:
      return fmt::format("{{sa_family={}}}", ss.ss_family);
  }
}

std::string arg(ArgKind kind, uint64_t v, uint64_t next, const sys::SysRet& result,
                mm::GuestMemory& mem) {
  switch (kind) {
    case ArgKind::Int:
    case ArgKind::Fd:
      return fmt::format("{}", static_cast<int>(v));
    case ArgKind::UInt:
    case ArgKind::Size:
      return fmt::format("{}", v);
    case ArgKind::SSize:
      return fmt::format("{}", static_cast<int64_t>(v));
    case ArgKind::Ptr:
      return v == 0 ? "NULL" : hex(v);
    case ArgKind::Off:
      return fmt::format("{}", static_cast<int64_t>(v));
    case ArgKind::DirFd:
      return static_cast<int>(v) == AT_FDCWD ? "AT_FDCWD" : fmt::format("{}", static_cast<int>(v));
    case ArgKind::Path:
      return path(mem, v);
    case ArgKind::InBuf:
      return buffer(mem, v, next);
    case ArgKind::OutBuf:
      if (v == 0) return "NULL";
      if (!result) return hex(v);
      return buffer(mem, v, std::min<uint64_t>(*result, next));
    case ArgKind::IovecIn:
      return iovec_list(mem, v, next, ~0ULL);
    case ArgKind::IovecOut:
      return result ? iovec_list(mem, v, next, *result) : hex(v);
    case ArgKind::OFlags:
      return open_flags(v);
    case ArgKind::FdFlags:
      return v == 0 ? "0" : status_flags(v);
    case ArgKind::Mode:
      return fmt::format("0{:02o}", v);
    case ArgKind::AtFlags:
      return at_flags(v);
    case ArgKind::Prot:
      return prot(v);
    case ArgKind::MapFlags:
      return map_flags(v);
    case ArgKind::Whence:
      return named(v, {{SEEK_SET, "SEEK_SET"},
                       {SEEK_CUR, "SEEK_CUR"},
                       {SEEK_END, "SEEK_END"},
                       {SEEK_DATA, "SEEK_DATA"},
                       {SEEK_HOLE, "SEEK_HOLE"}});
    case ArgKind::Signal:
      return signal_name(v);
    case ArgKind::SigHow:
      return named(
          v,
          {{SIG_BLOCK, "SIG_BLOCK"}, {SIG_UNBLOCK, "SIG_UNBLOCK"}, {SIG_SETMASK, "SIG_SETMASK"}});
    case ArgKind::ClockId:
      return named(v, {{CLOCK_REALTIME, "CLOCK_REALTIME"},
                       {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
                       {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
                       {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
                       {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
                       {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
                       {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
                       {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"}});
    case ArgKind::Resource:
      return named(v, {{RLIMIT_CPU, "RLIMIT_CPU"},
                       {RLIMIT_FSIZE, "RLIMIT_FSIZE"},
                       {RLIMIT_DATA, "RLIMIT_DATA"},
                       {RLIMIT_STACK, "RLIMIT_STACK"},
                       {RLIMIT_CORE, "RLIMIT_CORE"},
                       {RLIMIT_RSS, "RLIMIT_RSS"},
                       {RLIMIT_NPROC, "RLIMIT_NPROC"},
                       {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
                       {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
                       {RLIMIT_AS, "RLIMIT_AS"}});
    case ArgKind::SockAddr:
      return sockaddr_text(mem, v, next);
    case ArgKind::IoctlReq:
    case ArgKind::Hex:
    case ArgKind::Unknown:
      return hex(v);
  }
  return hex(v);
}

std::string result_string(ArgKind kind, const sys::SysRet& result) {
  if (!result) {
    const int err = errno_value(result.error());
    return fmt::format("-1 {} ({})", errno_name(err), std::strerror(err));
  }
  switch (kind) {
    case ArgKind::Hex:
    case ArgKind::Ptr:
      return hex(*result);
    default:
      return fmt::format("{}", static_cast<int64_t>(*result));
  }
}

}  // namespace

std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : fmt::format("E{}", err);
}

std::string format_syscall(const sys::SyscallSpec* spec, uint64_t nr, const uint64_t (&args)[6],
                           const sys::SysRet& result, bool returned, mm::GuestMemory& mem) {
  std::string out;
  if (spec == nullptr) {
    out = fmt::format("syscall_{:#x}({}, {}, {}, {}, {}, {})", nr, hex(args[0]), hex(args[1]),
                      hex(args[2]), hex(args[3]), hex(args[4]), hex(args[5]));
  } else {
    out = fmt::format("{}(", spec->name);
    for (int i = 0; i < spec->nargs; ++i) {
      if (i > 0) out += ", ";
      const uint64_t next = i + 1 < 6 ? args[i + 1] : 0;
      out += arg(spec->args[static_cast<size_t>(i)], args[i], next, result, mem);
    }
    out += ")";
  }
  out += " = ";
  out += returned ? result_string(spec != nullptr ? spec->ret : ArgKind::Int, result) : "?";
  return out;
}

}  // namespace ms::trace
