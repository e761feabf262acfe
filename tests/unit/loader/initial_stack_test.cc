#include "loader/initial_stack.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string_view>

namespace ms::loader {
namespace {

constexpr uint64_t kTop = 0x7ffffffde000;
constexpr uint64_t kStackSize = 8 << 20;  // the usual RLIMIT_STACK

using Auxv = std::vector<std::pair<uint64_t, uint64_t>>;

// The auxv create_elf_tables() builds on x86-64 before the entries that point into the stack.
Auxv linux_auxv(bool with_hwcap2) {
  Auxv auxv = {{AT_SYSINFO_EHDR, 0x7ffff7fc1000},
               {AT_MINSIGSTKSZ, 3376},
               {AT_HWCAP, 0x178bfbff},
               {AT_PAGESZ, 4096},
               {AT_CLKTCK, 100},
               {AT_PHDR, 0x400040},
               {AT_PHENT, 56},
               {AT_PHNUM, 10},
               {AT_BASE, 0},
               {AT_FLAGS, 0},
               {AT_ENTRY, 0x40ebf0},
               {AT_UID, 1000},
               {AT_EUID, 1000},
               {AT_GID, 1000},
               {AT_EGID, 1000},
               {AT_SECURE, 0}};
  if (with_hwcap2) auxv.emplace_back(AT_HWCAP2, 0x2);
  auxv.emplace_back(27 /* AT_RSEQ_FEATURE_SIZE */, 28);
  auxv.emplace_back(28 /* AT_RSEQ_ALIGN */, 32);
  return auxv;
}

StackRequest small_request() {
  StackRequest request;
  request.stack_top = kTop;
  request.stack_size = kStackSize;
  request.argv = {"prog", "-x"};
  request.envp = {"A=1", "HOME=/"};
  request.execfn = "/bin/prog";
  request.platform = "x86_64";
  for (uint8_t i = 0; i < 16; ++i)
    request.random[i] = 0xa0 + i;
  request.auxv = linux_auxv(true);
  return request;
}

// Reads the built stack by guest address.
class View {
 public:
  explicit View(const InitialStack& stack) : stack_(stack) {}
  uint64_t u64(uint64_t addr) const {
    uint64_t v;
    std::memcpy(&v, at(addr, sizeof(v)), sizeof(v));
    return v;
  }
  std::string_view str(uint64_t addr) const {
    const char* s = static_cast<const char*>(at(addr, 1));
    return {s, strnlen(s, kTop - addr)};
  }
  std::string_view raw(uint64_t addr, size_t len) const {
    return {static_cast<const char*>(at(addr, len)), len};
  }

