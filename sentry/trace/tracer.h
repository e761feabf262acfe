// --strace and --stats: what the guest asked of the sentry, decoded.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "sentry/syscalls/syscall_table.h"

namespace ms::kernel {
class Task;
}

namespace ms::trace {

class Tracer {
 public:
  // strace_out: where --strace lines go (nullptr: no strace); stats: count per syscall.
  Tracer(std::FILE* strace_out, bool stats);

  // Called once per completed syscall (not per rerun of a parked one).
  void syscall_exit(kernel::Task& t, const sys::SysRet& result);
  // Prints the --stats table (to stderr), once the guest is done.
  void finish();

 private:
  struct Count {
    uint64_t calls = 0;
    uint64_t errors = 0;
  };
  std::FILE* out_;
  bool stats_;
  std::map<uint64_t, Count> counts_;  // by syscall number
};

}  // namespace ms::trace
