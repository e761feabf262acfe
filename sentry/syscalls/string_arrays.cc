#include "sentry/syscalls/string_arrays.h"

namespace ms::sys {
namespace {

constexpr size_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN, NUL included

}  // namespace

Result<std::vector<std::string>> copy_in_string_array(mm::GuestMemory& mem, uint64_t addr,
                                                      uint64_t& budget) {
  std::vector<std::string> out;
  if (addr == 0) return out;
  for (uint64_t i = 0;; ++i) {
    const uint64_t p = TRY(mem.read(mm::GuestPtr<uint64_t>(addr + i * sizeof(uint64_t))));
    if (p == 0) break;
    // Every string costs its bytes and a pointer on the new stack.
    if (budget < sizeof(uint64_t)) return fail(E2BIG);
    budget -= sizeof(uint64_t);
    auto s = mem.copy_in_string(p, kMaxArgStrlen - 1);
    if (!s) return fail(s.error() == Errno{ENAMETOOLONG} ? E2BIG : errno_value(s.error()));
    if (budget < s->size() + 1) return fail(E2BIG);
    budget -= s->size() + 1;
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace ms::sys
