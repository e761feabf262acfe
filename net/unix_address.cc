#include "net/unix_address.h"

#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace ms::net {

Result<UnixName> parse_unix_address(const SockAddr& addr) {
  constexpr size_t kPathOffset = offsetof(sockaddr_un, sun_path);
  if (addr.len <= kPathOffset || addr.len > sizeof(sockaddr_un)) return fail(EINVAL);
  if (addr.family() != AF_UNIX) return fail(EINVAL);
  const auto* path = reinterpret_cast<const char*>(addr.bytes.data() + kPathOffset);
  const size_t n = addr.len - kPathOffset;
  UnixName name;
  if (path[0] == '\0') {
    name.abstract = true;
    name.bytes.assign(path + 1, n - 1);
  } else {
    name.bytes.assign(path, strnlen(path, n));
  }
  return name;
}

SockAddr make_unix_address(const std::optional<UnixName>& name) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  size_t len = offsetof(sockaddr_un, sun_path);
  if (name) {
    if (name->abstract) {
      const size_t n = std::min(name->bytes.size(), sizeof(sun.sun_path) - 1);
      std::memcpy(sun.sun_path + 1, name->bytes.data(), n);
      len += 1 + n;
    } else {
      const size_t n = std::min(name->bytes.size(), sizeof(sun.sun_path) - 1);
      std::memcpy(sun.sun_path, name->bytes.data(), n);
      len += n + 1;  // Linux reports the terminating NUL
    }
  }
  return SockAddr::of(&sun, len);
}

}  // namespace ms::net
