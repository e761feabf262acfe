#include "sentry/syscalls/file_io.h"

#include <poll.h>
#include <sys/uio.h>

#include <algorithm>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/socket_io.h"

namespace ms::sys {
namespace {

constexpr uint64_t kChunk = 1 << 20;

uint64_t total_length(std::span<const GuestRange> ranges) {
  uint64_t total = 0;
  for (const auto& r : ranges)
    total += r.len;
  return std::min(total, kMaxRwCount);
}

// Walks a list of guest ranges as one flat byte sequence.
class RangeCursor {
 public:
  explicit RangeCursor(std::span<const GuestRange> ranges) : ranges_(ranges) {}
  void skip(uint64_t n) {
    while (n > 0 && index_ < ranges_.size()) {
      const uint64_t left = ranges_[index_].len - within_;
      const uint64_t step = std::min(n, left);
      within_ += step;
      n -= step;
      if (within_ == ranges_[index_].len) {
        ++index_;
        within_ = 0;
      }
    }
  }
  // Copies bytes between guest and sentry memory, advancing; returns how many moved before
  // the first fault.
  template <class Fn>
  uint64_t transfer(uint64_t n, Fn&& fn) {
    uint64_t done = 0;
    while (done < n && index_ < ranges_.size()) {
      const GuestRange& r = ranges_[index_];
      if (within_ == r.len) {  // an empty iovec (musl's unbuffered stdio writes one)
        ++index_;
        within_ = 0;
        continue;
      }
      const uint64_t step = std::min(n - done, r.len - within_);
      const uint64_t moved = fn(r.addr + within_, done, step);
      done += moved;
      skip(moved);
      if (moved < step) break;
    }
    return done;
  }

 private:
  std::span<const GuestRange> ranges_;
  size_t index_ = 0;
  uint64_t within_ = 0;
};

}  // namespace

void raise_sigpipe(kernel::Task& t) {
  t.kernel().send_signal(
      t, kernel::user_siginfo(SIGPIPE, SI_USER, t.pid(), t.thread_group().creds().ruid));
}

SysRet read_to_guest(kernel::Task& t, fs::FileDescription& file, std::span<const GuestRange> dst,
                     std::optional<uint64_t> offset, bool nowait) {
  if (auto* socket = dynamic_cast<net::Socket*>(&file); socket != nullptr && !offset) {
    return socket_read(t, *socket, dst, nowait);
  }
  const uint64_t total = total_length(dst);
  RangeCursor cursor(dst);
  uint64_t done = 0;
  while (done < total || total == 0) {
    const uint64_t want = std::min(total - done, kChunk);
    std::span<std::byte> buf = t.kernel().scratch(want);
    auto n = offset ? file.pread(buf, *offset + done) : file.read(buf);
    if (!n) {
      if (n.error() != Errno{EAGAIN} || done > 0) return done > 0 ? SysRet(done) : SysRet(n);
      if (file.nonblocking() || nowait) return fail(EAGAIN);
      if (kernel::WaitQueue* q = file.wait_queue()) {
        t.add_wait(*q, POLLIN | POLLHUP | POLLERR | POLLRDHUP);
      }
      return t.park();
    }
    if (*n == 0) break;
    const uint64_t copied = cursor.transfer(*n, [&](uint64_t addr, uint64_t at, uint64_t len) {
      auto c = t.mm().copy_out_partial(addr, buf.subspan(at, len));
      return c ? *c : 0;
    });
    done += copied;
    if (copied < *n) return done > 0 ? SysRet(done) : fail(EFAULT);
    if (*n < want || total == 0) break;
  }
  return done;
}

SysRet write_from_guest(kernel::Task& t, fs::FileDescription& file, std::span<const GuestRange> src,
                        std::optional<uint64_t> offset, bool nowait) {
  if (auto* socket = dynamic_cast<net::Socket*>(&file); socket != nullptr && !offset) {
    return socket_write(t, *socket, src, nowait);
  }
  const uint64_t total = total_length(src);
  uint64_t done = t.syscall_progress;
  RangeCursor cursor(src);
  cursor.skip(done);
  while (done < total || total == 0) {
    const uint64_t want = std::min(total - done, kChunk);
    std::span<std::byte> buf = t.kernel().scratch(want);
    const uint64_t gathered = cursor.transfer(want, [&](uint64_t addr, uint64_t at, uint64_t len) {
      auto c = t.mm().copy_in_partial(addr, buf.subspan(at, len));
      return c ? *c : 0;
    });
    if (gathered == 0 && want > 0) return done > 0 ? SysRet(done) : fail(EFAULT);
    auto n =
        offset ? file.pwrite(buf.first(gathered), *offset + done) : file.write(buf.first(gathered));
    if (!n) {
      if (n.error() == Errno{EPIPE}) raise_sigpipe(t);
      if (n.error() != Errno{EAGAIN}) return done > 0 ? SysRet(done) : SysRet(n);
      if (file.nonblocking() || nowait) return done > 0 ? SysRet(done) : fail(EAGAIN);
      t.syscall_progress = done;
      if (kernel::WaitQueue* q = file.wait_queue()) t.add_wait(*q, POLLOUT | POLLHUP | POLLERR);
      auto parked = t.park();
      if (parked.error() != Errno{EPARKED} && done > 0) return done;
      return parked;
    }
    done += *n;
    if (total == 0) break;
    if (*n < gathered) {
      // The unsent bytes must be gathered again.
      cursor = RangeCursor(src);
      cursor.skip(done);
      // A short write to a file that can take more right now is final (a full disk); one to
      // a full pipe or socket waits for room, on the next round.
      if ((file.readiness() & POLLOUT) != 0 || file.nonblocking() || nowait) return done;
    }
    if (gathered < want) return done;  // the guest buffer ended in a fault
  }
  return done;
}

Result<std::vector<GuestRange>> copy_in_iovecs(kernel::Task& t, uint64_t addr, uint64_t count) {
  if (count > IOV_MAX) return fail(EINVAL);
  std::vector<iovec> raw(count);
  if (count > 0) TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(raw))));
  std::vector<GuestRange> ranges;
  ranges.reserve(count);
  uint64_t total = 0;
  for (const iovec& v : raw) {
    if (static_cast<int64_t>(v.iov_len) < 0) return fail(EINVAL);
    uint64_t len = v.iov_len;
    if (len > kMaxRwCount - total) len = kMaxRwCount - total;
    total += len;
    ranges.push_back({reinterpret_cast<uint64_t>(v.iov_base), len});
  }
  return ranges;
}

}  // namespace ms::sys
