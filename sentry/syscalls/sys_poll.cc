// Waiting for file descriptors: poll(2), ppoll(2), select(2), pselect6(2).
//
// A wait is one scan over the descriptors that registers the task on every file's wait
// queue; when nothing is ready the task parks, and any wakeup reruns the scan from the
// start. Signals end the wait with ERESTARTNOHAND: EINTR when a handler runs, a transparent
// restart otherwise (man 7 signal: these calls are never restarted after a handler).
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>

#include <vector>

#include "fs/poll_events.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/wait_sigmask.h"
#include "sentry/syscalls/wait_timeout.h"

namespace ms::sys {
namespace {

using kernel::Duration;

// What a syscall decided on its first run, kept in t.syscall_progress across reruns.
constexpr uint64_t kStarted = 1;
constexpr uint64_t kHasTimeout = 2;   // a finite timeout: the time left is written back
constexpr uint64_t kZeroTimeout = 4;  // do not block at all
constexpr uint64_t kSetsChecked = 8;  // select found every descriptor open

// Reads the timeout on the first run only; later runs find it in t.syscall_progress.
void begin(kernel::Task& t, std::optional<Duration> timeout) {
  if ((t.syscall_progress & kStarted) != 0) return;
  t.syscall_progress = kStarted;
  if (timeout) {
    t.syscall_progress |= kHasTimeout;
    if (*timeout == Duration::zero()) t.syscall_progress |= kZeroTimeout;
  }
  start_deadline(t, timeout);
}

bool zero_timeout(const kernel::Task& t) {
  return (t.syscall_progress & kZeroTimeout) != 0;
}

// --- poll ---------------------------------------------------------------------------------

// One scan (Linux's do_pollfd for each entry): fills revents and returns how many entries
// have any. Registers waits unless the call must not block.
uint64_t scan_pollfds(kernel::Task& t, std::span<pollfd> fds, bool wait) {
  uint64_t count = 0;
  for (pollfd& p : fds) {
    p.revents = 0;
    if (p.fd < 0) continue;
    auto file = t.fds().get(p.fd);
    if (!file) {
      p.revents = POLLNVAL;
      ++count;
      continue;
    }
    const uint32_t filter = static_cast<uint16_t>(p.events) | POLLERR | POLLHUP;
    if (wait) {
      if (kernel::WaitQueue* q = file->wait_queue()) t.add_wait(*q, filter);
    }
    p.revents = static_cast<short>(fs::poll_events(*file) & filter);
    if (p.revents != 0) ++count;
  }
  return count;
}

// do_sys_poll(): the revents are written back whatever the outcome.
SysRet do_poll(kernel::Task& t, uint64_t addr, uint32_t nfds) {
  if (nfds > t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur) return fail(EINVAL);
  std::vector<pollfd> fds(nfds);
  TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(fds))));
  const uint64_t count = scan_pollfds(t, fds, !zero_timeout(t));
  SysRet result = count;
  if (count == 0) {
    auto parked = t.park();
    if (parked.error() == Errno{EPARKED}) return parked;
    result = parked.error() == Errno{ETIMEDOUT} ? SysRet(0) : SysRet(fail(ERESTARTNOHAND));
  }
  TRY(t.mm().copy_out(addr, std::as_bytes(std::span(fds))));
  return result;
}

// poll_select_finish(): a finite, non-zero timeout gets the time left written back. If it
// cannot be, the call can no longer be restarted transparently.
SysRet finish_timeout(kernel::Task& t, SysRet result, uint64_t addr, bool as_timeval) {
  if (!result && result.error() == Errno{EPARKED}) return result;
  if (addr == 0 || (t.syscall_progress & kHasTimeout) == 0 || zero_timeout(t)) return result;
  const timespec left = kernel::ktime_to_timespec(time_left(t));
  Result<void> written;
  if (as_timeval) {
    const timeval tv{left.tv_sec, left.tv_nsec / 1000};
    written = t.mm().write(mm::GuestPtr<timeval>(addr), tv);
  } else {
    written = t.mm().write(mm::GuestPtr<timespec>(addr), left);
  }
  if (!written && !result && result.error() == Errno{ERESTARTNOHAND}) return fail(EINTR);
  return result;
}

