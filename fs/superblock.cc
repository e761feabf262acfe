#include "fs/superblock.h"

namespace ms::fs {

Superblock::Superblock(std::string fs_type, uint64_t magic, uint64_t dev,
                       const kernel::Clock& clock)
    : fs_type_(std::move(fs_type)), magic_(magic), dev_(dev), clock_(clock) {}

Timestamp Superblock::now() const {
  return to_timestamp(clock_.realtime());
}

Result<struct statfs> Superblock::statfs() {
  struct statfs st {};
  st.f_type = static_cast<__fsword_t>(magic_);
  st.f_bsize = 4096;
  st.f_namelen = 255;
  st.f_frsize = 4096;
  st.f_fsid.__val[0] = static_cast<int>(dev_ & 0xffffffff);
  st.f_fsid.__val[1] = static_cast<int>(dev_ >> 32);
  return st;
}

Timestamp to_timestamp(kernel::Duration since_epoch) {
  const int64_t ns = since_epoch.count();
  return Timestamp{ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000)};
}

}  // namespace ms::fs
