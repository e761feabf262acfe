// Building a process image: the executable (and its interpreter) mapped into a fresh
// address space, the initial stack, and registers at the entry point.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/fs_context.h"
#include "fs/path.h"
#include "sentry/kernel/credentials.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/platform/platform.h"

namespace ms::kernel {

class Kernel;

struct ExecRequest {
  std::string path;  // what to open, in fs's root and cwd; AT_EXECFN
  // execveat(2) with a dirfd: the program already found; `path` is then only its name
  // ("/dev/fd/N/NAME"). path_inaccessible: that name will not exist in the new image (the
  // fd is close-on-exec), so a script cannot be run (ENOENT), as in Linux.
  std::optional<fs::Path> found;
  bool path_inaccessible = false;
  const fs::FsContext* fs = nullptr;
  int pid = 0;  // the process that execs (for /proc/self in the path)
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
  std::string exe_path;  // the program's path in the guest's tree (/proc/PID/exe)
};

std::expected<NewImage, ExecError> load_image(Kernel& kernel, const ExecRequest& request,
                                              const Credentials& creds);

}  // namespace ms::kernel
