#include "fs/pipe.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "fs/superblock.h"
#include "fs/vfs.h"

namespace ms::fs {

Result<size_t> Pipe::read(std::span<std::byte> dst) {
  if (slots_.empty()) {
    if (writers == 0) return 0;
    return fail(EAGAIN);
  }
  size_t done = 0;
  while (done < dst.size() && !slots_.empty()) {
    Slot& s = slots_.front();
    const size_t n = std::min(dst.size() - done, s.len);
    std::memcpy(dst.data() + done, s.page->data() + s.offset, n);
    done += n;
    s.offset += n;
    s.len -= n;
    bytes_ -= n;
    if (s.packet) {
      // A packet is read whole or its rest is dropped.
      bytes_ -= s.len;
      slots_.pop_front();
      break;
    }
    if (s.len == 0) slots_.pop_front();
  }
  queue_.notify(POLLOUT | POLLWRNORM);
  return done;
}

size_t Pipe::peek(std::span<std::byte> dst, size_t offset) const {
  size_t done = 0;
  for (const Slot& s : slots_) {
    if (done == dst.size()) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    const size_t n = std::min(dst.size() - done, s.len - offset);
    std::memcpy(dst.data() + done, s.page->data() + s.offset + offset, n);
    done += n;
    offset = 0;
  }
  return done;
}

void Pipe::consume(size_t n) {
  while (n > 0 && !slots_.empty()) {
    Slot& s = slots_.front();
    const size_t step = std::min(n, s.len);
    s.offset += step;
    s.len -= step;
    bytes_ -= step;
    n -= step;
    if (s.len == 0) slots_.pop_front();
  }
  queue_.notify(POLLOUT | POLLWRNORM);
}

Result<size_t> Pipe::write(std::span<const std::byte> src, bool packet_mode) {
  if (readers == 0) return fail(EPIPE);  // SIGPIPE: raised by the signal layer
  if (src.empty()) return 0;
  size_t done = 0;
  // The part of the write beyond whole pages merges into the last slot if it fits there
  // whole (pipe_write()).
  const size_t tail = src.size() % kPipePage;
  if (tail != 0 && !slots_.empty() && !packet_mode) {
    Slot& last = slots_.back();
    if (!last.packet && last.offset + last.len + tail <= kPipePage) {
      std::memcpy(last.page->data() + last.offset + last.len, src.data(), tail);
      last.len += tail;
      bytes_ += tail;
      done = tail;
    }
  }
  while (done < src.size() && !full()) {
    const size_t n = std::min(src.size() - done, kPipePage);
    Slot s{std::make_unique<std::array<std::byte, kPipePage>>(), 0, n, packet_mode};
    std::memcpy(s.page->data(), src.data() + done, n);
    slots_.push_back(std::move(s));
    bytes_ += n;
    done += n;
  }
  if (done == 0) return fail(EAGAIN);
  queue_.notify(POLLIN | POLLRDNORM);
  return done;
}

Result<size_t> Pipe::set_capacity(uint64_t bytes) {
  if (bytes > (1ULL << 31)) return fail(EINVAL);
  const uint64_t pages = std::bit_ceil(std::max<uint64_t>(1, (bytes + kPipePage - 1) / kPipePage));
  if (slots_.size() > pages) return fail(EBUSY);
  max_slots_ = pages;
  queue_.notify(POLLOUT | POLLWRNORM);
  return capacity();
}

PipeEnd::PipeEnd(std::shared_ptr<Pipe> pipe, int flags, Path path)
    : FileDescription(flags, std::move(path)),
      pipe_(std::move(pipe)),
      reads_((flags & O_ACCMODE) != O_WRONLY),
      writes_((flags & O_ACCMODE) != O_RDONLY) {
  writer_opens_seen_ = pipe_->writer_opens;
  if (reads_) {
    ++pipe_->readers;
    ++pipe_->reader_opens;
  }
  if (writes_) {
    ++pipe_->writers;
    ++pipe_->writer_opens;
  }
  pipe_->queue().notify(POLLIN | POLLOUT);
}

PipeEnd::~PipeEnd() {
  if (reads_) --pipe_->readers;
  if (writes_) --pipe_->writers;
  if (pipe_->readers == 0 && pipe_->writers == 0) pipe_->clear();
  uint32_t events = 0;
  if (writes_ && pipe_->writers == 0) events |= POLLHUP | POLLIN;
  if (reads_ && pipe_->readers == 0) events |= POLLERR | POLLOUT;
  if (events != 0) pipe_->queue().notify(events);
}

void PipeEnd::expect_partner() {
  if (reads_ && writes_) return;
  waiting_ = true;
  partner_opens_ = reads_ ? pipe_->writer_opens : pipe_->reader_opens;
}

kernel::WaitQueue* PipeEnd::open_wait() {
  if (!waiting_) return nullptr;
  const uint64_t now = reads_ ? pipe_->writer_opens : pipe_->reader_opens;
  const int present = reads_ ? pipe_->writers : pipe_->readers;
  if (now != partner_opens_ || present > 0) {
    waiting_ = false;
    return nullptr;
  }
  return &pipe_->queue();
}

Result<size_t> PipeEnd::read(std::span<std::byte> dst) {
  if (dst.empty()) return 0;
  return pipe_->read(dst);
}

Result<size_t> PipeEnd::write(std::span<const std::byte> src) {
  return pipe_->write(src, (flags() & O_DIRECT) != 0);
}

Result<uint64_t> PipeEnd::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  if (request == FIONREAD) {
    TRY(mem.write(mm::GuestPtr<int>(arg), static_cast<int>(pipe_->bytes())));
    return 0;
  }
  return fail(ENOTTY);
}

