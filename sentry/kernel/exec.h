// Building a process image: the executable (and its interpreter) mapped into a fresh
// address space, the initial stack, and registers at the entry point.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "sentry/kernel/credentials.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/platform/platform.h"

namespace ms::kernel {

class Kernel;

struct ExecRequest {
  std::string path;  // what to open
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  uint64_t stack_limit = 8 << 20;  // RLIMIT_STACK
};

struct ExecError {
  int err = 0;                   // the errno execve reports
  std::string reason;            // for a person: "not an ELF file", "No such file or directory"
  bool program_missing = false;  // the program itself (not its interpreter) does not exist
};

struct NewImage {
  std::unique_ptr<platform::Thread> thread;  // stopped at the entry point
  std::shared_ptr<mm::MemoryManager> mm;
  std::string exe_path;
};

std::expected<NewImage, ExecError> load_image(Kernel& kernel, const ExecRequest& request,
                                              const Credentials& creds);

}  // namespace ms::kernel
