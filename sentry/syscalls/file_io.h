// Moving bytes between guest memory and a file, shared by read/write/readv/writev/pread/
// pwrite and friends: chunking through the sentry's scratch buffer, blocking (parking) when
// the file says EAGAIN, and partial results as Linux reports them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fs/file_description.h"
#include "sentry/syscalls/syscall_table.h"

namespace ms::kernel {
class Task;
}

namespace ms::sys {

struct GuestRange {
  uint64_t addr = 0;
  uint64_t len = 0;
};

// Linux caps one transfer at MAX_RW_COUNT.
inline constexpr uint64_t kMaxRwCount = 0x7ffff000;
// Bytes moved through the sentry's scratch buffer at a time.
inline constexpr uint64_t kTransferChunk = 1 << 20;

// offset: pread/pwrite position; nullopt uses (and advances) the file offset. nowait
// (RWF_NOWAIT): EAGAIN instead of blocking, as if the file were non-blocking.
SysRet read_to_guest(kernel::Task& t, fs::FileDescription& file, std::span<const GuestRange> dst,
                     std::optional<uint64_t> offset, bool nowait = false);
SysRet write_from_guest(kernel::Task& t, fs::FileDescription& file, std::span<const GuestRange> src,
                        std::optional<uint64_t> offset, bool nowait = false);

// The summed length of the ranges, capped at kMaxRwCount.
uint64_t total_length(std::span<const GuestRange> ranges);
// Copy guest bytes [from, from + size) of the ranges, seen as one sequence, into dst (gather)
// or from src (scatter); return how many moved before the first fault.
uint64_t gather(kernel::Task& t, std::span<const GuestRange> ranges, uint64_t from,
                std::span<std::byte> dst);
uint64_t scatter(kernel::Task& t, std::span<const GuestRange> ranges, uint64_t from,
                 std::span<const std::byte> src);

// A write hit a pipe or socket nobody reads: the writer gets SIGPIPE (besides EPIPE).
void raise_sigpipe(kernel::Task& t);

// Reads a struct iovec array (readv/writev): EINVAL for more than IOV_MAX entries or a total
// that overflows ssize_t, EFAULT for unreadable memory. Lengths are capped so that the total
// stays within kMaxRwCount, as Linux does.
Result<std::vector<GuestRange>> copy_in_iovecs(kernel::Task& t, uint64_t addr, uint64_t count);

}  // namespace ms::sys
