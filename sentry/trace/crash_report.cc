#include "sentry/trace/crash_report.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>

#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::trace {
namespace {

std::string code_name(const siginfo_t& info) {
  switch (info.si_signo) {
    case SIGSEGV:
      if (info.si_code == SEGV_MAPERR) return "SEGV_MAPERR";
      if (info.si_code == SEGV_ACCERR) return "SEGV_ACCERR";
      break;
    case SIGBUS:
      if (info.si_code == BUS_ADRALN) return "BUS_ADRALN";
      if (info.si_code == BUS_ADRERR) return "BUS_ADRERR";
      break;
    case SIGILL:
      if (info.si_code == ILL_ILLOPN) return "ILL_ILLOPN";
      if (info.si_code == ILL_ILLOPC) return "ILL_ILLOPC";
      break;
    case SIGFPE:
      if (info.si_code == FPE_INTDIV) return "FPE_INTDIV";
      if (info.si_code == FPE_INTOVF) return "FPE_INTOVF";
      break;
    default:
      break;
  }
  if (info.si_code == SI_KERNEL) return "SI_KERNEL";
  return fmt::format("si_code={}", info.si_code);
}

}  // namespace

namespace {

// Capstone is loaded only when a crash report needs it: its 77,000 relocations would
// otherwise cost every sandbox start a few milliseconds.
struct Capstone {
  decltype(&cs_open) open = nullptr;
  decltype(&cs_disasm) disasm = nullptr;
  decltype(&cs_free) free = nullptr;
  decltype(&cs_close) close = nullptr;
};

const Capstone* capstone() {
  static const Capstone* loaded = []() -> const Capstone* {
    void* lib = dlopen(MS_CAPSTONE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return nullptr;
    static Capstone cs;
    cs.open = reinterpret_cast<decltype(&cs_open)>(dlsym(lib, "cs_open"));
    cs.disasm = reinterpret_cast<decltype(&cs_disasm)>(dlsym(lib, "cs_disasm"));
    cs.free = reinterpret_cast<decltype(&cs_free)>(dlsym(lib, "cs_free"));
    cs.close = reinterpret_cast<decltype(&cs_close)>(dlsym(lib, "cs_close"));
    if (cs.open == nullptr || cs.disasm == nullptr || cs.free == nullptr || cs.close == nullptr) {
      return nullptr;
    }
    return &cs;
  }();
  return loaded;
}

}  // namespace

std::string disassemble(const uint8_t* code, size_t len, uint64_t pc, size_t max_instructions) {
  const Capstone* cs = capstone();
  csh handle = 0;
  if (cs == nullptr || cs->open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    return "  (no disassembler: " MS_CAPSTONE_LIBRARY " did not load)\n";
  }
  cs_insn* insns = nullptr;
  const size_t n = cs->disasm(handle, code, len, pc, max_instructions, &insns);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += fmt::format("  {} {:#014x}: {} {}\n", i == 0 ? "=>" : "  ", insns[i].address,
                       insns[i].mnemonic, insns[i].op_str);
  }
  if (n == 0) out = "  (not decodable)\n";
  cs->free(insns, n);
  cs->close(&handle);
  return out;
}

void report_crash(kernel::Task& t, const siginfo_t& info) {
  const char* abbrev = sigabbrev_np(info.si_signo);
  std::string out =
      fmt::format("minisentry: pid {} ({}) killed by SIG{} ({})", t.pid(),
                  t.thread_group().exe_path(), abbrev != nullptr ? abbrev : "?", code_name(info));
  if (info.si_signo == SIGSEGV || info.si_signo == SIGBUS || info.si_signo == SIGILL ||
      info.si_signo == SIGFPE) {
    out += fmt::format(" at address {:#x}", reinterpret_cast<uint64_t>(info.si_addr));
  }
  out += "\n";
  auto regs_or = t.thread().regs();
  if (regs_or) {
    const platform::Regs& r = **regs_or;
    out += fmt::format(
        "  rip {:#018x}  rsp {:#018x}  rbp {:#018x}  eflags {:#x}\n"
        "  rax {:#018x}  rbx {:#018x}  rcx {:#018x}  rdx {:#018x}\n"
        "  rsi {:#018x}  rdi {:#018x}  r8  {:#018x}  r9  {:#018x}\n"
        "  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}  r13 {:#018x}\n"
        "  r14 {:#018x}  r15 {:#018x}  fs_base {:#x}\n",
        r.rip, r.rsp, r.rbp, r.eflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.r8, r.r9, r.r10,
        r.r11, r.r12, r.r13, r.r14, r.r15, r.fs_base);
    uint8_t code[64];
    auto n = t.mm().copy_in_partial(r.rip, std::as_writable_bytes(std::span(code)));
    if (n) {
      out += "  code:\n" + disassemble(code, *n, r.rip, 6);
    } else {
      out += "  code: (pc not readable)\n";
    }
  }
  std::fputs(out.c_str(), stderr);
}

}  // namespace ms::trace
