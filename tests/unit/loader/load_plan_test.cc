#include "loader/load_plan.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <span>

#include "loader/elf_parser.h"
#include "tests/unit/loader/test_elf.h"

namespace ms::loader {

// Beside the types, where the vector comparisons and gtest's printer find them.
bool operator==(const MapStep& a, const MapStep& b) {
  return a.addr == b.addr && a.len == b.len && a.prot == b.prot;
}
bool operator==(const CopyStep& a, const CopyStep& b) {
  return a.addr == b.addr && a.file_offset == b.file_offset && a.len == b.len;
}
void PrintTo(const MapStep& m, std::ostream* os) {
  *os << std::hex << "{0x" << m.addr << ", 0x" << m.len << ", " << m.prot << "}";
}
void PrintTo(const CopyStep& c, std::ostream* os) {
  *os << std::hex << "{0x" << c.addr << ", 0x" << c.file_offset << ", 0x" << c.len << "}";
}

namespace {

constexpr int kR = PROT_READ;
constexpr int kRX = PROT_READ | PROT_EXEC;
constexpr int kRW = PROT_READ | PROT_WRITE;

// A static PIE whose code ends and data starts in the same page, as linkers lay out RELRO.
ElfImage two_segments_sharing_a_page() {
  ElfImage image;
  image.position_independent = true;
  image.entry = 0x1100;
  image.phdr_vaddr = 0x40;
  image.segments = {
      {.vaddr = 0x0, .memsz = 0x1800, .filesz = 0x1800, .offset = 0x0, .prot = kRX},
      {.vaddr = 0x1800, .memsz = 0x2000, .filesz = 0x100, .offset = 0x1800, .prot = kRW},
  };
  return image;
}

TEST(LoadPlan, SharedPageTakesTheLaterProtection) {
  const LoadPlan plan = plan_load(two_segments_sharing_a_page(), 0x555555554000);
  EXPECT_EQ(plan.bias, 0x555555554000u);
  EXPECT_EQ(plan.maps,
            (std::vector<MapStep>{{0x555555554000, 0x1000, kRX}, {0x555555555000, 0x3000, kRW}}));
  EXPECT_EQ(plan.copies, (std::vector<CopyStep>{{0x555555554000, 0x0, 0x1800},
                                                {0x555555555800, 0x1800, 0x100}}));
  EXPECT_EQ(plan.entry, 0x555555555100u);
  EXPECT_EQ(plan.phdr_addr, 0x555555554040u);
  EXPECT_EQ(plan.start, 0x555555554000u);
  EXPECT_EQ(plan.end, 0x555555558000u);
}

TEST(LoadPlan, SegmentsWithinOnePageLeaveOnlyTheLastProtection) {
  ElfImage image;
  image.entry = 0x400010;
  image.segments = {
      {.vaddr = 0x400000, .memsz = 0x10, .filesz = 0x10, .offset = 0x0, .prot = kRX},
      {.vaddr = 0x400100, .memsz = 0x10, .filesz = 0x10, .offset = 0x100, .prot = kR},
      {.vaddr = 0x400200, .memsz = 0x10, .filesz = 0, .offset = 0x0, .prot = kRW},
  };
  const LoadPlan plan = plan_load(image, 0);
  EXPECT_EQ(plan.maps, (std::vector<MapStep>{{0x400000, 0x1000, kRW}}));
  EXPECT_EQ(plan.copies, (std::vector<CopyStep>{{0x400000, 0x0, 0x10}, {0x400100, 0x100, 0x10}}));
  EXPECT_EQ(plan.phdr_addr, 0u);  // not mapped stays 0
}

TEST(LoadPlan, MergesAdjacentRangesWithTheSameProtection) {
  ElfImage image;
  image.segments = {
      {.vaddr = 0x400000, .memsz = 0x1000, .filesz = 0x1000, .offset = 0x0, .prot = kR},
      {.vaddr = 0x401000, .memsz = 0x800, .filesz = 0x800, .offset = 0x1000, .prot = kR},
      {.vaddr = 0x403000, .memsz = 0x1000, .filesz = 0x0, .offset = 0x0, .prot = kR},
  };
  const LoadPlan plan = plan_load(image, 0);
  // Merged where they touch; the hole at 0x402000 stays unmapped.
  EXPECT_EQ(plan.maps, (std::vector<MapStep>{{0x400000, 0x2000, kR}, {0x403000, 0x1000, kR}}));
  EXPECT_EQ(plan.start, 0x400000u);
  EXPECT_EQ(plan.end, 0x404000u);
}

TEST(LoadPlan, SkipsEmptySegments) {
  ElfImage image = two_segments_sharing_a_page();
  image.segments.insert(image.segments.begin() + 1,
                        {.vaddr = 0x1234, .memsz = 0, .filesz = 0, .offset = 0x234, .prot = kR});
  const LoadPlan plan = plan_load(image, 0x10000);
  EXPECT_EQ(plan.maps, (std::vector<MapStep>{{0x10000, 0x1000, kRX}, {0x11000, 0x3000, kRW}}));
}

TEST(LoadPlan, BusyboxMatchesItsProgramHeaders) {
  if (!std::filesystem::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
  std::ifstream in("/bin/busybox", std::ios::binary);
  std::vector<char> chars{std::istreambuf_iterator<char>(in), {}};
  auto image = parse_elf(std::as_bytes(std::span(chars)));
  ASSERT_TRUE(image) << image.error();
  const LoadPlan plan = plan_load(*image, 0);
  ASSERT_EQ(plan.maps.size(), 4u);
  EXPECT_EQ(plan.start, 0x400000u);
  EXPECT_EQ(plan.maps[0].prot, kR);
  EXPECT_EQ(plan.maps[1].prot, kRX);
  EXPECT_EQ(plan.maps[2].prot, kR);
  EXPECT_EQ(plan.maps[3].prot, kRW);
  EXPECT_EQ(plan.end, image->highest_vaddr);
  EXPECT_EQ(plan.copies.size(), 4u);
  EXPECT_EQ(plan.entry, image->entry);
  EXPECT_EQ(plan.phdr_addr, 0x400040u);
}

}  // namespace
}  // namespace ms::loader
