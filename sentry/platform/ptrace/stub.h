// The stub's code (stub.S) and the page it runs from.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "sentry/platform/platform.h"

extern "C" {
extern const char ms_stub_begin[];
extern const char ms_stub_end[];
extern const char ms_stub_entry[];
extern const char ms_stub_syscall_site[];
extern const char ms_stub_cmpxchg_site[];
}

namespace ms::platform::ptrace {

// The highest address user space can map on x86-64 with 4-level page tables.
inline constexpr uint64_t kUserTop = 0x7ffffffff000;

// Maps the stub into the sentry itself, near the top of the address space, so that every
// process forked from the sentry has it at the same address: a code page (read+exec) and a
// scratch page (read+write) for the memory arguments of injected syscalls. Guest code could
// write the scratch page, so nothing read back from it is trusted beyond the guest's own
// process. Called once.
Result<Layout> install_stub();

// Addresses inside the installed stub page.
uint64_t stub_entry_address(const Layout& layout);
uint64_t stub_syscall_site(const Layout& layout);
uint64_t stub_cmpxchg_site(const Layout& layout);
uint64_t stub_scratch(const Layout& layout);

// The fd, in every stub process, of the socket that carries host fds from the sentry.
inline constexpr int kStubControlFd = 0;

}  // namespace ms::platform::ptrace