bool interrupted(const SysRet& result) {
  return !result && result.error() == Errno{ERESTARTNOHAND};
}

// --- select -------------------------------------------------------------------------------

// Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET: the events that make a descriptor
// readable, writable or exceptional for select. A descriptor closed while select waits
// reports POLLNVAL, and so counts in every set it was asked in.
constexpr uint32_t kInSet = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR | POLLNVAL;
constexpr uint32_t kOutSet = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR | POLLNVAL;
constexpr uint32_t kExSet = POLLPRI | POLLNVAL;
constexpr int kBitsPerWord = 64;

// The size of the descriptor table as Linux allocates it (fdt->max_fds): 64 entries, then
// powers of two from 128 on, enough for the highest open descriptor. select silently
// ignores descriptors beyond it. (Linux never shrinks the table; this follows the open
// descriptors.)
int fd_table_capacity(kernel::Task& t) {
  const int end = t.fds().end();
  if (end <= 64) return 64;
  int capacity = 128;
  while (capacity < end)
    capacity *= 2;
  return capacity;
}

struct FdSets {
  std::vector<uint64_t> in, out, ex;
};

Result<std::vector<uint64_t>> read_set(kernel::Task& t, uint64_t addr, size_t words) {
  std::vector<uint64_t> set(words);
  if (addr != 0 && words > 0) TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(set))));
  return set;
}

Result<void> write_set(kernel::Task& t, uint64_t addr, const std::vector<uint64_t>& set) {
  if (addr == 0 || set.empty()) return {};
  return t.mm().copy_out(addr, std::as_bytes(std::span(set)));
}

bool has(const std::vector<uint64_t>& set, int fd) {
  return ((set[static_cast<size_t>(fd / kBitsPerWord)] >> (fd % kBitsPerWord)) & 1) != 0;
}

void put(std::vector<uint64_t>& set, int fd) {
  set[static_cast<size_t>(fd / kBitsPerWord)] |= 1ULL << (fd % kBitsPerWord);
}

// core_sys_select().
SysRet do_select(kernel::Task& t, int n, uint64_t in_addr, uint64_t out_addr, uint64_t ex_addr) {
  if (n < 0) return fail(EINVAL);
  n = std::min(n, fd_table_capacity(t));
  const size_t words = static_cast<size_t>((n + kBitsPerWord - 1) / kBitsPerWord);
  FdSets want;
  want.in = TRY(read_set(t, in_addr, words));
  want.out = TRY(read_set(t, out_addr, words));
  want.ex = TRY(read_set(t, ex_addr, words));
  // Every descriptor asked about must be open when the call starts (max_select_fd()); one
  // closed during the wait is reported below.
  if ((t.syscall_progress & kSetsChecked) == 0) {
    for (int fd = 0; fd < n; ++fd) {
      if ((has(want.in, fd) || has(want.out, fd) || has(want.ex, fd)) && !t.fds().get(fd)) {
        return fail(EBADF);
      }
    }
    t.syscall_progress |= kSetsChecked;
  }
  FdSets got{std::vector<uint64_t>(words), std::vector<uint64_t>(words),
             std::vector<uint64_t>(words)};
  const bool wait = !zero_timeout(t);
  uint64_t count = 0;
  for (int fd = 0; fd < n; ++fd) {
    const bool in = has(want.in, fd), out = has(want.out, fd), ex = has(want.ex, fd);
    if (!in && !out && !ex) continue;
    auto file = t.fds().get(fd);
    uint32_t mask = POLLNVAL;
    if (file) {
      const uint32_t key = kExSet | (in ? kInSet : 0) | (out ? kOutSet : 0);
      if (wait) {
        if (kernel::WaitQueue* q = file->wait_queue()) t.add_wait(*q, key);
      }
      mask = fs::poll_events(*file);
    }
    if (in && (mask & kInSet) != 0) {
      put(got.in, fd);
      ++count;
    }
    if (out && (mask & kOutSet) != 0) {
      put(got.out, fd);
      ++count;
    }
    if (ex && (mask & kExSet) != 0) {
      put(got.ex, fd);
      ++count;
    }
  }
  if (count == 0) {
    auto parked = t.park();
    if (parked.error() == Errno{EPARKED}) return parked;
    // Interrupted: the sets are left as they were.
    if (parked.error() == Errno{ERESTARTSYS}) return fail(ERESTARTNOHAND);
  }
  TRY(write_set(t, in_addr, got.in));
  TRY(write_set(t, out_addr, got.out));
  TRY(write_set(t, ex_addr, got.ex));
  return count;
}

