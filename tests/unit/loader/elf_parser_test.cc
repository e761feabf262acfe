#include "loader/elf_parser.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/unit/loader/test_elf.h"

namespace ms::loader {
namespace {

using testing::minimal_elf;
using testing::TestElf;

std::string reason(const std::vector<std::byte>& bytes) {
  auto image = parse_elf(bytes);
  return image ? "accepted" : image.error();
}
std::string reason(const TestElf& elf) {
  return reason(elf.bytes());
}

TEST(ElfParser, AcceptsMinimalExecutable) {
  auto image = parse_elf(minimal_elf().bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_FALSE(image->position_independent);
  EXPECT_EQ(image->entry, 0x401000u);
  EXPECT_EQ(image->phnum, 2);
  EXPECT_EQ(image->phentsize, sizeof(Elf64_Phdr));
  ASSERT_EQ(image->segments.size(), 2u);
  EXPECT_EQ(image->segments[0].vaddr, 0x400000u);
  EXPECT_EQ(image->segments[0].prot, PROT_READ);
  EXPECT_EQ(image->segments[1].offset, 0x1000u);
  EXPECT_EQ(image->segments[1].filesz, 0x100u);
  EXPECT_EQ(image->segments[1].memsz, 0x100u);
  EXPECT_EQ(image->segments[1].prot, PROT_READ | PROT_EXEC);
  EXPECT_FALSE(image->interpreter);
  EXPECT_EQ(image->lowest_vaddr, 0x400000u);
  EXPECT_EQ(image->highest_vaddr, 0x402000u);
  // No PT_PHDR: the table is found inside the first segment's file range.
  EXPECT_EQ(image->phdr_vaddr, 0x400040u);
}

TEST(ElfParser, RejectsNonElf) {
  EXPECT_EQ(reason(std::vector<std::byte>{}), "not an ELF file");
  TestElf elf = minimal_elf();
  elf.ehdr.e_ident[EI_MAG3] = 'X';
  EXPECT_EQ(reason(elf), "not an ELF file");
  elf = minimal_elf();
  elf.size = 3;  // shorter than the magic
  EXPECT_EQ(reason(elf), "not an ELF file");
}

TEST(ElfParser, RejectsTruncatedHeader) {
  TestElf elf = minimal_elf();
  elf.size = sizeof(Elf64_Ehdr) - 1;
  EXPECT_EQ(reason(elf), "truncated ELF header");
}

TEST(ElfParser, Rejects32Bit) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_ident[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(reason(elf), "not a 64-bit ELF file");
}

TEST(ElfParser, RejectsBigEndian) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_ident[EI_DATA] = ELFDATA2MSB;
  EXPECT_EQ(reason(elf), "not a little-endian ELF file");
}

TEST(ElfParser, RejectsNonExecutableTypes) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_type = ET_REL;
  EXPECT_EQ(reason(elf), "not an executable (ELF type 1)");
  elf.ehdr.e_type = ET_CORE;
  EXPECT_EQ(reason(elf), "not an executable (ELF type 4)");
}

TEST(ElfParser, RejectsOtherMachines) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_machine = EM_AARCH64;
  EXPECT_EQ(reason(elf), "not an x86-64 executable");
  elf.ehdr.e_machine = EM_386;
  EXPECT_EQ(reason(elf), "not an x86-64 executable");
}

TEST(ElfParser, RejectsBadProgramHeaderSize) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_phentsize = sizeof(Elf64_Phdr) + 8;
  EXPECT_EQ(reason(elf), "bad program header size");
}

TEST(ElfParser, RejectsNoProgramHeaders) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_phnum = 0;
  EXPECT_EQ(reason(elf), "no program headers");
}

TEST(ElfParser, LimitsProgramHeadersToOnePageLikeLinux) {
  TestElf elf = minimal_elf();
  // load_elf_phdrs() takes at most 4096 bytes of headers: 73 entries of 56 bytes.
  while (elf.phdrs.size() < 73)
    elf.add(PT_NOTE, PF_R, 0, 0, 0, 0);
  EXPECT_EQ(reason(elf), "accepted");
  elf.add(PT_NOTE, PF_R, 0, 0, 0, 0);
  EXPECT_EQ(reason(elf), "too many program headers");
  elf.ehdr.e_phnum = 0xffff;  // PN_XNUM is not supported for executables either
  EXPECT_EQ(reason(elf), "too many program headers");
}

