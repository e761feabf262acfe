// A network interface of the sandbox's stack: a name, addresses and the link it sends on.
#pragma once

#include <net/if.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/link.h"

namespace ms::net {

struct InterfaceAddress {
  IpAddress address;
  int prefix_len = 0;
};

struct NetInterface {
  int index = 0;
  std::string name;
  size_t mtu = 0;
  uint32_t flags = 0;  // IFF_UP, IFF_LOOPBACK, IFF_RUNNING, ...
  std::vector<InterfaceAddress> addresses;
  std::unique_ptr<Link> link;

  // The interface's first address of version v, if any.
  const InterfaceAddress* first_address(IpVersion v) const {
    for (const auto& a : addresses) {
      if (a.address.version() == v) return &a;
    }
    return nullptr;
  }
};

}  // namespace ms::net
