#include "fs/seekable_file.h"

namespace ms::fs {

Result<std::span<const std::byte>> SeekableFile::clip(std::span<const std::byte> src, uint64_t at) {
  if (src.empty()) return src;
  if (at >= kMaxFileSize) return fail(EFBIG);
  return src.first(std::min<uint64_t>(src.size(), kMaxFileSize - at));
}

Result<size_t> SeekableFile::read(std::span<std::byte> dst) {
  const size_t n = TRY(read_at(dst, offset_));
  offset_ += n;
  return n;
}

Result<size_t> SeekableFile::write(std::span<const std::byte> src) {
  if (append()) offset_ = TRY(size());
  src = TRY(clip(src, offset_));
  const size_t n = TRY(write_at(src, offset_));
  offset_ += n;
  return n;
}

Result<size_t> SeekableFile::pread(std::span<std::byte> dst, uint64_t offset) {
  return read_at(dst, offset);
}

Result<size_t> SeekableFile::pwrite(std::span<const std::byte> src, uint64_t offset) {
  // Linux appends even with an explicit offset when the file is O_APPEND (see pwrite(2),
  // BUGS).
  if (append()) offset = TRY(size());
  src = TRY(clip(src, offset));
  return write_at(src, offset);
}

Result<uint64_t> SeekableFile::seek(int64_t offset, int whence) {
  int64_t pos = 0;
  switch (whence) {
    case SEEK_SET:
      pos = offset;
      break;
    case SEEK_CUR:
      if (offset == 0) return offset_;
      if (__builtin_add_overflow(static_cast<int64_t>(offset_), offset, &pos)) {
        return fail(EINVAL);
      }
      break;
    case SEEK_END: {
      const auto end = static_cast<int64_t>(TRY(size()));
      if (__builtin_add_overflow(end, offset, &pos)) return fail(EINVAL);
      break;
    }
    case SEEK_DATA:
    case SEEK_HOLE: {
      const uint64_t end = TRY(size());
      if (offset < 0 || static_cast<uint64_t>(offset) >= end) return fail(ENXIO);
      pos = static_cast<int64_t>(TRY(seek_data(static_cast<uint64_t>(offset), whence)));
      break;
    }
    default:
      return fail(EINVAL);
  }
  if (pos < 0) return fail(EINVAL);
  offset_ = static_cast<uint64_t>(pos);
  return offset_;
}

Result<uint64_t> SeekableFile::seek_data(uint64_t offset, int whence) {
  if (whence == SEEK_DATA) return offset;
  return TRY(size());
}

}  // namespace ms::fs
