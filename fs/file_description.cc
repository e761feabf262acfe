#include "fs/file_description.h"

#include "fs/locks.h"

namespace ms::fs {

FileDescription::~FileDescription() {
  Inode* i = inode();
  if (i == nullptr || !i->has_locks()) return;
  i->locks().release(LockOwner::file(this));
  i->locks().release_flock(this);
}

Result<size_t> FileDescription::read(std::span<std::byte> /*dst*/) {
  return fail(EINVAL);
}
Result<size_t> FileDescription::write(std::span<const std::byte> /*src*/) {
  return fail(EINVAL);
}
Result<size_t> FileDescription::pread(std::span<std::byte> /*dst*/, uint64_t /*offset*/) {
  return fail(ESPIPE);
}
Result<size_t> FileDescription::pwrite(std::span<const std::byte> /*src*/, uint64_t /*offset*/) {
  return fail(ESPIPE);
}
Result<uint64_t> FileDescription::seek(int64_t /*offset*/, int /*whence*/) {
  return fail(ESPIPE);
}
Result<Stat> FileDescription::stat() {
  if (Inode* i = inode()) return i->stat();
  return Stat{};
}
Result<uint64_t> FileDescription::ioctl(uint32_t /*request*/, uint64_t /*arg*/,
                                        mm::GuestMemory& /*mem*/) {
  return fail(ENOTTY);
}
Result<void> FileDescription::readdir(const DirEmit& /*emit*/) {
  return fail(ENOTDIR);
}
Result<void> FileDescription::allocate(int /*mode*/, uint64_t /*offset*/, uint64_t /*len*/) {
  return fail(ENODEV);
}
Result<void> FileDescription::sync(bool /*data_only*/) {
  return fail(EINVAL);
}
Result<MmapTarget> FileDescription::mmap_target(bool /*shared_write*/) {
  return fail(ENODEV);
}

void FileDescription::set_status_flags(int flags) {
  constexpr int kSettable = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;
  flags_ = (flags_ & ~kSettable) | (flags & kSettable);
}

}  // namespace ms::fs
