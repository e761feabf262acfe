// tmpfs regular files: their data (inline pages, then a memfd) and their open descriptions.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "fs/mapped_file.h"
#include "fs/seekable_file.h"
#include "fs/tmpfs/tmpfs.h"

namespace ms::fs {
namespace {

constexpr uint64_t kPage = 4096;

uint64_t pages_for(uint64_t bytes) {
  return (bytes + kPage - 1) / kPage;
}

class TmpfsFileDescription final : public SeekableFile {
 public:
  TmpfsFileDescription(int flags, Path path, std::shared_ptr<TmpfsFile> file)
      : SeekableFile(flags, std::move(path)), file_(std::move(file)) {}

  Result<void> allocate(int mode, uint64_t offset, uint64_t len) override {
    return file_->allocate(mode, offset, len);
  }

  Result<MmapTarget> mmap_target(bool shared_write) override {
    const int fd = TRY(shared_write ? file_->memfd() : file_->memfd_read_only());
    const Stat st = TRY(file_->stat());
    return MmapTarget{fd, std::make_shared<PathMappedFile>(path(), st.dev, st.ino)};
  }

 protected:
  Result<size_t> read_at(std::span<std::byte> dst, uint64_t offset) override {
    const size_t n = TRY(file_->read(dst, offset));
    if ((flags() & O_NOATIME) == 0) file_->touch_accessed();
    return n;
  }
  Result<size_t> write_at(std::span<const std::byte> src, uint64_t offset) override {
    const size_t n = TRY(file_->write(src, offset));
    file_->touch_modified();
    return n;
  }
  Result<uint64_t> size() override { return file_->size(); }
  Result<uint64_t> seek_data(uint64_t offset, int whence) override {
    return file_->seek_data(offset, whence);
  }

 private:
  std::shared_ptr<TmpfsFile> file_;
};

}  // namespace

TmpfsFile::TmpfsFile(std::shared_ptr<Superblock> sb, const NewNode& node)
    : TmpfsInode(std::move(sb), node) {}

TmpfsFile::~TmpfsFile() {
  account(-accounted_);
}

Result<std::shared_ptr<FileDescription>> TmpfsFile::open(const OpenRequest& request) {
  return std::make_shared<TmpfsFileDescription>(
      request.flags, request.path, std::static_pointer_cast<TmpfsFile>(shared_from_this()));
}

void TmpfsFile::account(int64_t delta_bytes) {
  if (auto* tsb = dynamic_cast<TmpfsSuperblock*>(&sb())) tsb->used_bytes += delta_bytes;
  accounted_ += delta_bytes;
}

void TmpfsFile::fill_size(Stat& st) {
  st.size = size_;
  if (memfd_) {
    struct stat host {};
    st.blocks = ::fstat(memfd_.get(), &host) == 0 ? static_cast<uint64_t>(host.st_blocks) : 0;
    return;
  }
  uint64_t present = 0;
  for (const auto& p : pages_)
    present += p != nullptr;
  st.blocks = present * (kPage / 512);
}

Result<void> TmpfsFile::promote() {
  UniqueFd fd(::memfd_create("minisentry-tmpfs", MFD_CLOEXEC));
  // The sentry's own descriptor limit is a space limit of the sandbox's memory filesystem.
  if (!fd) return fail(errno == EMFILE || errno == ENFILE ? ENOSPC : errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(size_)) != 0) return fail(errno);
  for (size_t i = 0; i < pages_.size(); ++i) {
    if (!pages_[i]) continue;
    const uint64_t at = i * kPage;
    const size_t len = std::min<uint64_t>(kPage, size_ - at);
    if (::pwrite(fd.get(), pages_[i]->data(), len, static_cast<off_t>(at)) !=
        static_cast<ssize_t>(len)) {
      return fail(errno != 0 ? errno : EIO);
    }
  }
  pages_.clear();
  memfd_ = std::move(fd);
  return {};
}

Result<int> TmpfsFile::memfd() {
  if (!memfd_) TRY(promote());
  return memfd_.get();
}

Result<int> TmpfsFile::memfd_read_only() {
  if (!memfd_ro_) {
    const int rw = TRY(memfd());
    const std::string proc = "/proc/self/fd/" + std::to_string(rw);
    memfd_ro_.reset(::open(proc.c_str(), O_RDONLY | O_CLOEXEC));
    if (!memfd_ro_) return fail(errno == EMFILE || errno == ENFILE ? ENOSPC : errno);
  }
  return memfd_ro_.get();
}

