#include "net/interface_ioctl.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include <cstring>
#include <string>

#include "net/stack.h"

namespace ms::net {
namespace {

const NetInterface* by_name(const Stack& stack, const ifreq& req) {
  const std::string name(req.ifr_name, strnlen(req.ifr_name, IFNAMSIZ));
  for (const auto& iface : stack.interfaces()) {
    if (iface->name == name) return iface.get();
  }
  return nullptr;
}

void put_v4(sockaddr* out, const IpAddress& a) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  std::memcpy(&sin.sin_addr, a.bytes(), 4);
  std::memcpy(out, &sin, sizeof(sin));
}

IpAddress netmask_v4(int prefix) {
  return IpAddress::v4(prefix == 0 ? 0 : ~0U << (32 - prefix));
}

}  // namespace

bool is_interface_ioctl(uint32_t request) {
  switch (request) {
    case SIOCGIFCONF:
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFFLAGS:
    case SIOCGIFINDEX:
    case SIOCGIFNAME:
    case SIOCGIFMTU:
    case SIOCGIFHWADDR:
    case SIOCGIFBRDADDR:
    case SIOCGIFDSTADDR:
    case SIOCSIFADDR:
    case SIOCSIFFLAGS:
    case SIOCSIFMTU:
    case SIOCSIFNETMASK:
      return true;
    default:
      return false;
  }
}

Result<uint64_t> interface_ioctl(const Stack& stack, uint32_t request, uint64_t arg,
                                 mm::GuestMemory& mem) {
  if (request == SIOCGIFCONF) {
    ifconf conf = TRY(mem.read(mm::GuestPtr<ifconf>(arg)));
    // One entry per interface with an IPv4 address, as Linux's inet_gifconf.
    int used = 0;
    const uint64_t buf = reinterpret_cast<uint64_t>(conf.ifc_buf);
    for (const auto& iface : stack.interfaces()) {
      const InterfaceAddress* a = iface->first_address(IpVersion::kV4);
      if (a == nullptr) continue;
      if (buf != 0) {
        if (conf.ifc_len - used < static_cast<int>(sizeof(ifreq))) break;
        ifreq req{};
        std::strncpy(req.ifr_name, iface->name.c_str(), IFNAMSIZ - 1);
        put_v4(&req.ifr_addr, a->address);
        TRY(mem.write(mm::GuestPtr<ifreq>(buf + used), req));
      }
      used += static_cast<int>(sizeof(ifreq));
    }
    conf.ifc_len = used;
    TRY(mem.write(mm::GuestPtr<ifconf>(arg), conf));
    return 0;
  }
  if (!is_interface_ioctl(request)) return fail(ENOTTY);
  ifreq req = TRY(mem.read(mm::GuestPtr<ifreq>(arg)));
  if (request == SIOCGIFNAME) {
    for (const auto& iface : stack.interfaces()) {
      if (iface->index == req.ifr_ifindex) {
        std::memset(req.ifr_name, 0, IFNAMSIZ);
        std::strncpy(req.ifr_name, iface->name.c_str(), IFNAMSIZ - 1);
        TRY(mem.write(mm::GuestPtr<ifreq>(arg), req));
        return 0;
      }
    }
    return fail(ENODEV);
  }
  const NetInterface* iface = by_name(stack, req);
  if (iface == nullptr) return fail(ENODEV);
  const InterfaceAddress* v4 = iface->first_address(IpVersion::kV4);
  switch (request) {
    case SIOCGIFADDR:
      if (v4 == nullptr) return fail(EADDRNOTAVAIL);
      put_v4(&req.ifr_addr, v4->address);
      break;
    case SIOCGIFNETMASK:
      if (v4 == nullptr) return fail(EADDRNOTAVAIL);
      put_v4(&req.ifr_netmask, netmask_v4(v4->prefix_len));
      break;
    case SIOCGIFBRDADDR:
    case SIOCGIFDSTADDR:
      if (v4 == nullptr) return fail(EADDRNOTAVAIL);
      put_v4(&req.ifr_broadaddr, IpAddress::v4(0));
      break;
    case SIOCGIFFLAGS:
      req.ifr_flags = static_cast<short>(iface->flags);
      break;
    case SIOCGIFINDEX:
      req.ifr_ifindex = iface->index;
      break;
    case SIOCGIFMTU:
      req.ifr_mtu = static_cast<int>(iface->mtu);
      break;
    case SIOCGIFHWADDR:
      std::memset(&req.ifr_hwaddr, 0, sizeof(req.ifr_hwaddr));
      req.ifr_hwaddr.sa_family =
          (iface->flags & IFF_LOOPBACK) != 0 ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
      break;
    default:
      return fail(EPERM);  // the SIOCS* requests: the sandbox's interfaces are fixed
  }
  TRY(mem.write(mm::GuestPtr<ifreq>(arg), req));
  return 0;
}

}  // namespace ms::net
