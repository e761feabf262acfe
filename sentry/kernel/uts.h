// What the sandbox says it is: uname(2) and /proc/sys/kernel report these.
#pragma once

namespace ms::kernel {

inline constexpr char kSysname[] = "Linux";
inline constexpr char kHostname[] = "minisentry";
inline constexpr char kRelease[] = "6.1.0-minisentry";
inline constexpr char kVersion[] = "#1 SMP PREEMPT_DYNAMIC minisentry";
inline constexpr char kMachine[] = "x86_64";
inline constexpr char kDomainname[] = "(none)";

}  // namespace ms::kernel
