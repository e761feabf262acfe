#include "fs/eventfd.h"

#include <fcntl.h>

#include <cstring>

#include "fs/anon_inode.h"

namespace ms::fs {

EventFd::EventFd(uint64_t initial, bool semaphore, int flags)
    : FileDescription(O_RDWR | (flags & O_NONBLOCK)), count_(initial), semaphore_(semaphore) {}

Result<size_t> EventFd::read(std::span<std::byte> dst) {
  uint64_t value = 0;
  if (dst.size() < sizeof(value)) return fail(EINVAL);
  if (count_ == 0) return fail(EAGAIN);
  value = semaphore_ ? 1 : count_;
  count_ -= value;
  std::memcpy(dst.data(), &value, sizeof(value));
  queue_.notify(POLLOUT);
  return sizeof(value);
}

Result<size_t> EventFd::write(std::span<const std::byte> src) {
  uint64_t value = 0;
  if (src.size() < sizeof(value)) return fail(EINVAL);
  std::memcpy(&value, src.data(), sizeof(value));
  if (value == ~uint64_t{0}) return fail(EINVAL);
  if (value > kMax - count_) return fail(EAGAIN);
  count_ += value;
  // Linux wakes readers even when 0 was added: an edge-triggered epoll sees a new event.
  queue_.notify(POLLIN);
  return sizeof(value);
}

Result<Stat> EventFd::stat() {
  return anon_inode_stat();
}

uint32_t EventFd::readiness() {
  uint32_t events = 0;
  if (count_ > 0) events |= POLLIN;
  if (count_ < kMax) events |= POLLOUT;
  return events;
}

}  // namespace ms::fs
