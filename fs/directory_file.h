// An open directory: getdents64 reads "." and ".." and then the filesystem's entries from a
// position that lseek can save and restore (telldir/seekdir), or reset (rewinddir).
#pragma once

#include "fs/file_description.h"

namespace ms::fs {

class DirectoryFile final : public FileDescription {
 public:
  DirectoryFile(int flags, Path path) : FileDescription(flags, std::move(path)) {}

  Result<size_t> read(std::span<std::byte> dst) override;
  Result<size_t> pread(std::span<std::byte> dst, uint64_t offset) override;
  Result<void> readdir(const DirEmit& emit) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  uint64_t position() const override { return cursor_.offset; }
  Result<void> sync(bool /*data_only*/) override { return {}; }

 private:
  DirCursor cursor_{0, nullptr};
};

}  // namespace ms::fs
