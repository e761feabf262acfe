// Signal bookkeeping types shared by tasks and thread groups.
#pragma once

#include <signal.h>

#include <array>
#include <cstdint>

namespace ms::kernel {

inline constexpr int kNumSignals = 64;

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

// struct sigaction as the x86-64 kernel lays it out (not glibc's).
struct KernelSigaction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

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

}  // namespace ms::kernel
