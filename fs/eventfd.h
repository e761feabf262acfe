// eventfd(2): a 64-bit counter as a file. write() adds to it, read() takes it all (or one,
// in semaphore mode); readable while non-zero, writable while another 1 still fits.
#pragma once

#include <cstdint>
#include <memory>

#include "fs/file_description.h"

namespace ms::fs {

class EventFd final : public FileDescription {
 public:
  // flags: O_NONBLOCK (EFD_NONBLOCK) is the only status flag kept.
  EventFd(uint64_t initial, bool semaphore, int flags);

  // At least 8 bytes: the counter (or 1) as a native-endian u64, leaving 0 (or one less).
  // EINVAL for a smaller buffer, EAGAIN while the counter is 0.
  Result<size_t> read(std::span<std::byte> dst) override;
  // At least 8 bytes: a u64 added to the counter. EINVAL for a smaller buffer or for
  // 0xffffffffffffffff, EAGAIN while the sum would exceed 0xfffffffffffffffe.
  Result<size_t> write(std::span<const std::byte> src) override;
  Result<Stat> stat() override;
  // noop_llseek: the position stays 0 and lseek reports it.
  Result<uint64_t> seek(int64_t /*offset*/, int /*whence*/) override { return 0; }
  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override { return &queue_; }
  std::string describe() const override { return "anon_inode:[eventfd]"; }

  uint64_t count() const { return count_; }
  bool semaphore() const { return semaphore_; }

  // The largest value the counter may hold.
  static constexpr uint64_t kMax = ~uint64_t{0} - 1;

 private:
  uint64_t count_;
  bool semaphore_;
  kernel::WaitQueue queue_;
};

}  // namespace ms::fs
