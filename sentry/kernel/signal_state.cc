#include "sentry/kernel/signal_state.h"

#include <algorithm>
#include <bit>

namespace ms::kernel {

DefaultAction default_action(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return DefaultAction::kIgnore;
    case SIGCONT:
      return DefaultAction::kContinue;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return DefaultAction::kStop;
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
      return DefaultAction::kCoreDump;
    default:
      return DefaultAction::kTerminate;
  }
}

bool PendingSignals::add(const siginfo_t& info) {
  const int sig = info.si_signo;
  if (sig < kSigRtMin && set_.has(sig)) return false;
  set_.add(sig);
  queue_.push_back(info);
  return true;
}

std::optional<int> PendingSignals::next(SigSet allowed) const {
  const uint64_t ready = set_.bits() & allowed.bits();
  if (ready == 0) return std::nullopt;
  const uint64_t sync = ready & kSynchronous;
  return std::countr_zero(sync != 0 ? sync : ready) + 1;
}

std::optional<siginfo_t> PendingSignals::take(int sig) {
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [sig](const siginfo_t& i) { return i.si_signo == sig; });
  if (it == queue_.end()) return std::nullopt;
  siginfo_t info = *it;
  queue_.erase(it);
  const bool more = std::any_of(queue_.begin(), queue_.end(),
                                [sig](const siginfo_t& i) { return i.si_signo == sig; });
  if (!more) set_.remove(sig);
  return info;
}

void PendingSignals::discard(SigSet which) {
  std::erase_if(queue_, [which](const siginfo_t& i) { return which.has(i.si_signo); });
  set_ = SigSet(set_.bits() & ~which.bits());
}

}  // namespace ms::kernel
