#include "sentry/mm/memory_manager.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ms::mm {
namespace {

constexpr uint64_t P = kPageSize;
constexpr uint64_t kGuestTop = 0x7fff00000000;
constexpr uint64_t kMmapBase = 0x7ff000000000;
constexpr uint64_t kFloor = 0x10000;
constexpr uint64_t kBrkStart = 0x600000;
constexpr uint64_t k1G = 0x40000000;
constexpr uint64_t k2G = 0x80000000;
constexpr int kRW = PROT_READ | PROT_WRITE;
constexpr int kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

// One call the sentry made on the host address space.
struct Call {
  enum Op { kMap, kUnmap, kProtect, kRemap } op;
  uint64_t addr = 0;
  uint64_t len = 0;
  int prot = 0;
  int flags = 0;
  int fd = -1;
  uint64_t offset = 0;  // map: file offset; remap: new_addr
  uint64_t new_len = 0;
  bool operator==(const Call&) const = default;
};
void PrintTo(const Call& c, std::ostream* os) {
  static const char* names[] = {"map", "unmap", "protect", "remap"};
  *os << names[c.op] << std::hex << "(0x" << c.addr << ", 0x" << c.len << ", prot " << c.prot
      << ", flags 0x" << c.flags << ", fd " << std::dec << c.fd << std::hex << ", 0x" << c.offset
      << ", 0x" << c.new_len << ")";
}

Call map_call(uint64_t addr, uint64_t len, int prot, int flags, int fd = -1, uint64_t off = 0) {
  return {.op = Call::kMap,
          .addr = addr,
          .len = len,
          .prot = prot,
          .flags = flags,
          .fd = fd,
          .offset = off};
}
Call unmap_call(uint64_t addr, uint64_t len) {
  return {.op = Call::kUnmap, .addr = addr, .len = len};
}
Call protect_call(uint64_t addr, uint64_t len, int prot) {
  return {.op = Call::kProtect, .addr = addr, .len = len, .prot = prot};
}
Call remap_call(uint64_t old_addr, uint64_t old_len, uint64_t new_addr, uint64_t new_len) {
  return {
      .op = Call::kRemap, .addr = old_addr, .len = old_len, .offset = new_addr, .new_len = new_len};
}

// A host address space that only records what it is asked to do. Its memory is a set of
// pages the test fills in; mappings made through map() do not create memory.
class FakeAddressSpace : public platform::AddressSpace {
 public:
  std::vector<Call> calls;
  // errno for the next map/unmap/protect/remap call, which then changes nothing.
  std::optional<int> fail_next;
  // false: a read that reaches an inaccessible byte fails as a whole (as a
  // /proc/PID/mem read of a range whose first page is fine may still fail), so that a
  // caller reading across a page boundary it did not need notices.
  bool partial_reads = true;
  // At most this many bytes per read(), as a process_vm_readv that stops early.
  size_t max_read = SIZE_MAX;
  std::vector<std::pair<uint64_t, size_t>> reads;  // (addr, len) of each read()

  // Makes [addr, addr + bytes.size()) readable memory with that content, and the rest of the
  // pages it touches readable zeros.
  void fill(uint64_t addr, std::string_view bytes) {
    for (size_t i = 0; i < bytes.size(); ++i)
      page(addr + i)[(addr + i) % P] = std::byte(bytes[i]);
  }
  void make_page(uint64_t addr) { page(addr); }
  bool readable(uint64_t addr) const { return pages_.contains(page_down(addr)); }
  std::byte at(uint64_t addr) const { return pages_.at(page_down(addr))[addr % P]; }

  Result<void> map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
                   uint64_t offset) override {
    return record(map_call(addr, len, prot, flags, host_fd, offset));
  }
  Result<void> unmap(uint64_t addr, uint64_t len) override { return record(unmap_call(addr, len)); }
  Result<void> protect(uint64_t addr, uint64_t len, int prot) override {
    return record(protect_call(addr, len, prot));
  }
  Result<void> remap(uint64_t old_addr, uint64_t old_len, uint64_t new_addr,
                     uint64_t new_len) override {
    return record(remap_call(old_addr, old_len, new_addr, new_len));
  }
  Result<void> advise(uint64_t, uint64_t, int) override { return {}; }

