// Where AF_UNIX sockets find each other by name: abstract names, and filesystem names keyed
// by the socket file bind() created. A socket file outlives its socket (it stays until
// unlinked; connecting to it is then ECONNREFUSED); an abstract name goes with its socket.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "base/result.h"

namespace ms::net {

class UnixSocket;

class UnixNamespace {
 public:
  // Abstract names are per socket type, as Linux hashes them: a stream and a datagram
  // socket may hold the same one. EADDRINUSE when the name is taken.
  Result<void> bind_abstract(const std::string& name, int type,
                             const std::shared_ptr<UnixSocket>& s);
  void unbind_abstract(const std::string& name, int type, const UnixSocket* s);
  // ECONNREFUSED when no socket of that type holds the name.
  Result<std::shared_ptr<UnixSocket>> find_abstract(const std::string& name, int type) const;
  // A free name of five hex digits, for autobind.
  std::string autobind_name(int type);

  // Filesystem names: `key` identifies the socket file bind() just made (the VFS refused a
  // name that exists).
  Result<void> bind_path(const std::string& key, const std::shared_ptr<UnixSocket>& s);
  // ECONNREFUSED when the file's socket is gone (or it never had one).
  Result<std::shared_ptr<UnixSocket>> find_path(const std::string& key) const;

 private:
  std::map<std::pair<int, std::string>, std::weak_ptr<UnixSocket>> abstract_;
  std::map<std::string, std::weak_ptr<UnixSocket>> paths_;
  uint32_t next_autobind_ = 0;
};

}  // namespace ms::net
