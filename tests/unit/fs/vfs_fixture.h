// A VFS with a tmpfs root and helpers to drive it as a syscall would, for unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fs/fs_context.h"
#include "fs/tmpfs/tmpfs.h"
#include "fs/vfs.h"
#include "sentry/kernel/clock.h"

namespace ms::fs::testing {

class FakeClock final : public kernel::Clock {
 public:
  kernel::Duration monotonic() const override { return now; }
  kernel::Duration realtime() const override {
    return now + kernel::Duration(1'700'000'000'000'000'000);
  }
  kernel::Duration until(kernel::Duration /*deadline*/) override { return {}; }
  kernel::Duration now{0};
};

inline int err(Errno e) {
  return errno_value(e);
}

// The errno of a failed Result, or 0.
template <class T>
int error_of(const Result<T>& r) {
  return r ? 0 : errno_value(r.error());
}

class VfsTest : public ::testing::Test {
 protected:
  VfsTest() : vfs(clock) {
    auto t = make_tmpfs(vfs.allocate_anon_dev(), clock, TmpfsOptions{.root_mode = 0755});
    vfs.set_root(t.sb, t.root, 0, "tmpfs");
    ctx.root = ctx.cwd = vfs.root();
  }

  Caller as_root() { return Caller{root, ctx, 1, 1}; }
  Caller as_user() { return Caller{user, ctx, 2, 2}; }

  Result<Path> resolve(const std::string& path, unsigned flags = kFollow) {
    return vfs.resolve(as_root(), ctx.cwd, path, flags);
  }
  Result<FilePtr> open(const std::string& path, int flags, mode_t mode = 0644) {
    return vfs.open(as_root(), ctx.cwd, path, OpenHow{.flags = flags, .mode = mode});
  }
  void mkdir(const std::string& path, mode_t mode = 0755) {
    ASSERT_TRUE(vfs.mkdir(as_root(), ctx.cwd, path, mode)) << path;
  }
  void write_file(const std::string& path, const std::string& data) {
    auto f = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(f) << path << ": " << error_of(f);
    auto n = (*f)->write(std::as_bytes(std::span(data.data(), data.size())));
    ASSERT_TRUE(n && *n == data.size());
  }
  std::string read_file(const std::string& path) {
    auto f = open(path, O_RDONLY);
    if (!f) return "<error " + std::to_string(error_of(f)) + ">";
    return read_all(**f);
  }
  static std::string read_all(FileDescription& f) {
    std::string out;
    std::byte buf[1000];
    for (;;) {
      auto n = f.read(buf);
      if (!n || *n == 0) break;
      out.append(reinterpret_cast<const char*>(buf), *n);
    }
    return out;
  }
  std::vector<std::string> list(const std::string& path) {
    std::vector<std::string> names;
    auto f = open(path, O_RDONLY | O_DIRECTORY);
    if (!f) return {"<error>"};
    auto r = (*f)->readdir([&](const DirEntry& e, uint64_t) {
      names.emplace_back(e.name);
      return true;
    });
    EXPECT_TRUE(r);
    return names;
  }

  FakeClock clock;
  Vfs vfs;
  FsContext ctx;
  kernel::Credentials root = kernel::Credentials::of_ids(0, 0);
  kernel::Credentials user = kernel::Credentials::of_ids(1000, 1000);
};

}  // namespace ms::fs::testing