  Result<size_t> read(uint64_t addr, std::span<std::byte> dst) override {
    reads.emplace_back(addr, dst.size());
    size_t n = 0;
    while (n < std::min(dst.size(), max_read) && readable(addr + n)) {
      dst[n] = at(addr + n);
      ++n;
    }
    if (n == 0 || (!partial_reads && n < std::min(dst.size(), max_read))) return fail(EFAULT);
    return n;
  }
  Result<size_t> write(uint64_t addr, std::span<const std::byte> src) override {
    size_t n = 0;
    while (n < src.size() && readable(addr + n)) {
      page(addr + n)[(addr + n) % P] = src[n];
      ++n;
    }
    if (n == 0) return fail(EFAULT);
    return n;
  }
  Result<void> write_force(uint64_t addr, std::span<const std::byte> src) override {
    TRY(write(addr, src));
    return {};
  }
  Result<uint32_t> compare_exchange(uint64_t addr, uint32_t expected, uint32_t desired) override {
    uint32_t found = 0;
    if (TRY(read(addr, std::as_writable_bytes(std::span(&found, 1)))) != sizeof(found)) {
      return fail(EFAULT);
    }
    if (found == expected) TRY(write(addr, std::as_bytes(std::span(&desired, 1))));
    return found;
  }

 private:
  Result<void> record(Call c) {
    if (fail_next) return fail(*std::exchange(fail_next, std::nullopt));
    calls.push_back(c);
    return {};
  }
  std::vector<std::byte>& page(uint64_t addr) {
    auto& p = pages_[page_down(addr)];
    p.resize(P);
    return p;
  }
  std::map<uint64_t, std::vector<std::byte>> pages_;
};

class NamedFile : public MappedFile {
 public:
  std::string name() const override { return "/data"; }
};

template <class T>
int error_of(const Result<T>& r) {
  return r ? 0 : errno_value(r.error());
}

struct Region {
  uint64_t start, end;
  int prot;
  std::string name;
  bool operator==(const Region&) const = default;
};
void PrintTo(const Region& r, std::ostream* os) {
  *os << std::hex << "{0x" << r.start << "-0x" << r.end << " prot " << r.prot << " " << r.name
      << "}";
}

class MemoryManagerTest : public ::testing::Test {
 protected:
  MemoryManagerTest()
      : as_(std::make_shared<FakeAddressSpace>()),
        mm_(as_,
            platform::Layout{
                .guest_top = kGuestTop, .stub_begin = kGuestTop, .stub_end = kGuestTop + 0x10000}) {
    mm_.set_layout(AddressLayout{.mmap_base = kMmapBase,
                                 .mmap_floor = kFloor,
                                 .stack_top = kGuestTop,
                                 .stack_bottom = kGuestTop - 0x800000,
                                 .brk_start = kBrkStart});
  }

  // Maps anonymous memory at [start, end) and forgets the host call it made.
  void premap(uint64_t start, uint64_t end, int prot = kRW, std::string name = "") {
    ASSERT_TRUE(mm_.map(
        Vma{.start = start, .end = end, .prot = prot, .flags = kAnon, .name = std::move(name)}));
    as_->calls.clear();
  }

  std::vector<Region> regions() const {
    std::vector<Region> out;
    mm_.vmas().for_each([&](const Vma& v) { out.push_back({v.start, v.end, v.prot, v.name}); });
    return out;
  }

  std::shared_ptr<FakeAddressSpace> as_;
  MemoryManager mm_;
};

// ---- choose_address ----

TEST_F(MemoryManagerTest, HintIsHonouredWhenFree) {
  EXPECT_EQ(mm_.choose_address(0x20000000, 2 * P), 0x20000000u);
}

TEST_F(MemoryManagerTest, HintIsAlignedDown) {
  EXPECT_EQ(mm_.choose_address(0x20000123, P), 0x20000000u);
}

TEST_F(MemoryManagerTest, HintOverlappingAMappingIsIgnored) {
  premap(0x20001000, 0x20002000);
  EXPECT_EQ(mm_.choose_address(0x20000000, 2 * P), kMmapBase - 2 * P);
  // Just below the mapping still fits.
  EXPECT_EQ(mm_.choose_address(0x20000000, P), 0x20000000u);
}

TEST_F(MemoryManagerTest, HintBelowTheFloorOrPastTheTopIsIgnored) {
  EXPECT_EQ(mm_.choose_address(kFloor - P, P), kMmapBase - P);
  EXPECT_EQ(mm_.choose_address(kGuestTop - P, 2 * P), kMmapBase - 2 * P);
  EXPECT_EQ(mm_.choose_address(kGuestTop - P, P), kGuestTop - P);  // exactly fits
}