uint32_t PipeEnd::readiness() {
  uint32_t r = 0;
  if (reads_) {
    if (pipe_->bytes() > 0) r |= POLLIN | POLLRDNORM;
    if (pipe_->writers == 0 && pipe_->writer_opens != writer_opens_seen_) r |= POLLHUP;
  }
  if (writes_) {
    if (!pipe_->full()) r |= POLLOUT | POLLWRNORM;
    if (pipe_->readers == 0) r |= POLLERR;
  }
  return r;
}

std::string PipeEnd::describe() const {
  auto st = const_cast<PipeEnd*>(this)->stat();
  return "pipe:[" + std::to_string(st ? st->ino : 0) + "]";
}

PipeInode::PipeInode(std::shared_ptr<Superblock> sb, uint32_t uid, uint32_t gid)
    : Inode(std::move(sb), S_IFIFO) {
  const Timestamp now = this->sb().now();
  attrs_ = Stat{.dev = this->sb().dev(),
                .ino = this->sb().allocate_ino(),
                .mode = S_IFIFO | 0600,
                .nlink = 1,
                .uid = uid,
                .gid = gid,
                .atime = now,
                .mtime = now,
                .ctime = now};
}

Result<Stat> PipeInode::stat() {
  Stat st = attrs_;
  st.size = 0;
  return st;
}

Result<std::shared_ptr<FileDescription>> PipeInode::open(const OpenRequest& request) {
  return open_fifo(pipe_, request);
}

Result<std::shared_ptr<FileDescription>> open_fifo(const std::shared_ptr<Pipe>& pipe,
                                                   const OpenRequest& request) {
  const int acc = request.flags & O_ACCMODE;
  const bool nonblock = (request.flags & O_NONBLOCK) != 0;
  if (acc == O_WRONLY && nonblock && pipe->readers == 0) return fail(ENXIO);
  auto end = std::make_shared<PipeEnd>(pipe, request.flags, request.path);
  // A reader that does not block never waits; one that blocks waits for a writer, and a
  // writer for a reader.
  if (!nonblock && acc != O_RDWR) end->expect_partner();
  return end;
}

PipeEnds make_pipe(Vfs& vfs, const Caller& caller, int flags) {
  const InternalFs& fs = vfs.internal_fs("pipefs", 0x50495045 /* PIPEFS_MAGIC */);
  auto inode = std::make_shared<PipeInode>(fs.sb, caller.creds.fsuid, caller.creds.fsgid);
  const std::string name = "pipe:[" + std::to_string(inode->stat()->ino) + "]";
  const Path path = vfs.detached(fs, inode, name);
  const int status = flags & (O_NONBLOCK | O_DIRECT);
  auto pipe = inode->pipe();
  return PipeEnds{std::make_shared<PipeEnd>(pipe, O_RDONLY | status, path),
                  std::make_shared<PipeEnd>(pipe, O_WRONLY | status, path)};
}

}  // namespace ms::fs
