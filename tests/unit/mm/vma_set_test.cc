#include "sentry/mm/vma_set.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <memory>
#include <ostream>
#include <tuple>
#include <vector>

namespace ms::mm {
namespace {

constexpr uint64_t P = 0x1000;
constexpr int kR = PROT_READ;
constexpr int kRW = PROT_READ | PROT_WRITE;
constexpr int kRX = PROT_READ | PROT_EXEC;
constexpr int kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

class NamedFile : public MappedFile {
 public:
  explicit NamedFile(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }

 private:
  std::string name_;
};

// (start, end, prot, offset): what a test compares.
struct Piece {
  uint64_t start, end;
  int prot;
  uint64_t offset;
  bool operator==(const Piece&) const = default;
};
void PrintTo(const Piece& p, std::ostream* os) {
  *os << std::hex << "{0x" << p.start << "-0x" << p.end << " prot " << p.prot << " off 0x"
      << p.offset << "}";
}

std::vector<Piece> pieces(const VmaSet& s) {
  std::vector<Piece> out;
  s.for_each([&](const Vma& v) { out.push_back({v.start, v.end, v.prot, v.offset}); });
  return out;
}

Vma anon(uint64_t start, uint64_t end, int prot = kRW) {
  return Vma{.start = start, .end = end, .prot = prot, .flags = kAnon};
}

Vma file_vma(uint64_t start, uint64_t end, uint64_t offset, std::shared_ptr<MappedFile> f,
             int prot = kR) {
  return Vma{.start = start,
             .end = end,
             .prot = prot,
             .flags = MAP_PRIVATE,
             .offset = offset,
             .file = std::move(f)};
}

TEST(VmaSet, EmptySet) {
  VmaSet s;
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.find(0x10000), nullptr);
  EXPECT_TRUE(s.free(0, ~0ULL));
  EXPECT_FALSE(s.covered(0x10000, 0x11000));
  EXPECT_TRUE(s.overlapping(0, ~0ULL).empty());
}

TEST(VmaSet, FindUsesHalfOpenRanges) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  EXPECT_EQ(s.find(10 * P - 1), nullptr);
  ASSERT_NE(s.find(10 * P), nullptr);
  EXPECT_EQ(s.find(10 * P)->start, 10 * P);
  ASSERT_NE(s.find(12 * P - 1), nullptr);
  EXPECT_EQ(s.find(12 * P), nullptr);
}

TEST(VmaSet, InsertKeepsAddressOrder) {
  VmaSet s;
  s.insert(anon(30 * P, 31 * P));
  s.insert(anon(10 * P, 11 * P));
  s.insert(anon(20 * P, 21 * P));
  EXPECT_EQ(pieces(s),
            (std::vector<Piece>{
                {10 * P, 11 * P, kRW, 0}, {20 * P, 21 * P, kRW, 0}, {30 * P, 31 * P, kRW, 0}}));
}

TEST(VmaSet, InsertReplacesWhatItCoversAndTrimsWhatItOverlaps) {
  VmaSet s;
  s.insert(anon(10 * P, 14 * P, kR));  // trimmed at its top
  s.insert(anon(15 * P, 16 * P, kR));  // swallowed
  s.insert(anon(17 * P, 20 * P, kR));  // trimmed at its bottom
  s.insert(anon(12 * P, 18 * P, kRX));
  EXPECT_EQ(pieces(s),
            (std::vector<Piece>{
                {10 * P, 12 * P, kR, 0}, {12 * P, 18 * P, kRX, 0}, {18 * P, 20 * P, kR, 0}}));
}

TEST(VmaSet, InsertInsideOneVmaSplitsItInThree) {
  VmaSet s;
  s.insert(anon(10 * P, 20 * P, kR));
  s.insert(anon(12 * P, 13 * P, kRW));
  EXPECT_EQ(pieces(s),
            (std::vector<Piece>{
                {10 * P, 12 * P, kR, 0}, {12 * P, 13 * P, kRW, 0}, {13 * P, 20 * P, kR, 0}}));
}

TEST(VmaSet, InsertExactlyOverAnotherReplacesIt) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P, kR));
  s.insert(anon(10 * P, 12 * P, kRW));
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 12 * P, kRW, 0}}));
}

// Linux merges adjacent anonymous mappings that are alike (vma_merge); /proc/PID/maps then
// shows one line.
TEST(VmaSet, AdjacentAlikeVmasMerge) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  s.insert(anon(12 * P, 14 * P));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.covered(10 * P, 14 * P));
  EXPECT_EQ(s.find(12 * P)->start, 10 * P);
}

TEST(VmaSet, AdjacentDifferentVmasStayDistinct) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P, kR));
  s.insert(anon(12 * P, 14 * P, kRW));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.find(12 * P)->start, 12 * P);
}

TEST(VmaSet, RemoveSplitsAtBothEdges) {
  VmaSet s;
  s.insert(anon(10 * P, 20 * P));
  s.remove(12 * P, 15 * P);
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 12 * P, kRW, 0}, {15 * P, 20 * P, kRW, 0}}));
  EXPECT_TRUE(s.free(12 * P, 15 * P));
}

