// Pipes and FIFOs. The buffer follows Linux's model exactly: a ring of page-sized slots (16
// by default, 64 KiB), a write's tail merged into the last slot only when it fits whole,
// so that a write of up to PIPE_BUF bytes is never split and a full pipe holds exactly what
// it holds on Linux. O_DIRECT pipes keep each write as one packet.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <span>

#include "fs/file_description.h"
#include "fs/inode.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::fs {

class Vfs;

inline constexpr size_t kPipePage = 4096;
inline constexpr size_t kPipeDefaultSlots = 16;
inline constexpr size_t kPipeBuf = 4096;  // PIPE_BUF

class Pipe {
 public:
  // EAGAIN when empty with writers; 0 (end of file) when empty without.
  Result<size_t> read(std::span<std::byte> dst);
  // Copies bytes from `offset` on without consuming them (tee); returns how many.
  size_t peek(std::span<std::byte> dst, size_t offset) const;
  // Drops n bytes from the front (splice's consumer side after a peek).
  void consume(size_t n);
  // EPIPE without readers; EAGAIN when nothing fits (a write of up to PIPE_BUF bytes waits
  // for room for all of it).
  Result<size_t> write(std::span<const std::byte> src, bool packet_mode);

  size_t bytes() const { return bytes_; }
  size_t capacity() const { return max_slots_ * kPipePage; }
  // F_SETPIPE_SZ: rounds up to a power-of-two number of pages; EBUSY if the data does not
  // fit, EINVAL above 2^31 bytes. Returns the new capacity.
  Result<size_t> set_capacity(uint64_t bytes);
  bool full() const { return slots_.size() >= max_slots_; }

  int readers = 0;
  int writers = 0;
  // How many readers/writers have ever opened (a FIFO opener waits for the other side's
  // counter to move).
  uint64_t reader_opens = 0;
  uint64_t writer_opens = 0;
  // Both ends closed: a FIFO's unread data is thrown away.
  void clear() {
    slots_.clear();
    bytes_ = 0;
  }
  kernel::WaitQueue& queue() { return queue_; }

 private:
  struct Slot {
    std::unique_ptr<std::array<std::byte, kPipePage>> page;
    size_t offset = 0;
    size_t len = 0;
    bool packet = false;
  };
  std::deque<Slot> slots_;
  size_t max_slots_ = kPipeDefaultSlots;
  size_t bytes_ = 0;
  kernel::WaitQueue queue_;
};

// One open end of a pipe or FIFO (both ends for a FIFO opened O_RDWR).
class PipeEnd final : public FileDescription {
 public:
  // Registers as reader and/or writer by flags' access mode.
  PipeEnd(std::shared_ptr<Pipe> pipe, int flags, Path path);
  ~PipeEnd() override;

  Result<size_t> read(std::span<std::byte> dst) override;
  Result<size_t> write(std::span<const std::byte> src) override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) override;
  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override { return &pipe_->queue(); }
  std::string describe() const override;

  Pipe& pipe() { return *pipe_; }
  // A FIFO opened without O_NONBLOCK waits until the other side has opened; non-null while
  // it must still wait.
  kernel::WaitQueue* open_wait();
  // FIFO semantics: the opener waits for a partner.
  void expect_partner();

 private:
  std::shared_ptr<Pipe> pipe_;
  bool reads_;
  bool writes_;
  bool waiting_ = false;
  uint64_t partner_opens_ = 0;      // the other side's open count when this end opened
  uint64_t writer_opens_seen_ = 0;  // for POLLHUP: a writer came and went since this opened
};

// The inode of a pipe made by pipe(2) (in pipefs, outside the tree): opening it again
// through /proc/PID/fd behaves like opening a FIFO.
class PipeInode final : public Inode {
 public:
  PipeInode(std::shared_ptr<Superblock> sb, uint32_t uid, uint32_t gid);
  Result<Stat> stat() override;
  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;
  const std::shared_ptr<Pipe>& pipe() const { return pipe_; }

 private:
  std::shared_ptr<Pipe> pipe_ = std::make_shared<Pipe>();
  Stat attrs_;
};

// open(2) of a FIFO: ENXIO for a non-blocking writer without readers.
Result<std::shared_ptr<FileDescription>> open_fifo(const std::shared_ptr<Pipe>& pipe,
                                                   const OpenRequest& request);

struct PipeEnds {
  std::shared_ptr<PipeEnd> read;
  std::shared_ptr<PipeEnd> write;
};
// pipe2(2): flags may hold O_NONBLOCK and O_DIRECT.
PipeEnds make_pipe(Vfs& vfs, const Caller& caller, int flags);

}  // namespace ms::fs
