#include "fs/fd_table.h"

#include <cerrno>

namespace ms::fs {

Result<int> FdTable::install(FilePtr file, bool cloexec, int min_fd, uint64_t limit) {
  for (size_t fd = static_cast<size_t>(min_fd); fd < limit; ++fd) {
    if (fd >= entries_.size()) entries_.resize(fd + 1);
    if (!entries_[fd].file) {
      entries_[fd] = Entry{std::move(file), cloexec};
      return static_cast<int>(fd);
    }
  }
  trim();
  return fail(EMFILE);
}

Result<int> FdTable::lowest_free(int min_fd, uint64_t limit) const {
  for (size_t fd = static_cast<size_t>(min_fd); fd < limit; ++fd) {
    if (fd >= entries_.size() || !entries_[fd].file) return static_cast<int>(fd);
  }
  return fail(EMFILE);
}

FdTable::FilePtr FdTable::install_at(int fd, FilePtr file, bool cloexec) {
  const auto i = static_cast<size_t>(fd);
  if (i >= entries_.size()) entries_.resize(i + 1);
  FilePtr old = std::move(entries_[i].file);
  entries_[i] = Entry{std::move(file), cloexec};
  return old;
}

FdTable::FilePtr FdTable::get(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size()) return nullptr;
  return entries_[static_cast<size_t>(fd)].file;
}

FdTable::FilePtr FdTable::remove(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size()) return nullptr;
  FilePtr old = std::move(entries_[static_cast<size_t>(fd)].file);
  entries_[static_cast<size_t>(fd)].cloexec = false;
  trim();
  return old;
}

bool FdTable::cloexec(int fd) const {
  return get(fd) != nullptr && entries_[static_cast<size_t>(fd)].cloexec;
}

void FdTable::set_cloexec(int fd, bool cloexec) {
  if (get(fd) != nullptr) entries_[static_cast<size_t>(fd)].cloexec = cloexec;
}

std::vector<int> FdTable::open_in(unsigned first, unsigned last) const {
  std::vector<int> fds;
  for (size_t fd = first; fd < entries_.size() && fd <= last; ++fd) {
    if (entries_[fd].file) fds.push_back(static_cast<int>(fd));
  }
  return fds;
}

std::vector<FdTable::FilePtr> FdTable::close_on_exec() {
  std::vector<FilePtr> closed;
  for (auto& e : entries_) {
    if (e.cloexec && e.file) {
      closed.push_back(std::move(e.file));
      e = Entry{};
    }
  }
  trim();
  return closed;
}

void FdTable::trim() {
  while (!entries_.empty() && !entries_.back().file)
    entries_.pop_back();
}

}  // namespace ms::fs
