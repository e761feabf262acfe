// The interface ioctls of netdevice(7) that programs use to discover addresses:
// SIOCGIFCONF, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFFLAGS, SIOCGIFINDEX, SIOCGIFNAME,
// SIOCGIFMTU, SIOCGIFHWADDR. Read-only: setting anything is EPERM.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "sentry/mm/guest_memory.h"

namespace ms::net {

class Stack;

// ENOTTY for a request that is not an interface ioctl.
Result<uint64_t> interface_ioctl(const Stack& stack, uint32_t request, uint64_t arg,
                                 mm::GuestMemory& mem);
bool is_interface_ioctl(uint32_t request);

}  // namespace ms::net
