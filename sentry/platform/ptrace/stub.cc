#include "sentry/platform/ptrace/stub.h"

#include <sys/mman.h>

#include <cstring>

namespace ms::platform::ptrace {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kStubPages = 2;  // the code, then the scratch page
constexpr uint64_t kGiB = 1ULL << 30;
// Candidate stub addresses, top down: just below the top megabyte, then a GiB lower each
// time, in case the sentry's own stack or mappings already sit there.
constexpr uint64_t kFirstCandidate = kUserTop + kPage - (1ULL << 20);
constexpr int kCandidates = 64;

uint64_t stub_offset(const char* symbol) {
  return static_cast<uint64_t>(symbol - ms_stub_begin);
}

}  // namespace

Result<Layout> install_stub() {
  const size_t size = static_cast<size_t>(ms_stub_end - ms_stub_begin);
  static_assert(kPage >= 64);
  if (size > kPage) return fail(E2BIG);
  for (int i = 0; i < kCandidates; ++i) {
    const uint64_t addr = kFirstCandidate - static_cast<uint64_t>(i) * kGiB;
    void* p = mmap(reinterpret_cast<void*>(addr), kStubPages * kPage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) continue;
    if (reinterpret_cast<uint64_t>(p) != addr) {  // kernels that ignore NOREPLACE
      munmap(p, kStubPages * kPage);
      continue;
    }
    std::memcpy(p, ms_stub_begin, size);
    if (mprotect(p, kPage, PROT_READ | PROT_EXEC) != 0) return fail(errno);
    return Layout{.guest_top = addr, .stub_begin = addr, .stub_end = addr + kStubPages * kPage};
  }
  return fail(ENOMEM);
}

uint64_t stub_entry_address(const Layout& layout) {
  return layout.stub_begin + stub_offset(ms_stub_entry);
}

uint64_t stub_syscall_site(const Layout& layout) {
  return layout.stub_begin + stub_offset(ms_stub_syscall_site);
}

uint64_t stub_cmpxchg_site(const Layout& layout) {
  return layout.stub_begin + stub_offset(ms_stub_cmpxchg_site);
}

uint64_t stub_scratch(const Layout& layout) {
  return layout.stub_begin + kPage;
}

}  // namespace ms::platform::ptrace
