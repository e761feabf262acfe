// A host file descriptor the guest uses directly: the guest's stdio. The sentry never
// blocks on it: pipes and terminals are reopened non-blocking (a private open file
// description, so the invoking shell's stays as it was), and waiting goes through the event
// loop's host poller.
#pragma once

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "fs/file_description.h"
#include "sentry/kernel/host_fd_watch.h"
#include "sentry/kernel/host_poller.h"

namespace ms::fs {

class HostFile final : public FileDescription {
 public:
  // Wraps host fd `fd` (the sentry's own stdio). nullptr when fd is not open.
  static std::shared_ptr<HostFile> from_stdio(int fd, kernel::HostPoller& poller);
  ~HostFile() override;

  Result<size_t> read(std::span<std::byte> dst) override;
  Result<size_t> write(std::span<const std::byte> src) override;
  Result<size_t> pread(std::span<std::byte> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const std::byte> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  Result<Stat> stat() override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;
  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override;
  bool pollable() override { return pollable_; }
  std::string describe() const override { return name_; }

  bool is_tty() const { return tty_; }
  // The terminal's TOSTOP: background writers get SIGTTOU.
  bool tostop() const;

 private:
  HostFile(UniqueFd fd, int flags, kernel::HostPoller& poller, std::string name, bool socket,
           bool tty, bool pollable);

  // A new waiter: the host poller watches for what it waits for.
  static void on_wait(void* self, uint32_t events);

  UniqueFd fd_;
  kernel::WaitQueue queue_;
  kernel::HostFdWatch watch_;
  std::string name_;
  bool socket_;
  bool tty_;
  bool pollable_;  // the host file has a poll method (not a regular file, not /dev/null)
};

}  // namespace ms::fs
