// Moving data between files without the guest's memory: sendfile(2), splice(2), tee(2),
// vmsplice(2), copy_file_range(2). Bytes pass through the sentry's scratch buffer; the
// source is only consumed for what the destination took, so a full pipe loses nothing.
#include <fcntl.h>

#include "fs/pipe.h"
#include "fs/seekable_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_io.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"

namespace ms::sys {
namespace {

constexpr unsigned kSpliceAll = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
constexpr uint64_t kChunk = 1 << 20;

fs::PipeEnd* pipe_of(fs::FileDescription& f) {
  return dynamic_cast<fs::PipeEnd*>(&f);
}

// Where bytes come from: a pipe (peeked, then consumed), or a file read at a position that
// moves by what was taken (its own offset, or the caller's).
struct Source {
  fs::FileDescription& file;
  std::optional<uint64_t> pos;  // explicit offset; otherwise the file offset (or the pipe)

  Result<size_t> peek(std::span<std::byte> buf) {
    if (fs::PipeEnd* p = pipe_of(file)) {
      if (p->pipe().bytes() == 0) return p->pipe().writers == 0 ? Result<size_t>(0) : fail(EAGAIN);
      return p->pipe().peek(buf, 0);
    }
    return file.pread(buf, pos ? *pos : file.position());
  }
  Result<void> consume(size_t n) {
    if (fs::PipeEnd* p = pipe_of(file)) {
      p->pipe().consume(n);
    } else if (pos) {
      *pos += n;
    } else {
      TRY(file.seek(static_cast<int64_t>(n), SEEK_CUR));
    }
    return {};
  }
};

struct Sink {
  fs::FileDescription& file;
  std::optional<uint64_t> pos;

