#include "fs/directory_file.h"

#include <dirent.h>

#include "fs/dentry.h"

namespace ms::fs {

Result<size_t> DirectoryFile::read(std::span<std::byte> /*dst*/) {
  return fail(EISDIR);
}

Result<size_t> DirectoryFile::pread(std::span<std::byte> /*dst*/, uint64_t /*offset*/) {
  return fail(EISDIR);
}

Result<void> DirectoryFile::readdir(const DirEmit& emit) {
  // A removed directory lists nothing, not even "." (Linux's IS_DEADDIR check).
  if (path().dentry->deleted()) return fail(ENOENT);
  Inode& dir = *inode();
  if (cursor_.offset == 0) {
    const Stat st = TRY(dir.stat());
    if (!emit(DirEntry{".", st.ino, DT_DIR}, 1)) return {};
    cursor_.offset = 1;
  }
  if (cursor_.offset == 1) {
    const auto& parent = path().dentry->parent();
    const Stat st = TRY(parent != nullptr ? parent->ino().stat() : dir.stat());
    if (!emit(DirEntry{"..", st.ino, DT_DIR}, 2)) return {};
    cursor_.offset = 2;
  }
  return dir.readdir(cursor_, emit);
}

Result<uint64_t> DirectoryFile::seek(int64_t offset, int whence) {
  int64_t pos = 0;
  switch (whence) {
    case SEEK_SET:
      pos = offset;
      break;
    case SEEK_CUR:
      if (__builtin_add_overflow(static_cast<int64_t>(cursor_.offset), offset, &pos)) {
        return fail(EINVAL);
      }
      break;
    default:
      return fail(EINVAL);
  }
  if (pos < 0) return fail(EINVAL);
  // Back at the start, a new listing is taken (rewinddir sees new entries).
  if (pos < 2) cursor_.state.reset();
  cursor_.offset = static_cast<uint64_t>(pos);
  return cursor_.offset;
}

}  // namespace ms::fs