TEST_F(MemoryManagerTest, NoHintAllocatesTopDownFromMmapBase) {
  const uint64_t a = *mm_.choose_address(0, 3 * P);
  EXPECT_EQ(a, kMmapBase - 3 * P);
  premap(a, a + 3 * P);
  const uint64_t b = *mm_.choose_address(0, P);
  EXPECT_EQ(b, a - P);
  premap(b, b + P);
  // A hole left by munmap is reused by the next allocation that fits in it.
  ASSERT_TRUE(mm_.unmap(a + P, a + 2 * P));
  EXPECT_EQ(mm_.choose_address(0, P), a + P);
  EXPECT_EQ(mm_.choose_address(0, 2 * P), b - 2 * P);
}

TEST_F(MemoryManagerTest, FallsBackAboveMmapBaseWhenBelowIsFull) {
  premap(kFloor, kMmapBase);
  auto a = mm_.choose_address(0, P);
  ASSERT_TRUE(a);
  EXPECT_GE(*a, kMmapBase);
  EXPECT_LE(*a + P, kGuestTop);
  EXPECT_TRUE(mm_.vmas().free(*a, *a + P));
}

TEST_F(MemoryManagerTest, Below2GStaysInsideTheMap32BitWindow) {
  auto a = mm_.choose_address(0, 4 * P, /*below_2g=*/true);
  ASSERT_TRUE(a);
  EXPECT_GE(*a, k1G);
  EXPECT_LE(*a + 4 * P, k2G);
  premap(*a, *a + 4 * P);
  auto b = mm_.choose_address(0, 4 * P, true);
  ASSERT_TRUE(b);
  EXPECT_TRUE(*b + 4 * P <= *a || *b >= *a + 4 * P);
  EXPECT_GE(*b, k1G);
}

TEST_F(MemoryManagerTest, Below2GFullIsENOMEM) {
  premap(k1G, k2G);
  EXPECT_EQ(error_of(mm_.choose_address(0, P, true)), ENOMEM);
}

TEST_F(MemoryManagerTest, ImpossibleLengthsAreENOMEM) {
  EXPECT_EQ(error_of(mm_.choose_address(0, 0)), ENOMEM);
  EXPECT_EQ(error_of(mm_.choose_address(0, kGuestTop + P)), ENOMEM);
  EXPECT_EQ(error_of(mm_.choose_address(0, kGuestTop)), ENOMEM);  // the floor is in the way
}

// ---- map / unmap / protect ----

TEST_F(MemoryManagerTest, MapMirrorsOnTheHostWithFixedAndMemoryFlagsOnly) {
  auto file = std::make_shared<NamedFile>();
  ASSERT_TRUE(mm_.map(Vma{.start = 0x20000000,
                          .end = 0x20003000,
                          .prot = PROT_READ,
                          .flags = MAP_SHARED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE,
                          .offset = 0x7000,
                          .file = file},
                      /*host_fd=*/9));
  // MAP_GROWSDOWN would let the host grow the mapping behind the sentry's back; MAP_LOCKED
  // needs privileges: neither reaches the host. MAP_FIXED always does.
  EXPECT_EQ(as_->calls,
            (std::vector<Call>{map_call(0x20000000, 3 * P, PROT_READ,
                                        MAP_SHARED | MAP_NORESERVE | MAP_FIXED, 9, 0x7000)}));
  const Vma* v = mm_.vmas().find(0x20001000);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->file, file);
  EXPECT_EQ(v->offset, 0x7000u);
  // The model keeps the guest's flags.
  EXPECT_NE(v->flags & MAP_GROWSDOWN, 0);
}

TEST_F(MemoryManagerTest, MapBelowTheFloorIsEPERM) {
  EXPECT_EQ(error_of(mm_.map(Vma{.start = kFloor - P, .end = kFloor, .prot = kRW, .flags = kAnon})),
            EPERM);
  EXPECT_TRUE(as_->calls.empty());
  EXPECT_EQ(mm_.vmas().size(), 0u);
}

