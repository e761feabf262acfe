#include "fs/mapped_file.h"

#include "fs/vfs.h"

namespace ms::fs {

std::string PathMappedFile::name() const {
  return Vfs::path_string(path_, Path{});
}

}  // namespace ms::fs
