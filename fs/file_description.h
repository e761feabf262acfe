// An open file description: what a file descriptor refers to. Shared by dup() and fork(), it
// holds the status flags and (for seekable files) the offset. Every file type (regular
// files, pipes, sockets, eventfds, host stdio, ...) derives from it. Files opened through the
// VFS remember where they were found (their Path) for fstat, fchdir, *at() calls and /proc.
#pragma once

#include <fcntl.h>
#include <poll.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "fs/dentry.h"
#include "fs/epoll_links.h"
#include "fs/inode.h"
#include "fs/path.h"
#include "fs/stat.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/mm/guest_memory.h"
#include "sentry/mm/vma_set.h"

namespace ms::fs {

// The kernel's O_LARGEFILE: every open on x86-64 has it (F_GETFL shows it), but the C
// library defines O_LARGEFILE as 0 there.
inline constexpr int kLargeFile = 0100000;

// What mmap(2) maps for a file: a host fd the platform maps into the guest (tmpfs memfds,
// confined host files), and the name /proc/PID/maps shows.
struct MmapTarget {
  int host_fd = -1;  // borrowed: valid while the description lives
  std::shared_ptr<mm::MappedFile> file;
};

class FileDescription : public std::enable_shared_from_this<FileDescription> {
 public:
  // flags: the open(2) flags that survive open: access mode and status flags.
  explicit FileDescription(int flags) : flags_(flags) {}
  FileDescription(int flags, Path path) : flags_(flags), path_(std::move(path)) {}
  FileDescription(const FileDescription&) = delete;
  FileDescription& operator=(const FileDescription&) = delete;
  // Drops the OFD and flock locks this description holds.
  virtual ~FileDescription();

  // Data transfer on sentry memory. EAGAIN means "would block": the syscall layer parks the
  // task on wait_queue() (unless O_NONBLOCK) and calls again when woken.
  virtual Result<size_t> read(std::span<std::byte> dst);
  virtual Result<size_t> write(std::span<const std::byte> src);
  virtual Result<size_t> pread(std::span<std::byte> dst, uint64_t offset);
  virtual Result<size_t> pwrite(std::span<const std::byte> src, uint64_t offset);
  virtual Result<uint64_t> seek(int64_t offset, int whence);
  // The attributes of the file; by default those of the inode it was opened from.
  virtual Result<Stat> stat();
  // Requests the file type understands; the generic ones (FIONBIO, FIOCLEX, ...) are handled
  // by the syscall layer before this is called.
  virtual Result<uint64_t> ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem);
  // getdents64: emits entries from the current position, advancing it. ENOTDIR for files.
  virtual Result<void> readdir(const DirEmit& emit);
  // fallocate(2) after the VFS's checks (mode bits as Linux defines them).
  virtual Result<void> allocate(int mode, uint64_t offset, uint64_t len);
  // fsync/fdatasync: EINVAL for files that cannot be synced (pipes, devices).
  virtual Result<void> sync(bool data_only);
  // ENODEV for files that cannot be mapped. shared_write: the mapping is MAP_SHARED and
  // may be written (the returned host fd allows it); otherwise the host fd may be read-only,
  // so that the host refuses a later mprotect(PROT_WRITE) on a shared mapping.
  virtual Result<MmapTarget> mmap_target(bool shared_write);

  // Which poll events (POLLIN, POLLOUT, POLLHUP, ...) hold now; by default a file is
  // always ready (Linux's DEFAULT_POLLMASK).
  virtual uint32_t readiness() { return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM; }
  // Notified whenever readiness() may have changed; nullptr if it never changes.
  virtual kernel::WaitQueue* wait_queue() { return nullptr; }
  // Whether the file can be polled (Linux's file_can_poll(): it has a poll method). epoll
  // refuses the others with EPERM; poll and select see them always ready.
  virtual bool pollable() { return wait_queue() != nullptr; }
  // The epoll items watching this description: they leave their interest lists when it is
  // destroyed (its last descriptor closed), as Linux's eventpoll_release() does.
  EpollLinks& epoll_links() { return epoll_links_; }

  // For /proc/PID/fd links and --strace, when the file has no path.
  virtual std::string describe() const { return "anon_inode:[unknown]"; }
  // The offset /proc/PID/fdinfo shows.
  virtual uint64_t position() const { return 0; }

  // Where the file was opened; empty for files outside the VFS (host stdio).
  const Path& path() const { return path_; }
  // The inode behind path(), or nullptr.
  Inode* inode() const { return path_ ? path_.dentry->inode().get() : nullptr; }

  // F_SETOWN / F_SETSIG: who would get SIGIO, and which signal.
  struct AsyncOwner {
    int type = 0;  // F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP
    int pid = 0;
    int signal = 0;
  };
  AsyncOwner& async_owner() { return async_owner_; }

  int flags() const { return flags_; }
  // F_SETFL: only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and O_NONBLOCK change.
  void set_status_flags(int flags);
  bool readable() const { return (flags_ & O_ACCMODE) != O_WRONLY && (flags_ & O_PATH) == 0; }
  bool writable() const { return (flags_ & O_ACCMODE) != O_RDONLY && (flags_ & O_PATH) == 0; }
  bool nonblocking() const { return (flags_ & O_NONBLOCK) != 0; }
  bool append() const { return (flags_ & O_APPEND) != 0; }

 protected:
  void set_path(Path path) { path_ = std::move(path); }

 private:
  int flags_;
  Path path_;
  AsyncOwner async_owner_;
  EpollLinks epoll_links_;
};

// An O_PATH descriptor: a place in the tree, usable as a dirfd, for fstat, fchdir and
// /proc links; every I/O call fails with EBADF.
class PathOnlyFile final : public FileDescription {
 public:
  PathOnlyFile(int flags, Path path) : FileDescription(flags, std::move(path)) {}
};

}  // namespace ms::fs