Result<size_t> TmpfsFile::read(std::span<std::byte> dst, uint64_t offset) {
  if (offset >= size_) return 0;
  const size_t n = std::min<uint64_t>(dst.size(), size_ - offset);
  if (memfd_) {
    size_t done = 0;
    while (done < n) {
      const ssize_t r =
          ::pread(memfd_.get(), dst.data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) return done > 0 ? Result<size_t>(done) : fail(errno);
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }
  size_t done = 0;
  while (done < n) {
    const uint64_t at = offset + done;
    const uint64_t page = at / kPage;
    const size_t within = at % kPage;
    const size_t step = std::min<uint64_t>(n - done, kPage - within);
    if (page < pages_.size() && pages_[page]) {
      std::memcpy(dst.data() + done, pages_[page]->data() + within, step);
    } else {
      std::memset(dst.data() + done, 0, step);
    }
    done += step;
  }
  return done;
}

Result<size_t> TmpfsFile::write(std::span<const std::byte> src, uint64_t offset) {
  if (src.empty()) return 0;
  const uint64_t end = offset + src.size();
  if (!memfd_ && end > kInlineMax) TRY(promote());
  size_t done = 0;
  if (memfd_) {
    while (done < src.size()) {
      const ssize_t r = ::pwrite(memfd_.get(), src.data() + done, src.size() - done,
                                 static_cast<off_t>(offset + done));
      if (r < 0) {
        if (done > 0) break;
        return fail(errno);
      }
      done += static_cast<size_t>(r);
    }
  } else {
    if (pages_.size() < pages_for(end)) pages_.resize(pages_for(end));
    while (done < src.size()) {
      const uint64_t at = offset + done;
      const uint64_t page = at / kPage;
      const size_t within = at % kPage;
      const size_t step = std::min<uint64_t>(src.size() - done, kPage - within);
      if (!pages_[page]) pages_[page] = std::make_unique<Page>();
      std::memcpy(pages_[page]->data() + within, src.data() + done, step);
      done += step;
    }
  }
  if (offset + done > size_) {
    account(static_cast<int64_t>(pages_for(offset + done) * kPage) - accounted_);
    size_ = offset + done;
  }
  return done;
}

Result<void> TmpfsFile::resize(uint64_t size) {
  if (!memfd_ && size > kInlineMax) TRY(promote());
  if (memfd_) {
    if (::ftruncate(memfd_.get(), static_cast<off_t>(size)) != 0) return fail(errno);
  } else {
    if (size < size_) {
      // The cut page's tail must read back as zeros if the file grows again.
      const uint64_t keep = pages_for(size);
      if (size % kPage != 0 && keep <= pages_.size() && pages_[keep - 1]) {
        std::memset(pages_[keep - 1]->data() + size % kPage, 0, kPage - size % kPage);
      }
    }
    pages_.resize(pages_for(size));
  }
  size_ = size;
  account(static_cast<int64_t>(pages_for(size) * kPage) - accounted_);
  return {};
}

Result<uint64_t> TmpfsFile::seek_data(uint64_t offset, int whence) {
  if (memfd_) {
    const off_t r = ::lseek(memfd_.get(), static_cast<off_t>(offset), whence);
    if (r < 0) return fail(errno);
    return static_cast<uint64_t>(r);
  }
  for (uint64_t page = offset / kPage; page < pages_.size(); ++page) {
    const bool data = pages_[page] != nullptr;
    if (data == (whence == SEEK_DATA)) return std::max(offset, page * kPage);
  }
  if (whence == SEEK_DATA) return fail(ENXIO);
  return size_;
}

Result<void> TmpfsFile::allocate(int mode, uint64_t offset, uint64_t len) {
  // The host's shmem implements every mode tmpfs has, with tmpfs's errors.
  const int fd = TRY(memfd());
  if (::fallocate(fd, mode, static_cast<off_t>(offset), static_cast<off_t>(len)) != 0) {
    return fail(errno);
  }
  struct stat host {};
  if (::fstat(fd, &host) != 0) return fail(errno);
  size_ = static_cast<uint64_t>(host.st_size);
  account(static_cast<int64_t>(pages_for(size_) * kPage) - accounted_);
  touch_modified();
  return {};
}

}  // namespace ms::fs