  Result<size_t> write(std::span<const std::byte> buf) {
    if (pos) {
      const size_t n = TRY(file.pwrite(buf, *pos));
      *pos += n;
      return n;
    }
    return file.write(buf);
  }
};

// Moves up to count bytes. Parks while the source is empty or the sink full (unless
// nonblock) until something moved; after that, returns what moved unless `complete` asks
// for all of count (sendfile to a blocking file). Progress made before parking is kept in
// t.syscall_progress.
SysRet transfer(kernel::Task& t, Source& in, Sink& out, uint64_t count, bool nonblock,
                bool complete = false) {
  uint64_t done = t.syscall_progress;
  while (done < count) {
    const uint64_t want = std::min(count - done, kChunk);
    std::span<std::byte> buf = t.kernel().scratch(want);
    auto n = in.peek(buf);
    if (!n) {
      if (n.error() != Errno{EAGAIN} || done > 0) return done > 0 ? SysRet(done) : SysRet(n);
      if (nonblock) return fail(EAGAIN);
      if (kernel::WaitQueue* q = in.file.wait_queue()) t.add_wait(*q, POLLIN | POLLHUP);
      return t.park();
    }
    if (*n == 0) break;
    auto w = out.write(buf.first(*n));
    if (!w) {
      if (w.error() != Errno{EAGAIN}) return done > 0 ? SysRet(done) : SysRet(w);
      if (nonblock || (done > 0 && !complete)) return done > 0 ? SysRet(done) : fail(EAGAIN);
      t.syscall_progress = done;
      if (kernel::WaitQueue* q = out.file.wait_queue()) t.add_wait(*q, POLLOUT | POLLERR);
      auto parked = t.park();
      if (parked.error() != Errno{EPARKED} && done > 0) return done;
      return parked;
    }
    TRY(in.consume(*w));
    done += *w;
  }
  return done;
}

// An offset argument (loff_t *): nullopt for a null pointer.
Result<std::optional<uint64_t>> read_offset(kernel::Task& t, uint64_t addr) {
  if (addr == 0) return std::optional<uint64_t>();
  const int64_t off = TRY(t.mm().read(mm::GuestPtr<int64_t>(addr)));
  if (off < 0) return fail(EINVAL);
  return std::optional<uint64_t>(static_cast<uint64_t>(off));
}

Result<void> write_offset(kernel::Task& t, uint64_t addr, const std::optional<uint64_t>& pos) {
  if (addr != 0 && pos) TRY(t.mm().write(mm::GuestPtr<int64_t>(addr), static_cast<int64_t>(*pos)));
  return {};
}

bool seekable(fs::FileDescription& f) {
  return dynamic_cast<fs::SeekableFile*>(&f) != nullptr;
}

}  // namespace

SysRet sys_sendfile(kernel::Task& t, const SyscallArgs& a) {
  auto in = TRY(io_file(t, static_cast<int>(a[1])));
  if (!in->readable()) return fail(EBADF);
  std::optional<uint64_t> pos;
  if (a[2] != 0) {
    pos = TRY(read_offset(t, a[2]));
    if (!seekable(*in)) return fail(ESPIPE);
  }
  const uint64_t count = std::min<uint64_t>(a[3], kMaxRwCount);
  if (static_cast<int64_t>(a[3]) < 0) return fail(EINVAL);
  auto out = TRY(io_file(t, static_cast<int>(a[0])));
  if (!out->writable()) return fail(EBADF);
  if (out->append()) return fail(EINVAL);
  // The source must be a file the kernel can read at an offset, or a pipe.
  if (!seekable(*in) && pipe_of(*in) == nullptr) return fail(EINVAL);
  Source src{*in, pos};
  Sink dst{*out, std::nullopt};
  auto r = transfer(t, src, dst, count, out->nonblocking(), /*complete=*/true);
  // Kept current while parked too: the rerun continues from the guest's offset.
  if (r || r.error() == Errno{EPARKED}) TRY(write_offset(t, a[2], src.pos));
  return r;
}

SysRet sys_splice(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t len = a[4];
  const auto flags = static_cast<unsigned>(a[5]);
  if (len == 0) return 0;
  if ((flags & ~kSpliceAll) != 0) return fail(EINVAL);
  auto in = TRY(io_file(t, static_cast<int>(a[0])));
  auto out = TRY(io_file(t, static_cast<int>(a[2])));
  fs::PipeEnd* ipipe = pipe_of(*in);
  fs::PipeEnd* opipe = pipe_of(*out);
  if (ipipe != nullptr && a[1] != 0) return fail(ESPIPE);
  if (opipe != nullptr && a[3] != 0) return fail(ESPIPE);
  std::optional<uint64_t> off_in = TRY(read_offset(t, a[1]));
  std::optional<uint64_t> off_out = TRY(read_offset(t, a[3]));
  if (!in->readable() || !out->writable()) return fail(EBADF);
  bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  const uint64_t count = std::min<uint64_t>(len, kMaxRwCount);
  if (ipipe != nullptr && opipe != nullptr) {
    if (&ipipe->pipe() == &opipe->pipe()) return fail(EINVAL);
    nonblock = nonblock || in->nonblocking() || out->nonblocking();
  } else if (ipipe != nullptr) {
    if (off_out && !seekable(*out)) return fail(EINVAL);
    if (out->append()) return fail(EINVAL);
    nonblock = nonblock || in->nonblocking();
  } else if (opipe != nullptr) {
    if (off_in && !seekable(*in)) return fail(EINVAL);
    nonblock = nonblock || out->nonblocking();
  } else {
    return fail(EINVAL);
  }
  Source src{*in, off_in};
  Sink dst{*out, off_out};
  auto r = transfer(t, src, dst, count, nonblock);
  if (r || r.error() == Errno{EPARKED}) {
    TRY(write_offset(t, a[1], src.pos));
    TRY(write_offset(t, a[3], dst.pos));
  }
  return r;
}

SysRet sys_tee(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t len = a[2];
  const auto flags = static_cast<unsigned>(a[3]);
  if ((flags & ~kSpliceAll) != 0) return fail(EINVAL);
  if (len == 0) return 0;
  auto in = TRY(io_file(t, static_cast<int>(a[0])));
  auto out = TRY(io_file(t, static_cast<int>(a[1])));
  if (!in->readable() || !out->writable()) return fail(EBADF);
  fs::PipeEnd* ipipe = pipe_of(*in);
  fs::PipeEnd* opipe = pipe_of(*out);
  if (ipipe == nullptr || opipe == nullptr || &ipipe->pipe() == &opipe->pipe()) {
    return fail(EINVAL);
  }
  const bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  fs::Pipe& from = ipipe->pipe();
  fs::Pipe& to = opipe->pipe();
  // Wait for data to copy, then for room to copy it to; copy what fits of what is there.
  if (from.bytes() == 0) {
    if (from.writers == 0) return 0;
    if (nonblock) return fail(EAGAIN);
    t.add_wait(from.queue(), POLLIN | POLLHUP);
    return t.park();
  }
  if (to.readers == 0) return fail(EPIPE);  // SIGPIPE: raised by the signal layer
  if (to.full()) {
    if (nonblock) return fail(EAGAIN);
    t.add_wait(to.queue(), POLLOUT | POLLERR);
    return t.park();
  }
  std::span<std::byte> buf = t.kernel().scratch(std::min<uint64_t>(len, from.bytes()));
  const size_t n = from.peek(buf, 0);
  return TRY(to.write(buf.first(n), (out->flags() & O_DIRECT) != 0));
}

SysRet sys_vmsplice(kernel::Task& t, const SyscallArgs& a) {
  const auto flags = static_cast<unsigned>(a[3]);
  if ((flags & ~kSpliceAll) != 0) return fail(EINVAL);
  auto file = TRY(io_file(t, static_cast<int>(a[0])));
  const bool to_pipe = file->writable();
  if (!to_pipe && !file->readable()) return fail(EBADF);
  if (pipe_of(*file) == nullptr) return fail(EBADF);
  const auto iov = TRY(copy_in_iovecs(t, a[1], a[2]));
  const bool nowait = (flags & SPLICE_F_NONBLOCK) != 0;
  if (to_pipe) return write_from_guest(t, *file, iov, std::nullopt, nowait);
  return read_to_guest(t, *file, iov, std::nullopt, nowait);
}

SysRet sys_copy_file_range(kernel::Task& t, const SyscallArgs& a) {
  auto in = TRY(io_file(t, static_cast<int>(a[0])));
  auto out = TRY(io_file(t, static_cast<int>(a[2])));
  std::optional<uint64_t> off_in = TRY(read_offset(t, a[1]));
  std::optional<uint64_t> off_out = TRY(read_offset(t, a[3]));
  if (a[5] != 0) return fail(EINVAL);
  fs::Inode* iin = in->inode();
  fs::Inode* iout = out->inode();
  if ((iin != nullptr && iin->is_dir()) || (iout != nullptr && iout->is_dir())) return fail(EISDIR);
  if (iin == nullptr || iout == nullptr || !iin->is_reg() || !iout->is_reg()) return fail(EINVAL);
  if (!in->readable() || !out->writable() || out->append()) return fail(EBADF);
  const uint64_t pos_in = off_in ? *off_in : in->position();
  const uint64_t pos_out = off_out ? *off_out : out->position();
  const uint64_t size_in = TRY(in->stat()).size;
  uint64_t count = std::min<uint64_t>(a[4], kMaxRwCount);
  count = pos_in >= size_in ? 0 : std::min(count, size_in - pos_in);
  // The same file may not copy onto an overlapping range of itself.
  if (iin == iout && pos_in < pos_out + count && pos_out < pos_in + count) return fail(EINVAL);
  if (count == 0) return 0;
  Source src{*in, pos_in};
  Sink dst{*out, pos_out};
  const uint64_t n = TRY(transfer(t, src, dst, count, true));
  if (off_in) {
    TRY(write_offset(t, a[1], src.pos));
  } else {
    TRY(in->seek(static_cast<int64_t>(n), SEEK_CUR));
  }
  if (off_out) {
    TRY(write_offset(t, a[3], dst.pos));
  } else {
    TRY(out->seek(static_cast<int64_t>(n), SEEK_CUR));
  }
  return n;
}

}  // namespace ms::sys
