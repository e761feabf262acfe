// What minisentry prints when a guest dies of a fault it did not handle: the signal, the
// faulting address, the registers, and the instructions at the faulting pc.
#pragma once

#include <signal.h>

#include <string>

namespace ms::kernel {
class Task;
}

namespace ms::trace {

// Writes the report to stderr.
void report_crash(kernel::Task& t, const siginfo_t& info);

// The report's disassembly lines for code bytes at address pc (Capstone, Intel syntax).
std::string disassemble(const uint8_t* code, size_t len, uint64_t pc, size_t max_instructions);

}  // namespace ms::trace
