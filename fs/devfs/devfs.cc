#include "fs/devfs/devfs.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"
#include "fs/mapped_file.h"
#include "fs/vfs.h"

namespace ms::fs {
namespace {

enum class Memory { kNull, kZero, kFull, kRandom };

// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom.
class MemoryDevice final : public FileDescription {
 public:
  MemoryDevice(Memory kind, const OpenRequest& r) : FileDescription(r.flags, r.path), kind_(kind) {}

  Result<size_t> read(std::span<std::byte> dst) override {
    switch (kind_) {
      case Memory::kNull:
        return 0;
      case Memory::kZero:
      case Memory::kFull:
        std::memset(dst.data(), 0, dst.size());
        return dst.size();
      case Memory::kRandom: {
        size_t done = 0;
        while (done < dst.size()) {
          const ssize_t n = ::getrandom(dst.data() + done, dst.size() - done, 0);
          if (n < 0) return done > 0 ? Result<size_t>(done) : fail(errno);
          done += static_cast<size_t>(n);
        }
        return done;
      }
    }
    return 0;
  }
  Result<size_t> write(std::span<const std::byte> src) override {
    if (kind_ == Memory::kFull) return fail(ENOSPC);
    return src.size();  // discarded (or, for random, mixed into nothing we keep)
  }
  Result<size_t> pread(std::span<std::byte> dst, uint64_t /*offset*/) override { return read(dst); }
  Result<size_t> pwrite(std::span<const std::byte> src, uint64_t /*offset*/) override {
    return write(src);
  }
  // These devices have no position: every seek lands at 0.
  Result<uint64_t> seek(int64_t /*offset*/, int /*whence*/) override { return 0; }

  // A mapping of /dev/zero is anonymous memory: private ones copy zero pages, shared ones
  // share one new object (a fresh, sparse memfd per mapping, as Linux makes a new shmem file).
  Result<MmapTarget> mmap_target(bool /*shared_write*/) override {
    if (kind_ != Memory::kZero) return fail(ENODEV);
    zero_.reset(::memfd_create("dev/zero", MFD_CLOEXEC));
    if (!zero_) return fail(ENOMEM);
    if (::ftruncate(zero_.get(), static_cast<off_t>(1ULL << 46)) != 0) return fail(ENOMEM);
    return MmapTarget{zero_.get(), std::make_shared<PathMappedFile>(Path{}, 0, 0)};
  }

 private:
  Memory kind_;
  UniqueFd zero_;
};

}  // namespace

void register_memory_devices(DeviceRegistry& devices) {
  auto add = [&](uint32_t minor, Memory kind) {
    devices.add(1, minor, [kind](const OpenRequest& r) -> Result<std::shared_ptr<FileDescription>> {
      return std::make_shared<MemoryDevice>(kind, r);
    });
  };
  add(3, Memory::kNull);
  add(5, Memory::kZero);
  add(7, Memory::kFull);
  add(8, Memory::kRandom);
  add(9, Memory::kRandom);
}

TmpfsInstance make_devfs(Vfs& vfs) {
  TmpfsInstance dev =
      make_tmpfs(vfs.allocate_anon_dev(), vfs.clock(), TmpfsOptions{.root_mode = 0755});
  auto& root = static_cast<TmpfsDir&>(dev.root->ino());
  auto node = [&](const char* name, uint32_t mode, uint64_t rdev, std::string_view target = {}) {
    root.add(name, make_tmpfs_inode(dev.sb,
                                    NewNode{.mode = mode, .rdev = rdev, .symlink_target = target}));
  };
  node("null", S_IFCHR | 0666, makedev(1, 3));
  node("zero", S_IFCHR | 0666, makedev(1, 5));
  node("full", S_IFCHR | 0666, makedev(1, 7));
  node("random", S_IFCHR | 0666, makedev(1, 8));
  node("urandom", S_IFCHR | 0666, makedev(1, 9));
  node("tty", S_IFCHR | 0666, makedev(5, 0));
  node("console", S_IFCHR | 0600, makedev(5, 1));
  node("fd", S_IFLNK | 0777, 0, "/proc/self/fd");
  node("stdin", S_IFLNK | 0777, 0, "/proc/self/fd/0");
  node("stdout", S_IFLNK | 0777, 0, "/proc/self/fd/1");
  node("stderr", S_IFLNK | 0777, 0, "/proc/self/fd/2");
  node("shm", S_IFDIR | 01777, 0);
  return dev;
}

}  // namespace ms::fs
