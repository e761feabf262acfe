#include "sentry/trace/tracer.h"

#include <fmt/format.h>

#include <cstring>

#include "sentry/kernel/task.h"
#include "sentry/trace/strace_format.h"

namespace ms::trace {

Tracer::Tracer(std::FILE* strace_out, bool stats) : out_(strace_out), stats_(stats) {}

void Tracer::syscall_exit(kernel::Task& t, const sys::SysRet& result) {
  const auto& e = t.thread().syscall();
  if (stats_) {
    Count& c = counts_[e.nr];
    ++c.calls;
    c.errors += result ? 0 : 1;
  }
  if (out_ == nullptr) return;
  const bool returned = t.state() != kernel::Task::State::kDead;
  const std::string line =
      format_syscall(sys::find_syscall(e.nr), e.nr, e.args, result, returned, t.mm());
  fmt::print(out_, "[pid {:>5}] {}\n", t.tid(), line);
  std::fflush(out_);
}

void Tracer::finish() {
  if (!stats_) return;
  fmt::print(stderr, "{:>10} {:>10}  {}\n", "calls", "errors", "syscall");
  uint64_t calls = 0;
  uint64_t errors = 0;
  for (const auto& [nr, c] : counts_) {
    const sys::SyscallSpec* spec = sys::find_syscall(nr);
    const std::string name = spec != nullptr ? std::string(spec->name) : fmt::format("#{}", nr);
    const bool missing = spec == nullptr || spec->handler == nullptr;
    fmt::print(stderr, "{:>10} {:>10}  {}{}\n", c.calls, c.errors, name,
               missing ? " (not implemented)" : "");
    calls += c.calls;
    errors += c.errors;
  }
  fmt::print(stderr, "{:>10} {:>10}  total\n", calls, errors);
}

}  // namespace ms::trace
