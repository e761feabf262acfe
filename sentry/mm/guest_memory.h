// Checked access to a guest's memory. A guest address is only ever a number here: the only
// way to touch what it points at is a copy that can fail with EFAULT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "base/result.h"

namespace ms::mm {

// A typed guest pointer: cannot be dereferenced, only handed to GuestMemory.
template <class T>
class GuestPtr {
 public:
  GuestPtr() = default;
  explicit GuestPtr(uint64_t addr) : addr_(addr) {}
  uint64_t addr() const { return addr_; }
  bool null() const { return addr_ == 0; }
  GuestPtr operator+(uint64_t n) const { return GuestPtr(addr_ + n * sizeof(T)); }

 private:
  uint64_t addr_ = 0;
};

class GuestMemory {
 public:
  virtual ~GuestMemory() = default;

  // Whole copies: every byte or EFAULT.
  virtual Result<void> copy_in(uint64_t addr, std::span<std::byte> dst) = 0;
  virtual Result<void> copy_out(uint64_t addr, std::span<const std::byte> src) = 0;
  // Copies up to the first inaccessible byte; EFAULT only when not even one byte can be.
  virtual Result<size_t> copy_in_partial(uint64_t addr, std::span<std::byte> dst) = 0;
  virtual Result<size_t> copy_out_partial(uint64_t addr, std::span<const std::byte> src) = 0;
  // A NUL-terminated string of at most max_len bytes before the NUL; longer is
  // ENAMETOOLONG (the error path syscalls report for over-long paths).
  virtual Result<std::string> copy_in_string(uint64_t addr, size_t max_len) = 0;

  template <class T>
  Result<T> read(GuestPtr<T> p) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    TRY(copy_in(p.addr(), std::as_writable_bytes(std::span(&value, 1))));
    return value;
  }
  template <class T>
  Result<void> write(GuestPtr<T> p, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return copy_out(p.addr(), std::as_bytes(std::span(&value, 1)));
  }
};

}  // namespace ms::mm
