#include "sentry/syscalls/syscall_table.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace ms::sys {
namespace {

// The host's x86-64 syscall numbers, read from the kernel header the compiler uses, so that
// the table is checked against Linux rather than against itself.
struct HostNames {
  std::map<std::string, uint64_t> by_name;
  std::map<uint64_t, std::string> by_nr;
};

const HostNames& host_names() {
  static const HostNames names = [] {
    HostNames n;
    for (const char* path :
         {"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"}) {
      std::ifstream in(path);
      if (!in) continue;
      const std::regex define(R"(^#define __NR_(\w+)\s+(\d+)\s*$)");
      std::string line;
      std::smatch m;
      while (std::getline(in, line)) {
        if (!std::regex_match(line, m, define)) continue;
        const uint64_t nr = std::stoull(m[2].str());
        n.by_name[m[1].str()] = nr;
        n.by_nr[nr] = m[1].str();
      }
      break;
    }
    return n;
  }();
  return names;
}

class SyscallTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const HostNames& h = host_names();
    ASSERT_GT(h.by_name.size(), 300u) << "cannot read the host's <asm/unistd_64.h>";
    // The file read is the header this test was compiled against.
    ASSERT_EQ(h.by_name.at("getpid"), static_cast<uint64_t>(SYS_getpid));
    ASSERT_EQ(h.by_name.at("rseq"), static_cast<uint64_t>(SYS_rseq));
  }
};

TEST_F(SyscallTableTest, NumbersAreStrictlyAscending) {
  const auto all = all_syscalls();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].nr, all[i].nr) << all[i - 1].name << " before " << all[i].name;
  }
}

TEST_F(SyscallTableTest, NamesAreUnique) {
  std::set<std::string_view> seen;
  for (const SyscallSpec& s : all_syscalls())
    EXPECT_TRUE(seen.insert(s.name).second) << s.name;
}

TEST_F(SyscallTableTest, NamesAndNumbersAgreeWithTheHostHeader) {
  const HostNames& h = host_names();
  for (const SyscallSpec& s : all_syscalls()) {
    if (auto it = h.by_nr.find(s.nr); it != h.by_nr.end()) {
      EXPECT_EQ(s.name, it->second) << "number " << s.nr;
    }
    if (auto it = h.by_name.find(std::string(s.name)); it != h.by_name.end()) {
      EXPECT_EQ(s.nr, it->second) << s.name;
    }
  }
}

TEST_F(SyscallTableTest, EveryHostSyscallHasAnEntry) {
  // Otherwise --strace prints it as syscall_0x... and --list-syscalls leaves it out.
  for (const auto& [nr, name] : host_names().by_nr) {
    const SyscallSpec* s = find_syscall(nr);
    ASSERT_NE(s, nullptr) << name << " (" << nr << ") is missing";
    EXPECT_EQ(s->name, name);
  }
}

TEST_F(SyscallTableTest, FindSyscallReturnsTheEntryForItsNumber) {
  for (const SyscallSpec& s : all_syscalls())
    EXPECT_EQ(find_syscall(s.nr), &s) << s.name;
  EXPECT_EQ(find_syscall(SYS_getpid)->name, "getpid");
}

TEST_F(SyscallTableTest, NumbersLinuxDoesNotDefineHaveNoEntry) {
  // x86-64 leaves 335..423 unused; 512 and up is the x32 ABI (its bit 30 variant too).
  EXPECT_EQ(find_syscall(335), nullptr);
  EXPECT_EQ(find_syscall(423), nullptr);
  EXPECT_EQ(find_syscall(512), nullptr);
  EXPECT_EQ(find_syscall(0x40000000 | SYS_getpid), nullptr);
  EXPECT_EQ(find_syscall(~0ULL), nullptr);
  for (uint64_t nr = 0; nr < 1024; ++nr) {
    if (!host_names().by_nr.contains(nr) && find_syscall(nr) != nullptr) {
      // Newer than the host header: allowed, but then it must be above everything it knows.
      EXPECT_GT(nr, host_names().by_nr.rbegin()->first) << find_syscall(nr)->name;
    }
  }
}

TEST_F(SyscallTableTest, ImplementedEntriesHaveHandlersAndOthersDoNot) {
  for (const SyscallSpec& s : all_syscalls()) {
    switch (s.support) {
      case Support::Full:
      case Support::Partial:
        EXPECT_NE(s.handler, nullptr) << s.name;
        break;
      case Support::Refused:
      case Support::None:
        EXPECT_EQ(s.handler, nullptr) << s.name;
        break;
    }
  }
}

TEST_F(SyscallTableTest, RefusedAndPartialEntriesSayWhy) {
  for (const SyscallSpec& s : all_syscalls()) {
    if (s.support == Support::Refused || s.support == Support::Partial) {
      EXPECT_FALSE(s.note.empty()) << s.name << " is " << support_name(s.support);
    }
  }
}

TEST_F(SyscallTableTest, ArgumentKindsAreWellFormed) {
  for (const SyscallSpec& s : all_syscalls()) {
    ASSERT_LE(s.nargs, 6) << s.name;
    for (int i = 0; i < s.nargs; ++i) {
      switch (s.args[static_cast<size_t>(i)]) {
        case ArgKind::InBuf:
        case ArgKind::OutBuf:
        case ArgKind::IovecIn:
        case ArgKind::IovecOut:
          // The length (or count) is the next argument.
          EXPECT_LT(i + 1, s.nargs) << s.name << " argument " << i;
          break;
        default:
          break;
      }
    }
    // Kinds past nargs are never printed; they stay at their default.
    for (size_t i = s.nargs; i < 6; ++i)
      EXPECT_EQ(s.args[i], ArgKind::Unknown) << s.name;
  }
}

TEST_F(SyscallTableTest, UndescribedArgumentsShowAllSix) {
  // "(Unknown)" in the list means "not described yet": --strace then shows six raw values.
  int undescribed = 0;
  for (const SyscallSpec& s : all_syscalls()) {
    if (s.nargs > 0 && s.args[0] == ArgKind::Unknown) {
      EXPECT_EQ(s.nargs, 6) << s.name;
      ++undescribed;
    }
  }
  EXPECT_GT(undescribed, 0);
  EXPECT_EQ(find_syscall(SYS_getpid)->nargs, 0);
  EXPECT_EQ(find_syscall(SYS_read)->nargs, 3);
}

TEST_F(SyscallTableTest, BufferDirectionsFollowLinux) {
  // What the kernel reads from the guest is printed at entry, what it writes at exit.
  EXPECT_EQ(find_syscall(SYS_read)->args[1], ArgKind::OutBuf);
  EXPECT_EQ(find_syscall(SYS_pread64)->args[1], ArgKind::OutBuf);
  EXPECT_EQ(find_syscall(SYS_readv)->args[1], ArgKind::IovecOut);
  EXPECT_EQ(find_syscall(SYS_write)->args[1], ArgKind::InBuf);
  EXPECT_EQ(find_syscall(SYS_pwrite64)->args[1], ArgKind::InBuf);
  EXPECT_EQ(find_syscall(SYS_writev)->args[1], ArgKind::IovecIn);
}

TEST(SupportName, EachValueHasItsName) {
  EXPECT_EQ(support_name(Support::Full), "full");
  EXPECT_EQ(support_name(Support::Partial), "partial");
  EXPECT_EQ(support_name(Support::Refused), "refused");
  EXPECT_EQ(support_name(Support::None), "none");
}

}  // namespace
}  // namespace ms::sys