TEST(ElfParser, RejectsProgramHeadersPastEndOfFile) {
  TestElf elf = minimal_elf();
  elf.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10;
  EXPECT_EQ(reason(elf), "program headers extend past the end of the file");
  elf = minimal_elf();
  elf.ehdr.e_phoff = ~uint64_t{0} - 8;  // offset + size wraps
  EXPECT_EQ(reason(elf), "program headers extend past the end of the file");
}

TEST(ElfParser, RejectsNoLoadableSegments) {
  TestElf elf = minimal_elf();
  elf.phdrs.clear();
  elf.add(PT_NOTE, PF_R, 0, 0, 0, 0);
  EXPECT_EQ(reason(elf), "no loadable segments");
  // Empty PT_LOADs map nothing, so they do not count.
  elf.add(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0, 0);
  EXPECT_EQ(reason(elf), "no loadable segments");
}

TEST(ElfParser, RejectsSegmentPastEndOfFile) {
  TestElf elf = minimal_elf();
  elf.phdrs[1].p_filesz = elf.phdrs[1].p_memsz = 0x1001;
  EXPECT_EQ(reason(elf), "segment extends past the end of the file");
  elf = minimal_elf();
  elf.phdrs[1].p_offset = ~uint64_t{0} - 0xfff;  // congruent, but offset + filesz wraps
  EXPECT_EQ(reason(elf), "segment extends past the end of the file");
}

TEST(ElfParser, AcceptsBssOnlySegmentWithOffsetPastEndOfFile) {
  TestElf elf = minimal_elf();
  elf.add(PT_LOAD, PF_R | PF_W, 0x5000, 0x405000, 0, 0x3000);  // never read from the file
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->highest_vaddr, 0x408000u);
}

TEST(ElfParser, RejectsFileSizeLargerThanMemorySize) {
  TestElf elf = minimal_elf();
  elf.phdrs[1].p_memsz = 0x80;
  EXPECT_EQ(reason(elf), "segment file size larger than memory size");
}

TEST(ElfParser, RejectsIncongruentOffsetAndAddress) {
  TestElf elf = minimal_elf();
  elf.phdrs[1].p_offset = 0x1010;
  EXPECT_EQ(reason(elf), "segment offset and address not congruent modulo page size");
}

TEST(ElfParser, RejectsOverlappingSegments) {
  TestElf elf = minimal_elf();
  elf.phdrs[0].p_memsz = 0x1001;  // reaches the first byte of the code segment
  EXPECT_EQ(reason(elf), "segments overlap");
}

TEST(ElfParser, AcceptsSegmentsSharingAPage) {
  TestElf elf = minimal_elf();
  elf.add(PT_LOAD, PF_R | PF_W, 0x1100, 0x401100, 0x10, 0x20);
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->segments.size(), 3u);
}

TEST(ElfParser, RejectsDescendingSegments) {
  TestElf elf = minimal_elf();
  std::swap(elf.phdrs[0], elf.phdrs[1]);
  EXPECT_EQ(reason(elf), "segments not in ascending order");
}

TEST(ElfParser, RejectsAddressesOutOfRange) {
  TestElf elf = minimal_elf();
  elf.add(PT_LOAD, PF_R | PF_W, 0, 0x7ffffffff000, 0, 1);  // starts at TASK_SIZE
  EXPECT_EQ(reason(elf), "segment address out of range");
  elf.phdrs.back().p_vaddr = 0x7fffffffe000;
  elf.phdrs.back().p_memsz = 0x1001;  // ends one byte past TASK_SIZE
  EXPECT_EQ(reason(elf), "segment address out of range");
  elf.phdrs.back().p_memsz = 0x1000;  // ends exactly at TASK_SIZE
  EXPECT_EQ(reason(elf), "accepted");
  elf.phdrs.back().p_memsz = ~uint64_t{0} - 0x1000;  // vaddr + memsz wraps
  EXPECT_EQ(reason(elf), "segment address out of range");
}