TEST(VmaSet, RemoveAcrossSeveralVmasAndHoles) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  s.insert(anon(14 * P, 16 * P));
  s.insert(anon(18 * P, 20 * P));
  s.remove(11 * P, 19 * P);
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 11 * P, kRW, 0}, {19 * P, 20 * P, kRW, 0}}));
}

TEST(VmaSet, RemoveOfNothingOrEmptyRangeChangesNothing) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  s.remove(20 * P, 30 * P);
  s.remove(11 * P, 11 * P);
  s.remove(12 * P, 10 * P);
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 12 * P, kRW, 0}}));
}

TEST(VmaSet, FileOffsetsFollowSplits) {
  auto f = std::make_shared<NamedFile>("/lib/x");
  VmaSet s;
  s.insert(file_vma(10 * P, 20 * P, 0x5000, f));
  s.remove(12 * P, 13 * P);        // remove splits
  s.protect(15 * P, 16 * P, kRW);  // protect splits
  s.insert(anon(18 * P, 19 * P));  // insert trims
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 12 * P, kR, 0x5000},
                                           {13 * P, 15 * P, kR, 0x8000},
                                           {15 * P, 16 * P, kRW, 0xa000},
                                           {16 * P, 18 * P, kR, 0xb000},
                                           {18 * P, 19 * P, kRW, 0},
                                           {19 * P, 20 * P, kR, 0xe000}}));
  // The pieces still share the file.
  EXPECT_EQ(s.find(19 * P)->file, f);
  EXPECT_EQ(s.find(10 * P)->file, f);
}

TEST(VmaSet, SplitKeepsFlagsAndName) {
  VmaSet s;
  Vma v = anon(10 * P, 20 * P);
  v.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN;
  v.name = "[stack]";
  s.insert(v);
  s.protect(12 * P, 13 * P, kR);
  for (uint64_t a : {10 * P, 12 * P, 13 * P}) {
    const Vma* piece = s.find(a);
    ASSERT_NE(piece, nullptr);
    EXPECT_EQ(piece->name, "[stack]");
    EXPECT_EQ(piece->flags, v.flags);
  }
}

TEST(VmaSet, CoveredNeedsEveryByte) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  s.insert(anon(12 * P, 13 * P));
  s.insert(anon(14 * P, 15 * P));
  EXPECT_TRUE(s.covered(10 * P, 13 * P));  // across adjacent VMAs
  EXPECT_TRUE(s.covered(11 * P, 12 * P + 1));
  EXPECT_FALSE(s.covered(10 * P, 14 * P));  // hole at 13
  EXPECT_FALSE(s.covered(9 * P, 11 * P));   // hole before
  EXPECT_FALSE(s.covered(14 * P, 16 * P));  // runs off the end
  EXPECT_TRUE(s.covered(14 * P, 15 * P));
}

TEST(VmaSet, FreeNeedsNoByte) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  EXPECT_TRUE(s.free(5 * P, 10 * P));   // ends where the VMA starts
  EXPECT_TRUE(s.free(12 * P, 20 * P));  // starts where it ends
  EXPECT_FALSE(s.free(5 * P, 10 * P + 1));
  EXPECT_FALSE(s.free(11 * P, 20 * P));  // starts inside
  EXPECT_FALSE(s.free(5 * P, 20 * P));   // contains it
  EXPECT_FALSE(s.free(10 * P, 11 * P));  // inside
}

TEST(VmaSet, ProtectSplitsOnlyWhereNeeded) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P, kR));
  s.insert(anon(12 * P, 16 * P, kR));
  // The two inserts merged into one VMA; protecting its middle splits it in three.
  s.protect(11 * P, 13 * P, kRW);
  EXPECT_EQ(pieces(s),
            (std::vector<Piece>{
                {10 * P, 11 * P, kR, 0}, {11 * P, 13 * P, kRW, 0}, {13 * P, 16 * P, kR, 0}}));
  // Exactly one whole VMA: no split.
  s.protect(13 * P, 16 * P, kRX);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.find(15 * P)->prot, kRX);
  // Back to what its neighbour has: the two merge again.
  s.protect(11 * P, 13 * P, kR);
  EXPECT_EQ(pieces(s), (std::vector<Piece>{{10 * P, 13 * P, kR, 0}, {13 * P, 16 * P, kRX, 0}}));
}

TEST(VmaSet, OverlappingListsInAddressOrder) {
  VmaSet s;
  s.insert(anon(10 * P, 12 * P));
  s.insert(anon(14 * P, 16 * P));
  s.insert(anon(18 * P, 20 * P));
  auto starts = [&](uint64_t a, uint64_t b) {
    std::vector<uint64_t> out;
    for (const Vma* v : s.overlapping(a, b))
      out.push_back(v->start / P);
    return out;
  };
  EXPECT_EQ(starts(11 * P, 19 * P), (std::vector<uint64_t>{10, 14, 18}));
  EXPECT_EQ(starts(12 * P, 14 * P), (std::vector<uint64_t>{}));  // the hole only
  EXPECT_EQ(starts(15 * P, 15 * P + 1), (std::vector<uint64_t>{14}));
  EXPECT_EQ(starts(0, 10 * P), (std::vector<uint64_t>{}));
  EXPECT_EQ(starts(16 * P - 1, 18 * P + 1), (std::vector<uint64_t>{14, 18}));
}