TEST_F(MemoryManagerTest, MapThatFailsOnTheHostChangesNothing) {
  premap(0x20000000, 0x20004000);
  as_->fail_next = ENOMEM;
  EXPECT_EQ(error_of(mm_.map(
                Vma{.start = 0x20001000, .end = 0x20002000, .prot = PROT_READ, .flags = kAnon})),
            ENOMEM);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20004000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, MapReplacesWhatItOverlaps) {
  premap(0x20000000, 0x20004000);
  ASSERT_TRUE(
      mm_.map(Vma{.start = 0x20001000, .end = 0x20002000, .prot = PROT_READ, .flags = kAnon}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""},
                                            {0x20001000, 0x20002000, PROT_READ, ""},
                                            {0x20002000, 0x20004000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, UnmapSplitsAndTellsTheHost) {
  premap(0x20000000, 0x20004000);
  ASSERT_TRUE(mm_.unmap(0x20001000, 0x20002000));
  EXPECT_EQ(as_->calls, (std::vector<Call>{unmap_call(0x20001000, P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""},
                                            {0x20002000, 0x20004000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, UnmapOfNothingSkipsTheHost) {
  premap(0x20000000, 0x20001000);
  EXPECT_TRUE(mm_.unmap(0x30000000, 0x30004000));
  EXPECT_TRUE(mm_.unmap(0x20000000, 0x20000000));
  EXPECT_TRUE(as_->calls.empty());
  EXPECT_EQ(mm_.vmas().size(), 1u);
}

TEST_F(MemoryManagerTest, UnmapThatFailsOnTheHostKeepsTheModel) {
  premap(0x20000000, 0x20002000);
  as_->fail_next = EINVAL;
  EXPECT_EQ(error_of(mm_.unmap(0x20000000, 0x20002000)), EINVAL);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20002000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, ProtectOfAHoleIsENOMEMAndChangesNothing) {
  premap(0x20000000, 0x20001000);
  premap(0x20002000, 0x20003000);
  EXPECT_EQ(error_of(mm_.protect(0x20000000, 0x20003000, PROT_READ)), ENOMEM);
  EXPECT_TRUE(as_->calls.empty());
  EXPECT_EQ(mm_.vmas().find(0x20000000)->prot, kRW);
}

TEST_F(MemoryManagerTest, ProtectAcrossVmasIsOneHostCall) {
  premap(0x20000000, 0x20002000);
  premap(0x20002000, 0x20004000);
  ASSERT_TRUE(mm_.protect(0x20001000, 0x20003000, PROT_READ));
  EXPECT_EQ(as_->calls, (std::vector<Call>{protect_call(0x20001000, 2 * P, PROT_READ)}));
  // The two mappings were alike and merged; the protected middle is one VMA again.
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""},
                                            {0x20001000, 0x20003000, PROT_READ, ""},
                                            {0x20003000, 0x20004000, kRW, ""}}));
}

// ---- remap (mremap after the handler's argument checks) ----

TEST_F(MemoryManagerTest, RemapGrowsInPlaceWhenTheNextPagesAreFree) {
  premap(0x20000000, 0x20002000, kRW, "x");
  auto r = mm_.remap(0x20000000, 2 * P, 5 * P, /*may_move=*/false, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0x20000000u);
  EXPECT_EQ(as_->calls, (std::vector<Call>{remap_call(0x20000000, 2 * P, 0x20000000, 5 * P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20005000, kRW, "x"}}));
}

TEST_F(MemoryManagerTest, RemapGrowsTheTailOfAVmaInPlace) {
  premap(0x20000000, 0x20003000);
  auto r = mm_.remap(0x20002000, P, 2 * P, false, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0x20002000u);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20004000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapThatCannotGrowOrMoveIsENOMEM) {
  premap(0x20000000, 0x20001000);
  premap(0x20001000, 0x20002000, PROT_READ);
  EXPECT_EQ(error_of(mm_.remap(0x20000000, P, 2 * P, false, std::nullopt)), ENOMEM);
  EXPECT_TRUE(as_->calls.empty());
  EXPECT_EQ(regions().size(), 2u);
}

TEST_F(MemoryManagerTest, RemapThatMustGrowMovesWhenAllowed) {
  premap(0x20000000, 0x20001000, PROT_READ, "moved");
  premap(0x20001000, 0x20002000);
  auto r = mm_.remap(0x20000000, P, 3 * P, /*may_move=*/true, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, kMmapBase - 3 * P);
  EXPECT_EQ(as_->calls, (std::vector<Call>{remap_call(0x20000000, P, *r, 3 * P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20001000, 0x20002000, kRW, ""},
                                            {*r, *r + 3 * P, PROT_READ, "moved"}}));
}

TEST_F(MemoryManagerTest, RemapGrowingFromInsideAVmaMustMove) {
  // The old range ends before its VMA does: there is nothing free to grow into in place.
  premap(0x20000000, 0x20004000);
  EXPECT_EQ(error_of(mm_.remap(0x20001000, P, 2 * P, false, std::nullopt)), ENOMEM);
  auto r = mm_.remap(0x20001000, P, 2 * P, true, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, kMmapBase - 2 * P);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""},
                                            {0x20002000, 0x20004000, kRW, ""},
                                            {*r, *r + 2 * P, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapShrinksByUnmappingTheTail) {
  premap(0x20000000, 0x20004000);
  auto r = mm_.remap(0x20000000, 4 * P, P, false, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0x20000000u);
  EXPECT_EQ(as_->calls, (std::vector<Call>{unmap_call(0x20001000, 3 * P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapToTheSameSizeChangesNothing) {
  premap(0x20000000, 0x20002000);
  EXPECT_EQ(mm_.remap(0x20000000, 2 * P, 2 * P, false, std::nullopt), 0x20000000u);
  EXPECT_TRUE(as_->calls.empty());
}

// Linux (mm/mremap.c) shrinks before it looks up the VMA to resize: "Always allow a
// shrinking remap: that just unmaps the unnecessary pages". So an old range made of several
// VMAs (here split by mprotect) shrinks fine; checked on the host kernel.
TEST_F(MemoryManagerTest, RemapShrinksAcrossSeveralVmasLikeLinux) {
  premap(0x20000000, 0x20003000);
  ASSERT_TRUE(mm_.protect(0x20001000, 0x20002000, PROT_READ));
  as_->calls.clear();
  auto r = mm_.remap(0x20000000, 3 * P, P, false, std::nullopt);
  ASSERT_TRUE(r) << "errno " << error_of(r);
  EXPECT_EQ(*r, 0x20000000u);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20001000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapOfUnmappedMemoryIsEFAULT) {
  premap(0x20000000, 0x20002000);
  EXPECT_EQ(error_of(mm_.remap(0x30000000, P, 2 * P, true, std::nullopt)), EFAULT);
  // Growing an old range that runs past its VMA: vma_to_resize's EFAULT.
  EXPECT_EQ(error_of(mm_.remap(0x20001000, 2 * P, 4 * P, true, std::nullopt)), EFAULT);
  EXPECT_TRUE(as_->calls.empty());
}

TEST_F(MemoryManagerTest, RemapFixedMovesOverWhateverWasThere) {
  premap(0x20000000, 0x20002000, PROT_READ, "src");
  premap(0x30000000, 0x30004000);
  auto r = mm_.remap(0x20000000, 2 * P, 2 * P, true, uint64_t{0x30001000});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0x30001000u);
  EXPECT_EQ(as_->calls, (std::vector<Call>{unmap_call(0x30001000, 2 * P),
                                           remap_call(0x20000000, 2 * P, 0x30001000, 2 * P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{0x30000000, 0x30001000, kRW, ""},
                                            {0x30001000, 0x30003000, PROT_READ, "src"},
                                            {0x30003000, 0x30004000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapFixedMayShrinkAndGrow) {
  premap(0x20000000, 0x20004000);
  EXPECT_EQ(mm_.remap(0x20000000, 4 * P, P, true, uint64_t{0x30000000}), 0x30000000u);
  EXPECT_TRUE(mm_.vmas().free(0x20000000, 0x20004000));
  EXPECT_EQ(mm_.remap(0x30000000, P, 3 * P, true, uint64_t{0x40000000}), 0x40000000u);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x40000000, 0x40003000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapFixedOntoItselfOrPastTheTopIsEINVAL) {
  premap(0x20000000, 0x20004000);
  EXPECT_EQ(error_of(mm_.remap(0x20000000, 2 * P, 2 * P, true, uint64_t{0x20001000})), EINVAL);
  EXPECT_EQ(error_of(mm_.remap(0x20002000, 2 * P, 2 * P, true, uint64_t{0x20003000})), EINVAL);
  EXPECT_EQ(error_of(mm_.remap(0x20000000, P, 2 * P, true, uint64_t{kGuestTop - P})), EINVAL);
  EXPECT_TRUE(as_->calls.empty());
}

TEST_F(MemoryManagerTest, RemapFixedRightNextToTheOldRangeIsAllowed) {
  // Linux's overlap test is on half-open ranges: touching is not overlapping.
  premap(0x20000000, 0x20004000);
  EXPECT_EQ(mm_.remap(0x20002000, 2 * P, 2 * P, true, uint64_t{0x20000000}), 0x20000000u);
  EXPECT_EQ(regions(), (std::vector<Region>{{0x20000000, 0x20002000, kRW, ""}}));
}

TEST_F(MemoryManagerTest, RemapKeepsTheFileOffsetOfTheMovedPart) {
  auto file = std::make_shared<NamedFile>();
  ASSERT_TRUE(mm_.map(Vma{.start = 0x20000000,
                          .end = 0x20004000,
                          .prot = PROT_READ,
                          .flags = MAP_PRIVATE,
                          .offset = 0x10000,
                          .file = file},
                      3));
  // Move the third page away.
  ASSERT_EQ(mm_.remap(0x20002000, P, P, true, uint64_t{0x30000000}), 0x30000000u);
  const Vma* moved = mm_.vmas().find(0x30000000);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->file, file);
  EXPECT_EQ(moved->offset, 0x12000u);
  // What stayed keeps its offsets too.
  EXPECT_EQ(mm_.vmas().find(0x20000000)->offset, 0x10000u);
  EXPECT_EQ(mm_.vmas().find(0x20003000)->offset, 0x13000u);
  EXPECT_TRUE(mm_.vmas().free(0x20002000, 0x20003000));
}

// ---- brk ----

TEST_F(MemoryManagerTest, BrkStartsAtTheLayoutsStart) {
  EXPECT_EQ(mm_.current_brk(), kBrkStart);
  EXPECT_EQ(mm_.brk(0), kBrkStart);  // brk(0) queries
  EXPECT_TRUE(as_->calls.empty());
}

TEST_F(MemoryManagerTest, BrkGrowsWithOneHeapVma) {
  EXPECT_EQ(mm_.brk(kBrkStart + 5000), kBrkStart + 5000);
  EXPECT_EQ(as_->calls, (std::vector<Call>{map_call(kBrkStart, 2 * P, kRW, kAnon | MAP_FIXED)}));
  // Within the same page: nothing to map.
  EXPECT_EQ(mm_.brk(kBrkStart + 6000), kBrkStart + 6000);
  EXPECT_EQ(as_->calls.size(), 1u);
  // Further: only the new pages reach the host, the model shows one [heap].
  EXPECT_EQ(mm_.brk(kBrkStart + 4 * P), kBrkStart + 4 * P);
  EXPECT_EQ(as_->calls.back(), map_call(kBrkStart + 2 * P, 2 * P, kRW, kAnon | MAP_FIXED));
  EXPECT_EQ(regions(), (std::vector<Region>{{kBrkStart, kBrkStart + 4 * P, kRW, "[heap]"}}));
  EXPECT_EQ(mm_.current_brk(), kBrkStart + 4 * P);
}

TEST_F(MemoryManagerTest, BrkShrinksAndUnmaps) {
  ASSERT_EQ(mm_.brk(kBrkStart + 4 * P), kBrkStart + 4 * P);
  as_->calls.clear();
  EXPECT_EQ(mm_.brk(kBrkStart + P + 1), kBrkStart + P + 1);
  EXPECT_EQ(as_->calls, (std::vector<Call>{unmap_call(kBrkStart + 2 * P, 2 * P)}));
  EXPECT_EQ(regions(), (std::vector<Region>{{kBrkStart, kBrkStart + 2 * P, kRW, "[heap]"}}));
  EXPECT_EQ(mm_.brk(kBrkStart), kBrkStart);
  EXPECT_EQ(regions(), (std::vector<Region>{}));
  // And grows again from the start.
  EXPECT_EQ(mm_.brk(kBrkStart + P), kBrkStart + P);
  EXPECT_EQ(regions(), (std::vector<Region>{{kBrkStart, kBrkStart + P, kRW, "[heap]"}}));
}

TEST_F(MemoryManagerTest, BrkBelowTheStartIsRefused) {
  ASSERT_EQ(mm_.brk(kBrkStart + P), kBrkStart + P);
  as_->calls.clear();
  EXPECT_EQ(mm_.brk(kBrkStart - 1), kBrkStart + P);
  EXPECT_EQ(mm_.brk(1), kBrkStart + P);
  EXPECT_TRUE(as_->calls.empty());
  EXPECT_EQ(mm_.current_brk(), kBrkStart + P);
}

TEST_F(MemoryManagerTest, BrkIntoAnotherMappingIsRefused) {
  premap(kBrkStart + 3 * P, kBrkStart + 4 * P);
  EXPECT_EQ(mm_.brk(kBrkStart + 3 * P), kBrkStart + 3 * P);  // up to it is fine
  as_->calls.clear();
  EXPECT_EQ(mm_.brk(kBrkStart + 3 * P + 1), kBrkStart + 3 * P);
  EXPECT_TRUE(as_->calls.empty());
  // The other mapping is untouched.
  EXPECT_EQ(mm_.vmas().find(kBrkStart + 3 * P)->name, "");
}

TEST_F(MemoryManagerTest, BrkPastTheTopIsRefused) {
  EXPECT_EQ(mm_.brk(kGuestTop + P), kBrkStart);
  EXPECT_EQ(mm_.brk(~0ULL), kBrkStart);
  EXPECT_TRUE(as_->calls.empty());
}

TEST_F(MemoryManagerTest, BrkThatTheHostRefusesKeepsTheOldBreak) {
  ASSERT_EQ(mm_.brk(kBrkStart + P), kBrkStart + P);
  as_->fail_next = ENOMEM;
  EXPECT_EQ(mm_.brk(kBrkStart + 3 * P), kBrkStart + P);
  EXPECT_EQ(regions(), (std::vector<Region>{{kBrkStart, kBrkStart + P, kRW, "[heap]"}}));
  as_->fail_next = ENOMEM;
  EXPECT_EQ(mm_.brk(kBrkStart), kBrkStart + P);
}

// Growing the heap must not rewrite the protection of heap pages the guest mprotect()ed:
// the host still has them as the guest left them, and Linux would show a separate VMA.
TEST_F(MemoryManagerTest, BrkGrowKeepsTheProtectionOfEarlierHeapPages) {
  ASSERT_EQ(mm_.brk(kBrkStart + 2 * P), kBrkStart + 2 * P);
  ASSERT_TRUE(mm_.protect(kBrkStart + P, kBrkStart + 2 * P, PROT_READ));
  ASSERT_EQ(mm_.brk(kBrkStart + 3 * P), kBrkStart + 3 * P);
  const Vma* v = mm_.vmas().find(kBrkStart + P);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->prot, PROT_READ);
  EXPECT_TRUE(mm_.vmas().covered(kBrkStart, kBrkStart + 3 * P));
}

// ---- fork ----

TEST_F(MemoryManagerTest, ForkCopiesTheModelIndependently) {
  premap(0x20000000, 0x20002000);
  ASSERT_EQ(mm_.brk(kBrkStart + P), kBrkStart + P);
  auto child_as = std::make_shared<FakeAddressSpace>();
  auto child = mm_.fork(child_as);
  EXPECT_EQ(child->current_brk(), kBrkStart + P);
  EXPECT_EQ(child->layout().mmap_base, kMmapBase);
  EXPECT_EQ(child->vmas().size(), 2u);
  ASSERT_TRUE(child->unmap(0x20000000, 0x20002000));
  EXPECT_EQ(child_as->calls.size(), 1u);
  EXPECT_EQ(mm_.vmas().size(), 2u);  // the parent keeps its mapping
  EXPECT_EQ(&child->address_space(), child_as.get());
}

// ---- copies ----

std::span<std::byte> bytes_of(std::string& s) {
  return std::as_writable_bytes(std::span(s.data(), s.size()));
}

TEST_F(MemoryManagerTest, CopyInWholeOrEFAULT) {
  as_->fill(0x20000ff0, std::string(16, 'a'));  // the last 16 bytes of a page
  std::string buf(16, '\0');
  ASSERT_TRUE(mm_.copy_in(0x20000ff0, bytes_of(buf)));
  EXPECT_EQ(buf, std::string(16, 'a'));
  std::string more(32, '\0');
  EXPECT_EQ(error_of(mm_.copy_in(0x20000ff0, bytes_of(more))), EFAULT);
  EXPECT_EQ(mm_.copy_in_partial(0x20000ff0, bytes_of(more)), 16u);
  EXPECT_EQ(error_of(mm_.copy_in_partial(0x20001000, bytes_of(more))), EFAULT);
}

TEST_F(MemoryManagerTest, CopyOutWholeOrEFAULT) {
  as_->make_page(0x20000000);
  std::string data = "hello";
  ASSERT_TRUE(mm_.copy_out(0x20000ffb, std::as_bytes(std::span(data.data(), data.size()))));
  EXPECT_EQ(as_->at(0x20000fff), std::byte('o'));
  std::string longer = "hello!";
  EXPECT_EQ(error_of(mm_.copy_out(0x20000ffb, std::as_bytes(std::span(longer.data(), 6)))), EFAULT);
  EXPECT_EQ(mm_.copy_out_partial(0x20000ffb, std::as_bytes(std::span(longer.data(), 6))), 5u);
  EXPECT_EQ(error_of(mm_.copy_out(0x30000000, std::as_bytes(std::span(data.data(), 1)))), EFAULT);
}

TEST_F(MemoryManagerTest, TypedReadAndWrite) {
  as_->make_page(0x20000000);
  ASSERT_TRUE(mm_.write(GuestPtr<uint64_t>(0x20000008), uint64_t{0x1122334455667788}));
  EXPECT_EQ(mm_.read(GuestPtr<uint64_t>(0x20000008)), 0x1122334455667788u);
  EXPECT_EQ(mm_.read(GuestPtr<uint32_t>(0x20000008) + 1), 0x11223344u);
  EXPECT_EQ(error_of(mm_.read(GuestPtr<uint64_t>(0x20000ffc))), EFAULT);
}

class CopyInStringTest : public MemoryManagerTest {
 protected:
  CopyInStringTest() { as_->partial_reads = false; }
  // No read may cross a page boundary: the strict fake would fail it, but check directly.
  void expect_no_read_crossed_a_page() {
    for (auto [addr, len] : as_->reads) {
      EXPECT_EQ(page_down(addr), page_down(addr + len - 1))
          << std::hex << "read of 0x" << len << " at 0x" << addr;
    }
  }
};

TEST_F(CopyInStringTest, ShortString) {
  as_->fill(0x20000100, std::string_view("/bin/sh", 8));
  EXPECT_EQ(mm_.copy_in_string(0x20000100, 4095), "/bin/sh");
}

TEST_F(CopyInStringTest, EmptyString) {
  as_->fill(0x20000100, std::string_view("\0", 1));
  EXPECT_EQ(mm_.copy_in_string(0x20000100, 4095), "");
}

TEST_F(CopyInStringTest, StringEndingAtAPageEndBeforeAnUnmappedPage) {
  // "abc\0" are the last four bytes of the only mapped page.
  as_->fill(0x20000ffc, std::string_view("abc\0", 4));
  EXPECT_EQ(mm_.copy_in_string(0x20000ffc, 4095), "abc");
  // Starting anywhere in that page.
  as_->fill(0x20000000, std::string(0xffc, 'x'));
  auto s = mm_.copy_in_string(0x20000010, 4095);
  ASSERT_TRUE(s) << "errno " << error_of(s);
  EXPECT_EQ(*s, std::string(0xffc - 0x10, 'x') + "abc");
  expect_no_read_crossed_a_page();
}

TEST_F(CopyInStringTest, StringAcrossAPageBoundary) {
  const std::string text = std::string(300, 'a') + std::string(300, 'b');
  as_->fill(0x20001000 - 300, text + std::string(1, '\0'));
  EXPECT_EQ(mm_.copy_in_string(0x20001000 - 300, 4095), text);
  expect_no_read_crossed_a_page();
}

TEST_F(CopyInStringTest, StringRunningIntoAnUnmappedPageIsEFAULT) {
  as_->fill(0x20000f00, std::string(0x100, 'z'));  // no NUL before the page ends
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000f00, 4095)), EFAULT);
}

TEST_F(CopyInStringTest, UnmappedStartIsEFAULT) {
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000000, 4095)), EFAULT);
  EXPECT_EQ(error_of(mm_.copy_in_string(0, 4095)), EFAULT);
}

TEST_F(CopyInStringTest, MaxLenBytesFitOneMoreIsENAMETOOLONG) {
  as_->fill(0x20000000, std::string(10, 'p') + std::string(1, '\0'));
  EXPECT_EQ(mm_.copy_in_string(0x20000000, 10), std::string(10, 'p'));
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000000, 9)), ENAMETOOLONG);
}