TEST(ElfParser, RejectsEntryOutsideExecutableSegments) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_entry = 0x400010;  // inside the read-only segment
  EXPECT_EQ(reason(elf), "entry point outside the executable segments");
  elf.ehdr.e_entry = 0x401100;  // one past the end of the code segment
  EXPECT_EQ(reason(elf), "entry point outside the executable segments");
  elf.ehdr.e_entry = 0x4010ff;
  EXPECT_EQ(reason(elf), "accepted");
}

TEST(ElfParser, ReadsInterpreter) {
  TestElf elf = minimal_elf();
  elf.add(PT_INTERP, PF_R, 0x300, 0x400300, 28, 28);
  elf.blobs.emplace_back(0x300, std::string("/lib64/ld-linux-x86-64.so.2\0", 28));
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->interpreter, "/lib64/ld-linux-x86-64.so.2");
}

TEST(ElfParser, RejectsBadInterpreterPaths) {
  auto with_interp = [](std::string path, uint64_t filesz, uint64_t offset = 0x300) {
    TestElf elf = minimal_elf();
    elf.add(PT_INTERP, PF_R, offset, 0, filesz, filesz);
    elf.blobs.emplace_back(0x300, std::move(path));
    return reason(elf);
  };
  EXPECT_EQ(with_interp("/lib/ld.so", 10), "bad interpreter path");           // no NUL
  EXPECT_EQ(with_interp(std::string("\0\0", 2), 2), "bad interpreter path");  // empty
  EXPECT_EQ(with_interp(std::string("\0", 1), 1), "bad interpreter path");    // too short
  EXPECT_EQ(with_interp(std::string("/a\0", 3), 3, 0x2000 - 2), "bad interpreter path");
  EXPECT_EQ(with_interp(std::string("/a\0", 3), 3, ~uint64_t{0} - 1), "bad interpreter path");
  TestElf elf = minimal_elf();
  elf.size = 0x3000;
  elf.add(PT_INTERP, PF_R, 0x1000, 0, 4097, 4097);  // over PATH_MAX
  elf.blobs.emplace_back(0x1000, std::string(4096, 'a') + '\0');
  EXPECT_EQ(reason(elf), "bad interpreter path");
  elf.phdrs.back().p_filesz = elf.phdrs.back().p_memsz = 4096;
  elf.blobs.back().second = std::string(4095, 'a') + '\0';
  EXPECT_EQ(reason(elf), "accepted");
}

TEST(ElfParser, RejectsTwoInterpreters) {
  TestElf elf = minimal_elf();
  elf.add(PT_INTERP, PF_R, 0x300, 0, 3, 3);
  elf.add(PT_INTERP, PF_R, 0x300, 0, 3, 3);
  elf.blobs.emplace_back(0x300, std::string("/a\0", 3));
  EXPECT_EQ(reason(elf), "more than one interpreter");
}

TEST(ElfParser, ExecutableStackFollowsGnuStack) {
  auto image = parse_elf(minimal_elf().bytes());
  ASSERT_TRUE(image);
  EXPECT_TRUE(image->executable_stack);  // x86-64's default without PT_GNU_STACK
  TestElf elf = minimal_elf();
  elf.add(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
  image = parse_elf(elf.bytes());
  ASSERT_TRUE(image);
  EXPECT_FALSE(image->executable_stack);
  elf.phdrs.back().p_flags |= PF_X;
  image = parse_elf(elf.bytes());
  ASSERT_TRUE(image);
  EXPECT_TRUE(image->executable_stack);
}

TEST(ElfParser, FindsProgramHeaders) {
  TestElf elf = minimal_elf();
  elf.add(PT_PHDR, PF_R, 0x40, 0x400040, 3 * sizeof(Elf64_Phdr), 3 * sizeof(Elf64_Phdr));
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image);
  EXPECT_EQ(image->phdr_vaddr, 0x400040u);
  elf.phdrs.back().p_vaddr = 0x400800;  // PT_PHDR is believed over the file layout
  image = parse_elf(elf.bytes());
  ASSERT_TRUE(image);
  EXPECT_EQ(image->phdr_vaddr, 0x400800u);

  elf = minimal_elf();
  elf.ehdr.e_phoff = 0x1040;  // inside the code segment's file range
  elf.phdrs[1].p_filesz = elf.phdrs[1].p_memsz = 0x200;
  image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->phdr_vaddr, 0x401040u);

  elf = minimal_elf();
  elf.ehdr.e_phoff = 0x1800;  // in no segment's file range: not mapped
  image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->phdr_vaddr, 0u);
}