TEST(VmaSet, FindFreeTopDownInEmptySpaceTakesTheTop) {
  VmaSet s;
  EXPECT_EQ(s.find_free_top_down(2 * P, 10 * P, 100 * P), 98 * P);
  EXPECT_EQ(s.find_free_top_down(90 * P, 10 * P, 100 * P), 10 * P);  // exactly fits
  EXPECT_EQ(s.find_free_top_down(91 * P, 10 * P, 100 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownRejectsDegenerateRequests) {
  VmaSet s;
  EXPECT_EQ(s.find_free_top_down(0, 10 * P, 100 * P), std::nullopt);
  EXPECT_EQ(s.find_free_top_down(P, 100 * P, 10 * P), std::nullopt);  // ceiling below floor
  EXPECT_EQ(s.find_free_top_down(P, 10 * P, 10 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownTakesTheHighestGapThatFits) {
  VmaSet s;
  // Gaps inside [10, 50), from the top, in pages: [36,45) 9, [31,35) 4, [21,30) 9, [10,20) 10.
  s.insert(anon(20 * P, 21 * P));
  s.insert(anon(30 * P, 31 * P));
  s.insert(anon(35 * P, 36 * P));
  s.insert(anon(45 * P, 50 * P));
  EXPECT_EQ(s.find_free_top_down(4 * P, 10 * P, 50 * P), 41 * P);
  EXPECT_EQ(s.find_free_top_down(9 * P, 10 * P, 50 * P), 36 * P);
  EXPECT_EQ(s.find_free_top_down(10 * P, 10 * P, 50 * P), 10 * P);  // skips the 9s and the 4
  EXPECT_EQ(s.find_free_top_down(11 * P, 10 * P, 50 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownIgnoresVmasAboveTheCeiling) {
  VmaSet s;
  s.insert(anon(50 * P, 60 * P));  // starts exactly at the ceiling
  s.insert(anon(70 * P, 80 * P));
  EXPECT_EQ(s.find_free_top_down(P, 10 * P, 50 * P), 49 * P);
}

TEST(VmaSet, FindFreeTopDownWithAVmaStraddlingTheCeiling) {
  VmaSet s;
  s.insert(anon(45 * P, 55 * P));
  EXPECT_EQ(s.find_free_top_down(P, 10 * P, 50 * P), 44 * P);
  EXPECT_EQ(s.find_free_top_down(35 * P, 10 * P, 50 * P), 10 * P);
  EXPECT_EQ(s.find_free_top_down(36 * P, 10 * P, 50 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownWithAVmaStraddlingTheFloor) {
  VmaSet s;
  s.insert(anon(5 * P, 15 * P));
  s.insert(anon(20 * P, 50 * P));
  // The only gap inside [10, 50) is [15, 20).
  EXPECT_EQ(s.find_free_top_down(5 * P, 10 * P, 50 * P), 15 * P);
  EXPECT_EQ(s.find_free_top_down(6 * P, 10 * P, 50 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownNeverGoesBelowTheFloor) {
  VmaSet s;
  s.insert(anon(12 * P, 50 * P));
  // [0, 12) is free, but only [10, 12) is inside the range.
  EXPECT_EQ(s.find_free_top_down(2 * P, 10 * P, 50 * P), 10 * P);
  EXPECT_EQ(s.find_free_top_down(3 * P, 10 * P, 50 * P), std::nullopt);
  // Everything below the floor is mapped too: still [10, 12) only.
  s.insert(anon(0, 10 * P));
  EXPECT_EQ(s.find_free_top_down(2 * P, 10 * P, 50 * P), 10 * P);
}

TEST(VmaSet, FindFreeTopDownWhenEverythingIsMapped) {
  VmaSet s;
  s.insert(anon(0, 100 * P));
  EXPECT_EQ(s.find_free_top_down(P, 10 * P, 50 * P), std::nullopt);
}

TEST(VmaSet, FindFreeTopDownResultIsReallyFree) {
  // Brute force over a fixed layout: the answer is free, in range, and no higher answer is.
  VmaSet s;
  for (uint64_t a : {3, 7, 8, 15, 22, 23, 24, 31})
    s.insert(anon(a * P, (a + 1) * P));
  for (uint64_t len = 1; len <= 12; ++len) {
    for (uint64_t floor = 0; floor < 32; floor += 3) {
      for (uint64_t ceiling = floor; ceiling <= 34; ceiling += 2) {
        std::optional<uint64_t> expected;
        for (uint64_t a = ceiling; a-- > floor;) {
          if (a + len <= ceiling && s.free(a * P, (a + len) * P)) {
            expected = a * P;
            break;
          }
        }
        EXPECT_EQ(s.find_free_top_down(len * P, floor * P, ceiling * P), expected)
            << "len " << len << " floor " << floor << " ceiling " << ceiling;
      }
    }
  }
}

}  // namespace
}  // namespace ms::mm
