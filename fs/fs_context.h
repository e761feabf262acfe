// A process's place in the filesystem: its root, working directory and umask. Shared by
// threads created with CLONE_FS, copied by fork.
#pragma once

#include <sys/types.h>

#include <memory>

#include "fs/path.h"

namespace ms::fs {

struct FsContext {
  Path root;
  Path cwd;
  mode_t umask = 022;

  std::shared_ptr<FsContext> clone() const { return std::make_shared<FsContext>(*this); }
};

}  // namespace ms::fs
