#include "sentry/kernel/signalfd.h"

#include <fcntl.h>
#include <sys/signalfd.h>

#include <cstring>

#include "fs/anon_inode.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::kernel {
namespace {

static_assert(sizeof(signalfd_siginfo) == 128);

// Linux's enum siginfo_layout: which union member of siginfo_t is meaningful.
enum class Layout { kKill, kTimer, kPoll, kFault, kFaultMceErr, kChld, kRt, kSys };

// From <asm-generic/siginfo.h>, which clashes with glibc's <signal.h>: the number of
// kernel-defined si_codes per signal.
constexpr int kNumSigIll = 11;
constexpr int kNumSigFpe = 15;
constexpr int kNumSigSegv = 9;
constexpr int kNumSigBus = 5;
constexpr int kNumSigTrap = 6;
constexpr int kNumSigChld = 6;
constexpr int kNumSigPoll = 6;
constexpr int kNumSigSys = 2;

// siginfo_layout(): kernel codes (between SI_USER and SI_KERNEL) are per signal; the others
// say who sent the signal.
Layout layout_of(int sig, int code) {
  if (code > SI_USER && code < SI_KERNEL) {
    auto limited = [&](int limit, Layout layout) {
      return code <= limit ? layout : (code <= kNumSigPoll ? Layout::kPoll : Layout::kKill);
    };
    switch (sig) {
      case SIGILL:
        return limited(kNumSigIll, Layout::kFault);
      case SIGFPE:
        return limited(kNumSigFpe, Layout::kFault);
      case SIGSEGV:
        return limited(kNumSigSegv, Layout::kFault);
      case SIGTRAP:
        return limited(kNumSigTrap, Layout::kFault);
      case SIGBUS:
        if (code >= BUS_MCEERR_AR && code <= BUS_MCEERR_AO) return Layout::kFaultMceErr;
        return limited(kNumSigBus, Layout::kFault);
      case SIGCHLD:
        return limited(kNumSigChld, Layout::kChld);
      case SIGPOLL:
        return limited(kNumSigPoll, Layout::kPoll);
      case SIGSYS:
        return limited(kNumSigSys, Layout::kSys);
      default:
        return code <= kNumSigPoll ? Layout::kPoll : Layout::kKill;
    }
  }
  if (code == SI_TIMER) return Layout::kTimer;
  if (code == SI_SIGIO) return Layout::kPoll;
  if (code < 0) return Layout::kRt;
  return Layout::kKill;
}

}  // namespace

signalfd_siginfo to_signalfd_siginfo(const siginfo_t& info) {
  signalfd_siginfo out{};
  out.ssi_signo = static_cast<uint32_t>(info.si_signo);
  out.ssi_errno = info.si_errno;
  out.ssi_code = info.si_code;
  switch (layout_of(info.si_signo, info.si_code)) {
    case Layout::kKill:
      out.ssi_pid = static_cast<uint32_t>(info.si_pid);
      out.ssi_uid = info.si_uid;
      break;
    case Layout::kTimer:
      out.ssi_tid = static_cast<uint32_t>(info.si_timerid);
      out.ssi_overrun = static_cast<uint32_t>(info.si_overrun);
      out.ssi_ptr = reinterpret_cast<uint64_t>(info.si_ptr);
      out.ssi_int = info.si_int;
      break;
    case Layout::kPoll:
      out.ssi_band = static_cast<uint32_t>(info.si_band);
      out.ssi_fd = info.si_fd;
      break;
    case Layout::kFault:
      out.ssi_addr = reinterpret_cast<uint64_t>(info.si_addr);
      break;
    case Layout::kFaultMceErr:
      out.ssi_addr = reinterpret_cast<uint64_t>(info.si_addr);
      out.ssi_addr_lsb = static_cast<uint16_t>(info.si_addr_lsb);
      break;
    case Layout::kChld:
      out.ssi_pid = static_cast<uint32_t>(info.si_pid);
      out.ssi_uid = info.si_uid;
      out.ssi_status = info.si_status;
      out.ssi_utime = static_cast<uint64_t>(info.si_utime);
      out.ssi_stime = static_cast<uint64_t>(info.si_stime);
      break;
    case Layout::kRt:
      out.ssi_pid = static_cast<uint32_t>(info.si_pid);
      out.ssi_uid = info.si_uid;
      out.ssi_ptr = reinterpret_cast<uint64_t>(info.si_ptr);
      out.ssi_int = info.si_int;
      break;
    case Layout::kSys:
      out.ssi_call_addr = reinterpret_cast<uint64_t>(info.si_call_addr);
      out.ssi_syscall = info.si_syscall;
      out.ssi_arch = info.si_arch;
      break;
  }
  return out;
}

SignalFd::SignalFd(Kernel& kernel, SigSet mask, int flags)
    : FileDescription(O_RDWR | (flags & O_NONBLOCK)),
      kernel_(kernel),
      mask_(mask.bits() & ~kUnblockable) {}

void SignalFd::set_mask(SigSet mask) {
  mask_ = SigSet(mask.bits() & ~kUnblockable);
  if (Task* t = kernel_.current_task()) t->thread_group().signal_events().notify(POLLIN);
}

Result<size_t> SignalFd::read(std::span<std::byte> dst) {
  const size_t count = dst.size() / sizeof(signalfd_siginfo);
  if (count == 0) return fail(EINVAL);
  Task* t = kernel_.current_task();
  if (t == nullptr) return fail(EAGAIN);
  size_t done = 0;
  while (done < count) {
    auto info = t->kernel().dequeue_signal(*t, mask_);
    if (!info) break;
    const signalfd_siginfo out = to_signalfd_siginfo(*info);
    std::memcpy(dst.data() + done * sizeof(out), &out, sizeof(out));
    ++done;
  }
  if (done == 0) return fail(EAGAIN);
  return done * sizeof(signalfd_siginfo);
}

Result<fs::Stat> SignalFd::stat() {
  return fs::anon_inode_stat();
}

uint32_t SignalFd::readiness() {
  Task* t = kernel_.current_task();
  if (t == nullptr) return 0;
  const uint64_t pending =
      t->pending().set().bits() | t->thread_group().shared_pending().set().bits();
  return (pending & mask_.bits()) != 0 ? POLLIN : 0;
}

WaitQueue* SignalFd::wait_queue() {
  Task* t = kernel_.current_task();
  return t != nullptr ? &t->thread_group().signal_events() : &idle_queue_;
}

}  // namespace ms::kernel
