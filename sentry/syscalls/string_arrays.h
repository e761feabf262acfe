// argv/envp-style arrays of string pointers in guest memory, for execve.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/mm/guest_memory.h"

namespace ms::sys {

// Reads a NULL-terminated array of string pointers. A NULL array is empty. E2BIG when one
// string exceeds MAX_ARG_STRLEN or all of them together exceed `budget` bytes (what the
// stack may hold); EFAULT for unreadable memory.
Result<std::vector<std::string>> copy_in_string_array(mm::GuestMemory& mem, uint64_t addr,
                                                      uint64_t& budget);

}  // namespace ms::sys
