// Signals the host sends minisentry itself (Ctrl-C on the terminal, SIGTERM from a process
// manager, a terminal resize) are forwarded to the guest instead of acting on the sentry.
#pragma once

#include <cstdint>

namespace ms::kernel {

// Installs the handlers (once, at startup) and ignores SIGPIPE: a broken host pipe becomes
// the guest's EPIPE/SIGPIPE, never the sentry's death.
void install_host_signal_forwarding();
// The signals received since the last call, as a bit set (bit sig - 1).
uint64_t take_host_signals();

}  // namespace ms::kernel
