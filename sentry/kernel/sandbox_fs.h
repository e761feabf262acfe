// The guest's filesystem at start: the root (a host directory, read-only, under an
// in-memory writable layer), /proc, /dev, /dev/shm, the user's binds and tmpfs mounts, and
// the first process's working directory.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "fs/fs_context.h"

namespace ms::kernel {

class Kernel;

struct FsOptions {
  std::string rootfs = "/";          // --rootfs
  bool read_only_root = false;       // --read-only-root: no writable layer for the guest
  std::vector<std::string> volumes;  // -v HOST:GUEST[:ro|:rw]
  std::vector<std::string> tmpfs;    // --tmpfs PATH
  std::string workdir;               // --workdir; empty: the host's cwd if visible, else /
};

// Builds the mount namespace; a message for a person when an option is wrong.
std::expected<std::shared_ptr<fs::FsContext>, std::string> setup_filesystem(
    Kernel& kernel, const FsOptions& options);

}  // namespace ms::kernel
