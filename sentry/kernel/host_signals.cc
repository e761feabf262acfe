#include "sentry/kernel/host_signals.h"

#include <signal.h>

#include <atomic>

namespace ms::kernel {
namespace {

std::atomic<uint64_t> pending_host_signals{0};

void on_signal(int sig) {
  pending_host_signals.fetch_or(1ULL << (sig - 1));
}

}  // namespace

void install_host_signal_forwarding() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking waitpid returns so the loop sees the signal
  for (int sig : {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGTERM, SIGHUP}) {
    sigaction(sig, &sa, nullptr);
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGPIPE, SIGTTOU, SIGTTIN})
    sigaction(sig, &ignore, nullptr);
}

uint64_t take_host_signals() {
  return pending_host_signals.exchange(0);
}

}  // namespace ms::kernel
