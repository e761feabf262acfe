// The initial process stack exactly as Linux's create_elf_tables() lays it out:
// from the top, an 8-byte end marker, AT_EXECFN's string, the envp strings, the argv strings,
// the platform string, 16 random bytes, then (16-byte aligned) argc, argv[], NULL, envp[],
// NULL, auxv pairs ending in AT_NULL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace ms::loader {

struct StackRequest {
  uint64_t stack_top = 0;   // first byte above the stack (page aligned)
  uint64_t stack_size = 0;  // bytes available below stack_top
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string execfn;                // AT_EXECFN: the path as given to execve
  std::string platform;              // AT_PLATFORM: "x86_64"
  std::array<uint8_t, 16> random{};  // AT_RANDOM's bytes
  // The auxv entries in Linux's order, without AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL,
  // whose values are addresses on this stack: build_initial_stack inserts those at Linux's
  // positions (AT_RANDOM after AT_SECURE, AT_EXECFN and AT_PLATFORM after AT_HWCAP2).
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
};

struct InitialStack {
  uint64_t sp = 0;               // the initial stack pointer: points at argc
  uint64_t base = 0;             // address of bytes[0] (== sp)
  std::vector<std::byte> bytes;  // everything from sp up to stack_top
  uint64_t argv_start = 0;       // address of the first argv string (for /proc/PID/cmdline)
  uint64_t argv_end = 0;
  uint64_t envp_start = 0;
  uint64_t envp_end = 0;
};

// Fails with a reason when the arguments and environment do not fit ("argument list too
// long": the caller reports E2BIG): any single string over 32 pages (MAX_ARG_STRLEN), or
// the whole over a quarter of stack_size, as Linux limits them (stack_size playing
// RLIMIT_STACK), or the result larger than stack_size. Like execve(), an empty argv gets ""
// as argv[0]. Strings end at their first NUL, as the kernel reads them. No random shift is
// applied below the strings (Linux's arch_align_stack() adds one under ASLR).
std::expected<InitialStack, std::string> build_initial_stack(const StackRequest& request);

}  // namespace ms::loader