TEST(ElfParser, AcceptsStaticPie) {
  TestElf elf = minimal_elf();
  elf.ehdr.e_type = ET_DYN;
  elf.ehdr.e_entry = 0x1000;
  elf.phdrs[0].p_vaddr = 0;
  elf.phdrs[1].p_vaddr = 0x1000;
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_TRUE(image->position_independent);
  EXPECT_EQ(image->lowest_vaddr, 0u);
  EXPECT_EQ(image->phdr_vaddr, 0x40u);
}

TEST(ElfParser, DropsEmptySegments) {
  TestElf elf = minimal_elf();
  elf.add(PT_LOAD, PF_R, 0x5123, 0x123, 0, 0);  // below the others: ignored, not "descending"
  auto image = parse_elf(elf.bytes());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->segments.size(), 2u);
}

// Every prefix of a valid file, and every single-byte change to its headers, is rejected or
// accepted without reading outside the buffer (the sanitizer builds check the reads).
TEST(ElfParser, SurvivesTruncationAndCorruption) {
  TestElf elf = minimal_elf();
  elf.add(PT_INTERP, PF_R, 0x300, 0, 3, 3);
  elf.blobs.emplace_back(0x300, std::string("/a\0", 3));
  const std::vector<std::byte> bytes = elf.bytes();
  for (size_t n = 0; n < 0x400; ++n) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + n);
    EXPECT_FALSE(parse_elf(prefix)) << n;
  }
  for (size_t i = 0; i < sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::vector<std::byte> copy = bytes;
      copy[i] = std::byte(v);
      (void)parse_elf(copy);
    }
  }
}

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars{std::istreambuf_iterator<char>(in), {}};
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

// Debian's busybox-static and bash-static: glibc static ET_EXEC binaries linked the same way.
class RealBinary : public ::testing::TestWithParam<const char*> {};

TEST_P(RealBinary, Parses) {
  if (!std::filesystem::exists(GetParam())) GTEST_SKIP() << GetParam() << " is not installed";
  auto image = parse_elf(read_file(GetParam()));
  ASSERT_TRUE(image) << image.error();
  EXPECT_FALSE(image->position_independent);
  EXPECT_FALSE(image->interpreter);
  EXPECT_FALSE(image->executable_stack);
  EXPECT_EQ(image->phnum, 10);
  ASSERT_EQ(image->segments.size(), 4u);
  EXPECT_EQ(image->segments[0].vaddr, 0x400000u);
  EXPECT_EQ(image->segments[0].prot, PROT_READ);
  EXPECT_EQ(image->segments[1].prot, PROT_READ | PROT_EXEC);
  EXPECT_EQ(image->segments[2].prot, PROT_READ);
  EXPECT_EQ(image->segments[3].prot, PROT_READ | PROT_WRITE);
  EXPECT_GT(image->segments[3].memsz, image->segments[3].filesz);  // .bss
  EXPECT_EQ(image->phdr_vaddr, 0x400040u);
  EXPECT_EQ(image->lowest_vaddr, 0x400000u);
  EXPECT_GE(image->entry, image->segments[1].vaddr);
  EXPECT_LT(image->entry, image->segments[1].vaddr + image->segments[1].memsz);
}

INSTANTIATE_TEST_SUITE_P(Debian, RealBinary,
                         ::testing::Values("/bin/busybox", "/usr/bin/bash-static"));

}  // namespace
}  // namespace ms::loader
