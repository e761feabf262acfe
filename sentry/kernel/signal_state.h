// Signal bookkeeping types shared by tasks and thread groups.
#pragma once

#include <signal.h>

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

namespace ms::kernel {

inline constexpr int kNumSignals = 64;
inline constexpr int kSigRtMin = 32;

// The kernel's sigset_t: bit (sig - 1) for signal sig.
class SigSet {
 public:
  SigSet() = default;
  explicit SigSet(uint64_t bits) : bits_(bits) {}
  static uint64_t bit(int sig) { return 1ULL << (sig - 1); }
  bool has(int sig) const { return (bits_ & bit(sig)) != 0; }
  void add(int sig) { bits_ |= bit(sig); }
  void remove(int sig) { bits_ &= ~bit(sig); }
  uint64_t bits() const { return bits_; }
  bool empty() const { return bits_ == 0; }

 private:
  uint64_t bits_ = 0;
};

// SIGKILL and SIGSTOP can be neither blocked, caught nor ignored.
inline constexpr uint64_t kUnblockable = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
// Faults the CPU raises: dequeued before anything else, as Linux does.
inline constexpr uint64_t kSynchronous = (1ULL << (SIGSEGV - 1)) | (1ULL << (SIGBUS - 1)) |
                                         (1ULL << (SIGILL - 1)) | (1ULL << (SIGTRAP - 1)) |
                                         (1ULL << (SIGFPE - 1)) | (1ULL << (SIGSYS - 1));
inline constexpr uint64_t kStopSignals = (1ULL << (SIGSTOP - 1)) | (1ULL << (SIGTSTP - 1)) |
                                         (1ULL << (SIGTTIN - 1)) | (1ULL << (SIGTTOU - 1));

// struct sigaction as the x86-64 kernel lays it out (not glibc's).
struct KernelSigaction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};
// Not in glibc's headers: the flag saying sa_restorer is set (the kernel's SA_RESTORER).
inline constexpr uint64_t kSaRestorer = 0x04000000;
inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;

// stack_t for sigaltstack.
struct SignalStack {
  uint64_t sp = 0;
  int32_t flags = SS_DISABLE;
  int32_t pad = 0;
  uint64_t size = 0;
};

// Per-process dispositions (shared by CLONE_SIGHAND).
struct SignalHandlers {
  std::array<KernelSigaction, kNumSignals> actions{};
  KernelSigaction& operator[](int sig) { return actions[static_cast<size_t>(sig - 1)]; }
};

enum class DefaultAction { kTerminate, kCoreDump, kStop, kContinue, kIgnore };
DefaultAction default_action(int sig);

// Signals waiting for delivery: standard signals coalesce (one instance each), real-time
// signals queue every instance in order.
class PendingSignals {
 public:
  // False when the signal was already pending (a coalesced standard signal).
  bool add(const siginfo_t& info);
  // The next signal among `allowed`, synchronous faults first, then the lowest number.
  std::optional<int> next(SigSet allowed) const;
  // Removes one instance of sig and returns its siginfo.
  std::optional<siginfo_t> take(int sig);
  // Drops every instance of the signals in `which`.
  void discard(SigSet which);
  // Drops the instances pred selects.
  template <class Pred>
  void discard_if(Pred&& pred) {
    std::erase_if(queue_, pred);
    uint64_t still = 0;
    for (const siginfo_t& i : queue_)
      still |= SigSet::bit(i.si_signo);
    set_ = SigSet(still);
  }
  SigSet set() const { return set_; }
  size_t queued() const { return queue_.size(); }
  template <class Pred>
  bool contains(Pred&& pred) const {
    for (const siginfo_t& i : queue_) {
      if (pred(i)) return true;
    }
    return false;
  }

 private:
  SigSet set_;
  std::deque<siginfo_t> queue_;
};

}  // namespace ms::kernel
