// A file with an offset: read/write advance it, pread/pwrite leave it alone, lseek moves it
// (SEEK_DATA and SEEK_HOLE included), O_APPEND writes at the end. Filesystems provide only
// positioned transfers and the size.
#pragma once

#include "fs/file_description.h"

namespace ms::fs {

// Linux's MAX_LFS_FILESIZE: the largest offset and file size.
inline constexpr uint64_t kMaxFileSize = INT64_MAX;

class SeekableFile : public FileDescription {
 public:
  using FileDescription::FileDescription;

  Result<size_t> read(std::span<std::byte> dst) override;
  Result<size_t> write(std::span<const std::byte> src) override;
  Result<size_t> pread(std::span<std::byte> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const std::byte> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  uint64_t position() const override { return offset_; }
  // Memory-backed data has nothing to flush.
  Result<void> sync(bool /*data_only*/) override { return {}; }

 protected:
  virtual Result<size_t> read_at(std::span<std::byte> dst, uint64_t offset) = 0;
  virtual Result<size_t> write_at(std::span<const std::byte> src, uint64_t offset) = 0;
  virtual Result<uint64_t> size() = 0;
  // SEEK_DATA / SEEK_HOLE for an offset inside the file: where the next data (or hole)
  // starts. By default the file is all data, with the implicit hole at its end.
  virtual Result<uint64_t> seek_data(uint64_t offset, int whence);

 private:
  // Clips a write so that it ends within kMaxFileSize (EFBIG when nothing fits).
  static Result<std::span<const std::byte>> clip(std::span<const std::byte> src, uint64_t at);

  uint64_t offset_ = 0;
};

}  // namespace ms::fs
