#include "net/port_table.h"

#include <algorithm>

namespace ms::net {
namespace {

// The addresses one binding covers, by IP version: none, a wildcard, or one address.
struct Coverage {
  enum Kind : uint8_t { kNone, kAny, kOne };
  Kind v4 = kNone;
  Kind v6 = kNone;
  IpAddress v4_addr;
  IpAddress v6_addr;
};

Coverage coverage(const Binding& b) {
  Coverage c;
  if (b.family == IpVersion::kV4) {
    c.v4 = b.addr.is_unspecified() ? Coverage::kAny : Coverage::kOne;
    c.v4_addr = b.addr;
    return c;
  }
  if (b.addr.is_v4_mapped()) {
    const IpAddress v4 = b.addr.unmapped();
    c.v4 = v4.is_unspecified() ? Coverage::kAny : Coverage::kOne;
    c.v4_addr = v4;
    return c;
  }
  if (b.addr.is_unspecified()) {
    c.v6 = Coverage::kAny;
    if (!b.v6only) c.v4 = Coverage::kAny;
    return c;
  }
  c.v6 = Coverage::kOne;
  c.v6_addr = b.addr;
  return c;
}

bool overlap(Coverage::Kind a, const IpAddress& aa, Coverage::Kind b, const IpAddress& ba) {
  if (a == Coverage::kNone || b == Coverage::kNone) return false;
  if (a == Coverage::kAny || b == Coverage::kAny) return true;
  return aa == ba;
}

bool addresses_overlap(const Binding& a, const Binding& b) {
  const Coverage ca = coverage(a);
  const Coverage cb = coverage(b);
  return overlap(ca.v4, ca.v4_addr, cb.v4, cb.v4_addr) ||
         overlap(ca.v6, ca.v6_addr, cb.v6, cb.v6_addr);
}

// Linux's inet_bind_conflict, with the address check folded in.
bool conflict(const Binding& b, const Binding& existing) {
  if (&b == &existing) return false;
  if (!addresses_overlap(b, existing)) return false;
  if (b.reuse_addr && existing.reuse_addr && existing.state != Binding::State::kListen) {
    return false;
  }
  if (b.reuse_port && existing.reuse_port &&
      (existing.state == Binding::State::kTimeWait || existing.uid == b.uid)) {
    return false;
  }
  return true;
}

}  // namespace

bool binding_accepts(const Binding& b, const IpAddress& to) {
  const Coverage c = coverage(b);
  if (to.is_v4()) {
    return c.v4 == Coverage::kAny || (c.v4 == Coverage::kOne && c.v4_addr == to);
  }
  return c.v6 == Coverage::kAny || (c.v6 == Coverage::kOne && c.v6_addr == to);
}

bool PortTable::conflicts(const Binding& b, uint16_t port) const {
  auto it = ports_.find(port);
  if (it == ports_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Binding* other) { return conflict(b, *other); });
}

Result<void> PortTable::bind(Binding& b) {
  if (b.registered) return fail(EINVAL);
  if (b.port == 0) {
    // An ephemeral port: start somewhere random and take the first port nobody holds.
    constexpr uint32_t kCount = kEphemeralLast - kEphemeralFirst + 1;
    const auto start = static_cast<uint32_t>(rng_.below(kCount));
    for (uint32_t i = 0; i < kCount; ++i) {
      const auto port = static_cast<uint16_t>(kEphemeralFirst + (start + i) % kCount);
      auto it = ports_.find(port);
      if (it != ports_.end() && !it->second.empty()) continue;
      b.port = port;
      break;
    }
    if (b.port == 0) return fail(EADDRINUSE);
  } else if (conflicts(b, b.port)) {
    return fail(EADDRINUSE);
  }
  ports_[b.port].push_back(&b);
  b.registered = true;
  return {};
}

void PortTable::unbind(Binding& b) {
  if (!b.registered) return;
  auto it = ports_.find(b.port);
  if (it != ports_.end()) {
    std::erase(it->second, &b);
    if (it->second.empty()) ports_.erase(it);
  }
  b.registered = false;
}

void PortTable::inherit(Binding& b) {
  if (b.registered) return;
  ports_[b.port].push_back(&b);
  b.registered = true;
}

Result<void> PortTable::check_listen(const Binding& b) const {
  if (conflicts(b, b.port)) return fail(EADDRINUSE);
  return {};
}

const std::vector<Binding*>* PortTable::on_port(uint16_t port) const {
  auto it = ports_.find(port);
  return it == ports_.end() ? nullptr : &it->second;
}

}  // namespace ms::net
