// RAII for a read-only mapping of a host file in the sentry's own memory.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <span>
#include <utility>

namespace ms {

class HostMapping {
 public:
  HostMapping() = default;
  HostMapping(void* addr, size_t len) : addr_(addr), len_(len) {}
  HostMapping(HostMapping&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), len_(std::exchange(o.len_, 0)) {}
  HostMapping& operator=(HostMapping&& o) noexcept {
    if (this != &o) {
      reset();
      addr_ = std::exchange(o.addr_, nullptr);
      len_ = std::exchange(o.len_, 0);
    }
    return *this;
  }
  HostMapping(const HostMapping&) = delete;
  HostMapping& operator=(const HostMapping&) = delete;
  ~HostMapping() { reset(); }

  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(addr_), len_}; }
  void reset() {
    if (addr_ != nullptr) munmap(addr_, len_);
    addr_ = nullptr;
    len_ = 0;
  }

 private:
  void* addr_ = nullptr;
  size_t len_ = 0;
};

}  // namespace ms
