// An open file description: what a file descriptor refers to. Shared by dup() and fork(), it
// holds the status flags and (for seekable files) the offset. Every file type (regular
// files, pipes, sockets, eventfds, host stdio, ...) derives from it.
#pragma once

#include <fcntl.h>
#include <poll.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "fs/epoll_links.h"
#include "fs/stat.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/mm/guest_memory.h"

namespace ms::fs {

class FileDescription : public std::enable_shared_from_this<FileDescription> {
 public:
  // flags: the open(2) flags that survive open: access mode and status flags.
  explicit FileDescription(int flags) : flags_(flags) {}
  FileDescription(const FileDescription&) = delete;
  FileDescription& operator=(const FileDescription&) = delete;
  virtual ~FileDescription() = default;

  // Data transfer on sentry memory. EAGAIN means "would block": the syscall layer parks the
  // task on wait_queue() (unless O_NONBLOCK) and calls again when woken.
  virtual Result<size_t> read(std::span<std::byte> dst);
  virtual Result<size_t> write(std::span<const std::byte> src);
  virtual Result<size_t> pread(std::span<std::byte> dst, uint64_t offset);
  virtual Result<size_t> pwrite(std::span<const std::byte> src, uint64_t offset);
  virtual Result<uint64_t> seek(int64_t offset, int whence);
  virtual Result<Stat> stat();
  // Requests the file type understands; the generic ones (FIONBIO, FIOCLEX, ...) are handled
  // by the syscall layer before this is called.
  virtual Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem);

  // Which poll events (POLLIN, POLLOUT, POLLHUP, ...) hold now.
  virtual uint32_t readiness() { return POLLIN | POLLOUT; }
  // Notified whenever readiness() may have changed; nullptr if it never changes.
  virtual kernel::WaitQueue* wait_queue() { return nullptr; }
  // Whether the file can be polled (Linux's file_can_poll(): it has a poll method). epoll
  // refuses the others with EPERM; poll and select see them always ready.
  virtual bool pollable() { return wait_queue() != nullptr; }
  // The epoll items watching this description: they leave their interest lists when it is
  // destroyed (its last descriptor closed), as Linux's eventpoll_release() does.
  EpollLinks& epoll_links() { return epoll_links_; }

  // For /proc/PID/fd links and --strace.
  virtual std::string describe() const { return "anon_inode:[unknown]"; }

  int flags() const { return flags_; }
  // F_SETFL: only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and O_NONBLOCK change.
  void set_status_flags(int flags);
  bool readable() const { return (flags_ & O_ACCMODE) != O_WRONLY && (flags_ & O_PATH) == 0; }
  bool writable() const { return (flags_ & O_ACCMODE) != O_RDONLY && (flags_ & O_PATH) == 0; }
  bool nonblocking() const { return (flags_ & O_NONBLOCK) != 0; }

 private:
  int flags_;
  EpollLinks epoll_links_;
};

}  // namespace ms::fs
