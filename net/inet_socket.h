// What AF_INET and AF_INET6 sockets on the sandbox's stack share: the stack, ioctls on
// interfaces, and the options that are accepted and reported but change nothing the stack
// does (IP_TOS, SO_PRIORITY, ...), kept so that getsockopt returns what was set.
#pragma once

#include <map>
#include <utility>

#include "net/socket.h"
#include "net/stack.h"

namespace ms::net {

class InetSocket : public Socket {
 public:
  InetSocket(Stack& stack, int family, int type, int protocol, int flags)
      : Socket(family, type, protocol, flags), stack_(stack) {}

  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;
  Stack& stack() { return stack_; }

 protected:
  // Options stored as ints with no effect on the stack; ENOPROTOOPT for unknown ones.
  Result<void> set_stored_option(int level, int name, std::span<const std::byte> value,
                                 Binding& binding, bool bound);
  Result<std::vector<std::byte>> get_stored_option(int level, int name, const Binding& binding);
  // Linux's checks for bind(2) on an inet socket, in its order, up to the port table.
  Result<NetAddress> check_bind(const SockAddr& addr, const SocketCaller& caller, bool bound);

  Stack& stack_;
  std::map<std::pair<int, int>, int> stored_;
};

}  // namespace ms::net