 private:
  const void* at(uint64_t addr, size_t len) const {
    EXPECT_GE(addr, stack_.base);
    EXPECT_LE(addr + len, stack_.base + stack_.bytes.size());
    return stack_.bytes.data() + (addr - stack_.base);
  }
  const InitialStack& stack_;
};

TEST(InitialStack, LayoutMatchesLinuxByteForByte) {
  const StackRequest request = small_request();
  auto built = build_initial_stack(request);
  ASSERT_TRUE(built) << built.error();
  const InitialStack& stack = *built;
  View v(stack);

  // From the top: the end marker, "/bin/prog" (10 bytes), the envp strings ("A=1" 4 bytes,
  // "HOME=/" 7 bytes), the argv strings ("prog" 5, "-x" 3), contiguous and ascending.
  EXPECT_EQ(v.u64(kTop - 8), 0u);
  const uint64_t execfn = kTop - 8 - 10;
  EXPECT_EQ(v.raw(execfn, 10), std::string_view("/bin/prog\0", 10));
  EXPECT_EQ(v.raw(kTop - 37, 29), std::string_view("prog\0-x\0A=1\0HOME=/\0/bin/prog\0", 29));
  EXPECT_EQ(stack.argv_start, kTop - 37);
  EXPECT_EQ(stack.argv_end, kTop - 29);
  EXPECT_EQ(stack.envp_start, kTop - 29);
  EXPECT_EQ(stack.envp_end, execfn);
  // Then, below the argv strings aligned down to 16 (kTop - 48): "x86_64\0" and the 16
  // random bytes.
  const uint64_t platform = kTop - 48 - 7;
  EXPECT_EQ(v.raw(platform, 7), std::string_view("x86_64\0", 7));
  const uint64_t random = platform - 16;
  EXPECT_EQ(v.raw(random, 16), std::string_view("\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab"
                                                "\xac\xad\xae\xaf"));

  // The table: argc, 2 argv, NULL, 2 envp, NULL, 19 + 3 auxv pairs + AT_NULL = 53 words,
  // placed so that sp is 16-byte aligned.
  const uint64_t sp = (random - 53 * 8) & ~uint64_t{15};
  EXPECT_EQ(stack.sp, sp);
  EXPECT_EQ(stack.base, sp);
  EXPECT_EQ(stack.sp % 16, 0u);
  EXPECT_EQ(stack.bytes.size(), kTop - sp);
  uint64_t slot = sp;
  auto next = [&] {
    const uint64_t value = v.u64(slot);
    slot += 8;
    return value;
  };
  EXPECT_EQ(next(), 2u);
  const uint64_t argv0 = next();
  EXPECT_EQ(argv0, kTop - 37);
  EXPECT_EQ(v.str(argv0), "prog");
  EXPECT_EQ(v.str(next()), "-x");
  EXPECT_EQ(next(), 0u);
  EXPECT_EQ(v.str(next()), "A=1");
  EXPECT_EQ(v.str(next()), "HOME=/");
  EXPECT_EQ(next(), 0u);

  Auxv expected = linux_auxv(true);
  const auto secure = expected.begin() + 16;
  ASSERT_EQ(secure[-1].first, AT_SECURE);
  expected.insert(secure, {AT_RANDOM, random});
  const auto hwcap2 = expected.begin() + 18;
  ASSERT_EQ(hwcap2[-1].first, AT_HWCAP2);
  expected.insert(hwcap2, {{AT_EXECFN, execfn}, {AT_PLATFORM, platform}});
  expected.emplace_back(AT_NULL, 0);
  Auxv actual;
  for (size_t i = 0; i < expected.size(); ++i) {
    const uint64_t type = next();
    actual.emplace_back(type, next());
  }
  EXPECT_EQ(actual, expected);
  // The padding between the table and the random bytes is zero.
  while (slot < random)
    EXPECT_EQ(v.raw(slot++, 1), std::string_view("\0", 1));
}

TEST(InitialStack, NamesFollowRandomWithoutHwcap2) {
  StackRequest request = small_request();
  request.auxv = linux_auxv(false);
  auto stack = build_initial_stack(request);
  ASSERT_TRUE(stack) << stack.error();
  View v(*stack);
  const uint64_t auxv = stack->sp + 8 * (1 + 3 + 3);
  std::vector<uint64_t> types;
  for (uint64_t slot = auxv;; slot += 16) {
    types.push_back(v.u64(slot));
    if (types.back() == AT_NULL) break;
  }
  const std::vector<uint64_t> tail(types.end() - 7, types.end());
  EXPECT_EQ(tail,
            (std::vector<uint64_t>{AT_SECURE, AT_RANDOM, AT_EXECFN, AT_PLATFORM, 27, 28, AT_NULL}));
}

TEST(InitialStack, EmptyArgvGetsAnEmptyArgv0) {
  StackRequest request = small_request();
  request.argv.clear();
  request.envp.clear();
  auto stack = build_initial_stack(request);
  ASSERT_TRUE(stack) << stack.error();
  View v(*stack);
  EXPECT_EQ(v.u64(stack->sp), 1u);
  const uint64_t argv0 = v.u64(stack->sp + 8);
  EXPECT_EQ(argv0, kTop - 8 - 10 - 1);
  EXPECT_EQ(v.str(argv0), "");
  EXPECT_EQ(v.u64(stack->sp + 16), 0u);  // argv terminator
  EXPECT_EQ(v.u64(stack->sp + 24), 0u);  // empty envp
  EXPECT_EQ(stack->argv_start, argv0);
  EXPECT_EQ(stack->argv_end, argv0 + 1);
  EXPECT_EQ(stack->envp_start, stack->envp_end);
}

TEST(InitialStack, StringsEndAtAnEmbeddedNul) {
  StackRequest request = small_request();
  request.argv = {std::string("ab\0cd", 5)};
  auto stack = build_initial_stack(request);
  ASSERT_TRUE(stack) << stack.error();
  EXPECT_EQ(stack->argv_end - stack->argv_start, 3u);
}

TEST(InitialStack, RejectsAStringOverMaxArgStrlen) {
  StackRequest request = small_request();
  request.argv.push_back(std::string(32 * 4096 - 1, 'a'));  // 32 pages with its NUL
  EXPECT_TRUE(build_initial_stack(request));
  request.argv.back().push_back('a');
  auto stack = build_initial_stack(request);
  ASSERT_FALSE(stack);
  EXPECT_EQ(stack.error(), "argument list too long");

  request = small_request();
  request.envp.push_back(std::string(32 * 4096, 'a'));
  EXPECT_FALSE(build_initial_stack(request));
  request = small_request();
  request.execfn = std::string(32 * 4096, 'a');
  EXPECT_FALSE(build_initial_stack(request));
}

TEST(InitialStack, LimitsTheTotalToAQuarterOfTheStack) {
  // With an 8 MiB stack the strings and their pointers get 2 MiB. Here: 16 argv pointers
  // (128 bytes), "e" (2 bytes), 15 strings of 32 pages, and what is left for the last one.
  StackRequest request = small_request();
  request.envp.clear();
  request.execfn = "e";
  request.argv.assign(15, std::string(32 * 4096 - 1, 'a'));
  const uint64_t left = (2 << 20) - 16 * 8 - 2 - 15 * 32 * 4096;
  request.argv.push_back(std::string(left - 1, 'b'));
  auto stack = build_initial_stack(request);
  ASSERT_TRUE(stack) << stack.error();
  request.argv.back().push_back('b');
  EXPECT_FALSE(build_initial_stack(request));
  // Each pointer counts too: one byte of room is not enough for "" and its pointer.
  request.argv.back().resize(left - 2);
  ASSERT_TRUE(build_initial_stack(request));
  request.envp.push_back("");
  EXPECT_FALSE(build_initial_stack(request));
}

TEST(InitialStack, SmallStacksStillGetArgMaxButMustHoldTheResult) {
  StackRequest request = small_request();
  request.stack_size = 1 << 20;  // a quarter is 256 KiB
  request.argv.assign(2, std::string(32 * 4096 - 1, 'a'));
  EXPECT_FALSE(build_initial_stack(request));
  request.argv.pop_back();
  EXPECT_TRUE(build_initial_stack(request));

  // A quarter of 256 KiB is below ARG_MAX (128 KiB), which Linux grants anyway; the result
  // must still fit in the stack.
  request.stack_size = 256 << 10;
  request.argv.assign(1, std::string(100 << 10, 'a'));
  EXPECT_TRUE(build_initial_stack(request));
  request.stack_size = 64 << 10;
  EXPECT_FALSE(build_initial_stack(request));
}

TEST(InitialStack, RejectsAStackTopTooLow) {
  StackRequest request = small_request();
  request.stack_top = 0x100;
  EXPECT_FALSE(build_initial_stack(request));
}

}  // namespace
}  // namespace ms::loader
