#include "sentry/syscalls/file_io.h"

#include <poll.h>
#include <sys/uio.h>

#include <algorithm>

#include "fs/host_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/socket_io.h"
#include "sentry/syscalls/tty_job_control.h"

namespace ms::sys {
uint64_t total_length(std::span<const GuestRange> ranges) {
  uint64_t total = 0;
  for (const auto& r : ranges)
    total += r.len;
  return std::min(total, kMaxRwCount);
}

namespace {

// Moves bytes between buf and the guest ranges, seen as one sequence from offset `from`:
// copy(addr, piece) moves one piece and says how much of it moved; a short move ends it.
template <class Byte, class Copy>
uint64_t walk_ranges(std::span<const GuestRange> ranges, uint64_t from, std::span<Byte> buf,
                     Copy copy) {
  uint64_t done = 0;
  for (const GuestRange& r : ranges) {
    if (done == buf.size()) break;
    if (from >= r.len) {  // before `from`, or an empty iovec (musl's unbuffered stdio)
      from -= r.len;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(r.len - from, buf.size() - done);
    const uint64_t moved = copy(r.addr + from, buf.subspan(done, n));
    done += moved;
    if (moved < n) break;
    from = 0;
  }
  return done;
}

}  // namespace

uint64_t gather(kernel::Task& t, std::span<const GuestRange> ranges, uint64_t from,
                std::span<std::byte> dst) {
  return walk_ranges(ranges, from, dst, [&](uint64_t addr, std::span<std::byte> piece) {
    auto c = t.mm().copy_in_partial(addr, piece);
    return c ? *c : 0;
  });
}

uint64_t scatter(kernel::Task& t, std::span<const GuestRange> ranges, uint64_t from,
                 std::span<const std::byte> src) {
  return walk_ranges(ranges, from, src, [&](uint64_t addr, std::span<const std::byte> piece) {
    auto c = t.mm().copy_out_partial(addr, piece);
    return c ? *c : 0;
  });
}

void raise_sigpipe(kernel::Task& t) {
  t.kernel().send_signal(
      t, kernel::user_siginfo(SIGPIPE, SI_USER, t.pid(), t.thread_group().creds().ruid));
}

SysRet read_to_guest(kernel::Task& t, fs::FileDescription& file, std::span<const GuestRange> dst,
                     std::optional<uint64_t> offset, bool nowait) {
  if (auto* socket = dynamic_cast<net::Socket*>(&file); socket != nullptr && !offset) {
    return socket_read(t, *socket, dst, nowait);
  }
  if (auto* host = dynamic_cast<fs::HostFile*>(&file); host != nullptr && host->is_tty()) {
    TRY(tty_background_check(t, SIGTTIN));
  }
  const uint64_t total = total_length(dst);
  uint64_t done = 0;
  while (done < total || total == 0) {
    const uint64_t want = std::min(total - done, kTransferChunk);
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
    const uint64_t copied = scatter(t, dst, done, buf.first(*n));
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
  if (auto* host = dynamic_cast<fs::HostFile*>(&file);
      host != nullptr && host->is_tty() && in_tty_background(t) && host->tostop()) {
    TRY(tty_background_check(t, SIGTTOU));
  }
  const uint64_t total = total_length(src);
  uint64_t done = t.syscall_progress;
  while (done < total || total == 0) {
    const uint64_t want = std::min(total - done, kTransferChunk);
    std::span<std::byte> buf = t.kernel().scratch(want);
    const uint64_t gathered = gather(t, src, done, buf);
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
