// A process's file descriptor table: small integers to open file descriptions, with the
// per-descriptor close-on-exec flag. Shared between threads (CLONE_FILES), copied by fork.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "fs/file_description.h"

namespace ms::fs {

class FdTable {
 public:
  using FilePtr = std::shared_ptr<FileDescription>;

  // The lowest free descriptor >= min_fd and below limit (RLIMIT_NOFILE); EMFILE if none.
  Result<int> install(FilePtr file, bool cloexec, int min_fd, uint64_t limit);
  // What install() would choose, without installing: open(2) reports EMFILE before it
  // looks at the path.
  Result<int> lowest_free(int min_fd, uint64_t limit) const;
  // Puts file at fd, replacing (and returning) what was there, as dup2 does.
  FilePtr install_at(int fd, FilePtr file, bool cloexec);
  // nullptr for a descriptor that is not open.
  FilePtr get(int fd) const;
  // Removes fd and returns what it referred to (nullptr: EBADF for the caller).
  FilePtr remove(int fd);
  bool cloexec(int fd) const;
  void set_cloexec(int fd, bool cloexec);
  // Descriptors in [first, last]; for close_range.
  std::vector<int> open_in(unsigned first, unsigned last) const;
  // Highest open descriptor + 1.
  int end() const { return static_cast<int>(entries_.size()); }
  // Closes the close-on-exec descriptors; returns what they referred to, so the caller can
  // release the process's record locks on those files.
  std::vector<FilePtr> close_on_exec();
  std::shared_ptr<FdTable> clone() const { return std::make_shared<FdTable>(*this); }

 private:
  struct Entry {
    FilePtr file;
    bool cloexec = false;
  };
  void trim();
  std::vector<Entry> entries_;
};

}  // namespace ms::fs
