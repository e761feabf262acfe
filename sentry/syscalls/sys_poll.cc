// Waiting for descriptors: poll(2), ppoll(2), select(2), pselect6(2). Readiness comes from
// each file (FileDescription::readiness) and waking from its wait queue, so pipes, host
// stdio, sockets and regular files all take part.
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>

#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::Duration;

struct PollItem {
  int fd = -1;
  uint32_t events = 0;
  uint32_t revents = 0;
};

// What select's three sets see in a file's readiness (Linux's POLLIN_SET and friends).
constexpr uint32_t kInSet = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr uint32_t kOutSet = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr uint32_t kExSet = POLLPRI;

// Fills revents; returns how many items have some. `invalid` is set for fds that are not
// open (poll reports POLLNVAL, select fails with EBADF).
int scan(kernel::Task& t, std::vector<PollItem>& items, bool& invalid) {
  int ready = 0;
  invalid = false;
  for (PollItem& it : items) {
    it.revents = 0;
    if (it.fd < 0) continue;
    auto file = t.fds().get(it.fd);
    if (!file) {
      it.revents = POLLNVAL;
      invalid = true;
    } else {
      it.revents = file->readiness() & (it.events | POLLERR | POLLHUP);
    }
    ready += it.revents != 0;
  }
  return ready;
}

// Parks on every polled file's queue; the handler runs again when one of them changes.
std::unexpected<Errno> wait_for(kernel::Task& t, const std::vector<PollItem>& items) {
  for (const PollItem& it : items) {
    if (it.fd < 0) continue;
    if (auto file = t.fds().get(it.fd)) {
      if (kernel::WaitQueue* q = file->wait_queue()) {
        t.add_wait(*q, it.events | POLLERR | POLLHUP | POLLNVAL);
      }
    }
  }
  return t.park();
}

// How long is left of the call's timeout (for the Linux-specific write-back).
Duration remaining(kernel::Task& t) {
  if (!t.deadline()) return Duration(0);
  const Duration left = *t.deadline() - t.kernel().clock().monotonic();
  return left.count() > 0 ? left : Duration(0);
}

// The first run starts the clock: nullopt waits forever, zero does not wait.
Result<std::optional<Duration>> timespec_timeout(kernel::Task& t, uint64_t addr) {
  if (addr == 0) return std::optional<Duration>();
  const timespec ts = TRY(t.mm().read(mm::GuestPtr<timespec>(addr)));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return fail(EINVAL);
  return std::optional<Duration>(std::chrono::seconds(ts.tv_sec) +
                                 std::chrono::nanoseconds(ts.tv_nsec));
}

// pselect6 and ppoll: the signal mask to use while waiting.
Result<void> set_wait_mask(kernel::Task& t, uint64_t mask_addr, uint64_t size) {
  if (mask_addr == 0) return {};
  if (size != sizeof(uint64_t)) return fail(EINVAL);
  const uint64_t mask = TRY(t.mm().read(mm::GuestPtr<uint64_t>(mask_addr)));
  t.saved_mask = t.signal_mask();
  t.set_signal_mask(kernel::SigSet(mask));
  return {};
}