// select's struct timeval, normalized as Linux does (tv_usec may exceed a second); EINVAL
// when the result is negative.
Result<std::optional<Duration>> read_timeval_timeout(kernel::Task& t, uint64_t addr) {
  if (addr == 0) return std::optional<Duration>();
  const timeval tv = TRY(t.mm().read(mm::GuestPtr<timeval>(addr)));
  // Linux adds in signed 64-bit arithmetic that wraps (the kernel builds with
  // -fno-strict-overflow).
  const auto sec = static_cast<int64_t>(static_cast<uint64_t>(tv.tv_sec) +
                                        static_cast<uint64_t>(tv.tv_usec / 1'000'000));
  const timespec ts{sec, static_cast<long>((tv.tv_usec % 1'000'000) * 1000)};
  if (!kernel::timespec_valid(ts)) return fail(EINVAL);
  return std::optional(kernel::timespec_to_ktime(ts));
}

}  // namespace

SysRet sys_poll(kernel::Task& t, const SyscallArgs& a) {
  const auto timeout_ms = static_cast<int>(a[2]);
  std::optional<Duration> timeout;
  if (timeout_ms >= 0) timeout = std::chrono::milliseconds(timeout_ms);
  begin(t, timeout);
  return do_poll(t, a[0], static_cast<uint32_t>(a[1]));
}

SysRet sys_ppoll(kernel::Task& t, const SyscallArgs& a) {
  if ((t.syscall_progress & kStarted) == 0) {
    const auto timeout = TRY(read_timespec_timeout(t, a[2]));
    TRY(set_wait_sigmask(t, a[3], a[4]));
    begin(t, timeout);
  }
  SysRet result = do_poll(t, a[0], static_cast<uint32_t>(a[1]));
  result = finish_wait_sigmask(t, result, interrupted(result));
  return finish_timeout(t, result, a[2], /*as_timeval=*/false);
}

SysRet sys_select(kernel::Task& t, const SyscallArgs& a) {
  if ((t.syscall_progress & kStarted) == 0) begin(t, TRY(read_timeval_timeout(t, a[4])));
  SysRet result = do_select(t, static_cast<int>(a[0]), a[1], a[2], a[3]);
  return finish_timeout(t, result, a[4], /*as_timeval=*/true);
}

SysRet sys_pselect6(kernel::Task& t, const SyscallArgs& a) {
  if ((t.syscall_progress & kStarted) == 0) {
    // The sixth argument points at {const sigset_t* mask; size_t size}.
    struct SigsetArg {
      uint64_t mask;
      uint64_t size;
    };
    SigsetArg sig{};
    if (a[5] != 0) sig = TRY(t.mm().read(mm::GuestPtr<SigsetArg>(a[5])));
    const auto timeout = TRY(read_timespec_timeout(t, a[4]));
    TRY(set_wait_sigmask(t, sig.mask, sig.size));
    begin(t, timeout);
  }
  SysRet result = do_select(t, static_cast<int>(a[0]), a[1], a[2], a[3]);
  result = finish_wait_sigmask(t, result, interrupted(result));
  return finish_timeout(t, result, a[4], /*as_timeval=*/false);
}

}  // namespace ms::sys
