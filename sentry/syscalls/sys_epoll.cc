// epoll: epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2), epoll_pwait(2),
// epoll_pwait2(2). The instance itself is fs::EpollFile; this file checks arguments in
// Linux's order and runs the waits.
#include <sys/epoll.h>
#include <sys/resource.h>

#include <climits>

#include "fs/epoll.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/wait_sigmask.h"
#include "sentry/syscalls/wait_timeout.h"

namespace ms::sys {
namespace {

using kernel::Duration;

// Linux's EP_MAX_EVENTS: the event array must fit in INT_MAX bytes.
constexpr int kMaxEvents = INT_MAX / static_cast<int>(sizeof(epoll_event));
// The end of the user address space (x86-64 TASK_SIZE_MAX with 4-level page tables): what
// access_ok() checks a buffer against before anything is copied.
constexpr uint64_t kTaskSizeMax = (1ULL << 47) - 4096;

bool access_ok(uint64_t addr, uint64_t size) {
  return size <= kTaskSizeMax && addr <= kTaskSizeMax - size;
}

uint64_t fd_limit(kernel::Task& t) {
  return t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur;
}

SysRet create(kernel::Task& t, bool cloexec) {
  auto file = std::make_shared<fs::EpollFile>();
  return TRY(t.fds().install(std::move(file), cloexec, 0, fd_limit(t)));
}

// The first run of a wait records whether it may block at all.
constexpr uint64_t kStarted = 1;
constexpr uint64_t kZeroTimeout = 2;

void begin(kernel::Task& t, std::optional<Duration> timeout) {
  if ((t.syscall_progress & kStarted) != 0) return;
  t.syscall_progress = kStarted;
  if (timeout && *timeout == Duration::zero()) t.syscall_progress |= kZeroTimeout;
  start_deadline(t, timeout);
}

// do_epoll_wait() and ep_poll(): ready events first, then the timeout, then signals.
SysRet wait(kernel::Task& t, int epfd, uint64_t events, int maxevents) {
  // The instance found on the first run serves the whole call, even if the descriptor is
  // closed while the task waits (Linux holds the file).
  if (!t.syscall_state) {
    auto file = TRY(t.file(epfd));
    if (maxevents <= 0 || maxevents > kMaxEvents) return fail(EINVAL);
    if (!access_ok(events, static_cast<uint64_t>(maxevents) * sizeof(epoll_event))) {
      return fail(EFAULT);
    }
    auto instance = std::dynamic_pointer_cast<fs::EpollFile>(file);
    if (!instance) return fail(EINVAL);
    t.syscall_state = std::move(instance);
  }
  auto* ep = static_cast<fs::EpollFile*>(t.syscall_state.get());
  const std::span<const epoll_event> ready = ep->collect(static_cast<size_t>(maxevents));
  if (!ready.empty()) {
    auto copied = t.mm().copy_out_partial(events, std::as_bytes(ready));
    const size_t delivered = copied ? *copied / sizeof(epoll_event) : 0;
    ep->commit(delivered);
    if (delivered == 0) return fail(EFAULT);
    return delivered;
  }
  if ((t.syscall_progress & kZeroTimeout) != 0) return 0;
  t.add_wait(ep->waiters(), POLLIN);
  auto parked = t.park();
  if (parked.error() == Errno{ETIMEDOUT}) return 0;
  // Never restarted, not even without a handler (man 7 signal).
  if (parked.error() == Errno{ERESTARTSYS}) return fail(EINTR);
  return parked;
}

std::optional<Duration> ms_timeout(int timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return std::chrono::milliseconds(timeout_ms);
}

bool interrupted(const SysRet& result) {
  return !result && result.error() == Errno{EINTR};
}

}  // namespace

SysRet sys_epoll_create(kernel::Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a[0]) <= 0) return fail(EINVAL);
  return create(t, false);
}

SysRet sys_epoll_create1(kernel::Task& t, const SyscallArgs& a) {
  const auto flags = static_cast<int>(a[0]);
  if ((flags & ~EPOLL_CLOEXEC) != 0) return fail(EINVAL);
  return create(t, (flags & EPOLL_CLOEXEC) != 0);
}

SysRet sys_epoll_ctl(kernel::Task& t, const SyscallArgs& a) {
  const int epfd = static_cast<int>(a[0]);
  const int op = static_cast<int>(a[1]);
  const int fd = static_cast<int>(a[2]);
  const bool has_event = op != EPOLL_CTL_DEL;
  epoll_event event{};
  if (has_event) event = TRY(t.mm().read(mm::GuestPtr<epoll_event>(a[3])));
  auto epfile = TRY(t.file(epfd));
  auto target = TRY(t.file(fd));
  if (!target->pollable()) return fail(EPERM);
  // EPOLLWAKEUP needs CAP_BLOCK_SUSPEND; without it the flag is dropped, not refused.
  if (has_event && t.thread_group().creds().euid != 0) event.events &= ~EPOLLWAKEUP;
  auto* ep = dynamic_cast<fs::EpollFile*>(epfile.get());
  if (epfile == target || ep == nullptr) return fail(EINVAL);
  if (has_event && (event.events & EPOLLEXCLUSIVE) != 0) {
    // Exclusive wakeups are set up when an item is added, and not for nested instances.
    if (op == EPOLL_CTL_MOD) return fail(EINVAL);
    if (op == EPOLL_CTL_ADD && (dynamic_cast<fs::EpollFile*>(target.get()) != nullptr ||
                                (event.events & ~fs::EpollFile::kExclusiveOkBits) != 0)) {
      return fail(EINVAL);
    }
  }
  switch (op) {
    case EPOLL_CTL_ADD:
      TRY(ep->add(*target, fd, event.events, event.data.u64));
      return 0;
    case EPOLL_CTL_MOD:
      TRY(ep->modify(*target, fd, event.events, event.data.u64));
      return 0;
    case EPOLL_CTL_DEL:
      TRY(ep->remove(*target, fd));
      return 0;
    default:
      return fail(EINVAL);
  }
}

SysRet sys_epoll_wait(kernel::Task& t, const SyscallArgs& a) {
  begin(t, ms_timeout(static_cast<int>(a[3])));
  return wait(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]));
}

SysRet sys_epoll_pwait(kernel::Task& t, const SyscallArgs& a) {
  if ((t.syscall_progress & kStarted) == 0) {
    TRY(set_wait_sigmask(t, a[4], a[5]));
    begin(t, ms_timeout(static_cast<int>(a[3])));
  }
  const SysRet result = wait(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]));
  return finish_wait_sigmask(t, result, interrupted(result));
}

SysRet sys_epoll_pwait2(kernel::Task& t, const SyscallArgs& a) {
  if ((t.syscall_progress & kStarted) == 0) {
    const auto timeout = TRY(read_timespec_timeout(t, a[3]));
    TRY(set_wait_sigmask(t, a[4], a[5]));
    begin(t, timeout);
  }
  const SysRet result = wait(t, static_cast<int>(a[0]), a[1], static_cast<int>(a[2]));
  return finish_wait_sigmask(t, result, interrupted(result));
}

}  // namespace ms::sys