SysRet do_poll(kernel::Task& t, uint64_t fds_addr, uint64_t nfds, std::optional<Duration> timeout,
               uint64_t ts_addr) {
  if (nfds > t.thread_group().rlimits()[RLIMIT_NOFILE].rlim_cur) return fail(EINVAL);
  std::vector<pollfd> raw(nfds);
  if (nfds > 0) TRY(t.mm().copy_in(fds_addr, std::as_writable_bytes(std::span(raw))));
  std::vector<PollItem> items(nfds);
  for (size_t i = 0; i < nfds; ++i) {
    items[i] = PollItem{raw[i].fd, static_cast<uint16_t>(raw[i].events), 0};
  }
  bool invalid = false;
  int ready = scan(t, items, invalid);
  if (ready == 0 && !(timeout && timeout->count() == 0)) {
    if (timeout) t.deadline_after(*timeout);
    auto parked = wait_for(t, items);
    if (parked.error() != Errno{ETIMEDOUT}) {
      if (parked.error() == Errno{ERESTARTSYS}) return fail(ERESTARTNOHAND);
      return parked;
    }
  }
  for (size_t i = 0; i < nfds; ++i)
    raw[i].revents = static_cast<int16_t>(items[i].revents);
  if (nfds > 0) TRY(t.mm().copy_out(fds_addr, std::as_bytes(std::span(raw))));
  if (ts_addr != 0) {
    const Duration left = remaining(t);
    const timespec ts{static_cast<time_t>(left.count() / 1'000'000'000),
                      static_cast<long>(left.count() % 1'000'000'000)};
    (void)t.mm().write(mm::GuestPtr<timespec>(ts_addr), ts);
  }
  return static_cast<uint64_t>(ready);
}

// select's fd_set: n bits in whole longs.
SysRet do_select(kernel::Task& t, int64_t n, uint64_t in_addr, uint64_t out_addr, uint64_t ex_addr,
                 std::optional<Duration> timeout, const std::function<void(Duration)>& write_back) {
  if (n < 0) return fail(EINVAL);
  const int64_t max = std::max<int64_t>(t.fds().end(), 0);
  if (n > max) n = max;
  const size_t words = (static_cast<size_t>(n) + 63) / 64;
  std::vector<uint64_t> in(words), out(words), ex(words);
  auto load = [&](uint64_t addr, std::vector<uint64_t>& set) -> Result<void> {
    if (addr != 0 && words > 0) TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(set))));
    return {};
  };
  TRY(load(in_addr, in));
  TRY(load(out_addr, out));
  TRY(load(ex_addr, ex));
  std::vector<PollItem> items;
  for (int64_t fd = 0; fd < n; ++fd) {
    const uint64_t bit = 1ULL << (fd % 64);
    const size_t w = static_cast<size_t>(fd / 64);
    uint32_t events = 0;
    if ((in[w] & bit) != 0) events |= kInSet;
    if ((out[w] & bit) != 0) events |= kOutSet;
    if ((ex[w] & bit) != 0) events |= kExSet;
    if (events != 0) items.push_back(PollItem{static_cast<int>(fd), events, 0});
  }
  bool invalid = false;
  int ready = scan(t, items, invalid);
  if (invalid) return fail(EBADF);
  if (ready == 0 && !(timeout && timeout->count() == 0)) {
    if (timeout) t.deadline_after(*timeout);
    auto parked = wait_for(t, items);
    if (parked.error() != Errno{ETIMEDOUT}) {
      if (parked.error() == Errno{ERESTARTSYS}) return fail(ERESTARTNOHAND);
      return parked;
    }
  }
  std::fill(in.begin(), in.end(), 0);
  std::fill(out.begin(), out.end(), 0);
  std::fill(ex.begin(), ex.end(), 0);
  int count = 0;
  for (const PollItem& it : items) {
    const uint64_t bit = 1ULL << (it.fd % 64);
    const size_t w = static_cast<size_t>(it.fd / 64);
    if ((it.events & it.revents & kInSet) != 0 && (it.events & POLLIN) != 0) {
      in[w] |= bit;
      ++count;
    }
    if ((it.events & it.revents & kOutSet) != 0 && (it.events & POLLOUT) != 0) {
      out[w] |= bit;
      ++count;
    }
    if ((it.events & it.revents & kExSet) != 0) {
      ex[w] |= bit;
      ++count;
    }
  }
  auto store = [&](uint64_t addr, const std::vector<uint64_t>& set) -> Result<void> {
    if (addr != 0 && words > 0) TRY(t.mm().copy_out(addr, std::as_bytes(std::span(set))));
    return {};
  };
  TRY(store(in_addr, in));
  TRY(store(out_addr, out));
  TRY(store(ex_addr, ex));
  write_back(remaining(t));
  return static_cast<uint64_t>(count);
}

}  // namespace

SysRet sys_poll(kernel::Task& t, const SyscallArgs& a) {
  const int ms = static_cast<int>(a[2]);
  std::optional<Duration> timeout;
  if (ms >= 0) timeout = std::chrono::milliseconds(ms);
  return do_poll(t, a[0], a[1], timeout, 0);
}

SysRet sys_ppoll(kernel::Task& t, const SyscallArgs& a) {
  const std::optional<Duration> timeout = TRY(timespec_timeout(t, a[2]));
  if (t.syscall_progress == 0) {
    TRY(set_wait_mask(t, a[3], a[4]));
    t.syscall_progress = 1;
  }
  return do_poll(t, a[0], a[1], timeout, a[2]);
}

SysRet sys_select(kernel::Task& t, const SyscallArgs& a) {
  std::optional<Duration> timeout;
  if (a[4] != 0) {
    const timeval tv = TRY(t.mm().read(mm::GuestPtr<timeval>(a[4])));
    if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return fail(EINVAL);
    timeout = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  }
  return do_select(t, static_cast<int>(a[0]), a[1], a[2], a[3], timeout, [&](Duration left) {
    if (a[4] == 0) return;
    const timeval tv{static_cast<time_t>(left.count() / 1'000'000'000),
                     static_cast<suseconds_t>(left.count() % 1'000'000'000 / 1000)};
    (void)t.mm().write(mm::GuestPtr<timeval>(a[4]), tv);
  });
}

SysRet sys_pselect6(kernel::Task& t, const SyscallArgs& a) {
  const std::optional<Duration> timeout = TRY(timespec_timeout(t, a[4]));
  if (t.syscall_progress == 0 && a[5] != 0) {
    // The sixth argument points at {const sigset_t *ss; size_t ss_len}.
    struct {
      uint64_t mask;
      uint64_t size;
    } sig{};
    TRY(t.mm().copy_in(a[5], std::as_writable_bytes(std::span(&sig, 1))));
    TRY(set_wait_mask(t, sig.mask, sig.size));
  }
  t.syscall_progress = 1;
  return do_select(t, static_cast<int>(a[0]), a[1], a[2], a[3], timeout, [&](Duration left) {
    if (a[4] == 0) return;
    const timespec ts{static_cast<time_t>(left.count() / 1'000'000'000),
                      static_cast<long>(left.count() % 1'000'000'000)};
    (void)t.mm().write(mm::GuestPtr<timespec>(a[4]), ts);
  });
}

}  // namespace ms::sys