TEST_F(CopyInStringTest, PathMaxAcrossManyChunksAndPages) {
  // As getname() sees it: 4095 bytes and the NUL fit PATH_MAX, 4096 bytes do not.
  const uint64_t at = 0x20000800;
  as_->fill(at, std::string(4095, 'q') + std::string(1, '\0'));
  auto s = mm_.copy_in_string(at, 4095);
  ASSERT_TRUE(s) << "errno " << error_of(s);
  EXPECT_EQ(s->size(), 4095u);
  as_->fill(at + 4095, "q");
  as_->fill(at + 4096, std::string_view("\0", 1));
  EXPECT_EQ(error_of(mm_.copy_in_string(at, 4095)), ENAMETOOLONG);
  expect_no_read_crossed_a_page();
}

TEST_F(CopyInStringTest, TooLongBeatsAFaultFurtherOn) {
  // strncpy_from_user(PATH_MAX) stops after max_len + 1 bytes without a NUL: ENAMETOOLONG,
  // even though the memory after them is unmapped.
  as_->fill(0x20000000, std::string(P, 'r'));
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000000, P - 1)), ENAMETOOLONG);
  // Exactly max_len readable bytes and then a fault: EFAULT, as Linux.
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000001, P - 1)), EFAULT);
}

TEST_F(MemoryManagerTest, CopiesCopeWithShortReads) {
  as_->max_read = 3;
  as_->fill(0x20000ff8, "12345678");
  as_->fill(0x20001000, std::string_view("9\0", 2));
  EXPECT_EQ(mm_.copy_in_string(0x20000ff8, 4095), "123456789");
  EXPECT_EQ(error_of(mm_.copy_in_string(0x20000ff8, 8)), ENAMETOOLONG);
  std::string buf(10, '\0');
  ASSERT_TRUE(mm_.copy_in(0x20000ff8, bytes_of(buf)));
  EXPECT_EQ(buf, std::string("123456789\0", 10));
}

}  // namespace
}  // namespace ms::mm
