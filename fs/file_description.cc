#include "fs/file_description.h"

namespace ms::fs {

Result<size_t> FileDescription::read(std::span<std::byte> /*dst*/) { return fail(EINVAL); }
Result<size_t> FileDescription::write(std::span<const std::byte> /*src*/) {
  return fail(EINVAL);
}
Result<size_t> FileDescription::pread(std::span<std::byte> /*dst*/, uint64_t /*offset*/) {
  return fail(ESPIPE);
}
Result<size_t> FileDescription::pwrite(std::span<const std::byte> /*src*/,
                                       uint64_t /*offset*/) {
  return fail(ESPIPE);
}
Result<uint64_t> FileDescription::seek(int64_t /*offset*/, int /*whence*/) {
  return fail(ESPIPE);
}
Result<Stat> FileDescription::stat() { return Stat{}; }
Result<uint64_t> FileDescription::ioctl(uint32_t /*request*/, uint64_t /*arg*/,
                                        mm::GuestMemory& /*mem*/) {
  return fail(ENOTTY);
}

void FileDescription::set_status_flags(int flags) {
  constexpr int kSettable = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;
  flags_ = (flags_ & ~kSettable) | (flags & kSettable);
}

}  // namespace ms::fs
