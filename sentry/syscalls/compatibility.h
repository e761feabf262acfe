// The syscall table rendered for people: `minisentry --list-syscalls` and
// docs/compatibility.md.
#pragma once

#include <string>

namespace ms::sys {

std::string compatibility_markdown();

}  // namespace ms::sys
