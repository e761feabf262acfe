#include "fs/devices.h"

namespace ms::fs {

void DeviceRegistry::add(uint32_t major, uint32_t minor, Opener opener) {
  openers_[makedev(major, minor)] = std::move(opener);
}

Result<std::shared_ptr<FileDescription>> DeviceRegistry::open(uint64_t rdev,
                                                              const OpenRequest& request) const {
  auto it = openers_.find(rdev);
  if (it == openers_.end()) return fail(ENXIO);
  return it->second(request);
}

}  // namespace ms::fs
