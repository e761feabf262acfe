// AF_UNIX names (unix(7)): a filesystem path, or an abstract name (bytes after a leading
// NUL), as Linux's unix_mkname/unix_validate_addr read a sockaddr_un.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "net/socket.h"

namespace ms::net {

struct UnixName {
  bool abstract = false;
  std::string bytes;  // the abstract name without its leading NUL, or the path

  friend bool operator==(const UnixName&, const UnixName&) = default;
};

// EINVAL for a length outside (2, sizeof(sockaddr_un)] or a family other than AF_UNIX.
Result<UnixName> parse_unix_address(const SockAddr& addr);
// Whether bind() was given only the family: a request to autobind.
inline bool is_autobind_request(const SockAddr& addr) {
  return addr.len == sizeof(sa_family_t) && addr.family() == AF_UNIX;
}
// The sockaddr_un for a name; an unnamed socket is just the family.
SockAddr make_unix_address(const std::optional<UnixName>& name);

}  // namespace ms::net
