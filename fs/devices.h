// Character devices by number: what opening a device node does (/dev/null is 1:3 wherever
// its node lives, as on Linux). Block devices do not exist in the sandbox.
#pragma once

#include <sys/sysmacros.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "base/result.h"
#include "fs/inode.h"

namespace ms::fs {

class FileDescription;

class DeviceRegistry {
 public:
  using Opener = std::function<Result<std::shared_ptr<FileDescription>>(const OpenRequest&)>;

  void add(uint32_t major, uint32_t minor, Opener opener);
  // ENXIO for a number no driver serves.
  Result<std::shared_ptr<FileDescription>> open(uint64_t rdev, const OpenRequest& request) const;

 private:
  std::map<uint64_t, Opener> openers_;
};

}  // namespace ms::fs
