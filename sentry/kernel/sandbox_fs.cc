#include "sentry/kernel/sandbox_fs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "fs/hostfs/hostfs.h"
#include "fs/mount_spec.h"
#include "fs/overlay/overlay.h"
#include "fs/tmpfs/tmpfs.h"
#include "sentry/kernel/kernel.h"

namespace ms::kernel {
namespace {

using Error = std::unexpected<std::string>;

std::string reason(Errno e) {
  return std::strerror(errno_value(e));
}

// A host directory's canonical path, or why it cannot be used.
std::expected<std::string, std::string> host_directory(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::stat(real, &st) != 0) return Error(path + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return Error(path + ": not a directory");
  return std::string(real);
}

// mkdir -p in the guest's tree, as the sandbox itself (root): mountpoints the root lacks
// are made in its writable layer.
Result<fs::Path> make_dirs(fs::Vfs& vfs, const fs::Caller& c, const std::string& path) {
  fs::Path cur = vfs.root();
  size_t i = 1;
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(i, end - i);
    auto next = vfs.resolve(c, cur, name, fs::kFollow);
    if (!next && next.error() == Errno{ENOENT}) {
      TRY(vfs.mkdir(c, cur, name, 0755));
      next = vfs.resolve(c, cur, name, fs::kFollow);
    }
    cur = TRY(std::move(next));
    if (!cur.inode().is_dir()) return fail(ENOTDIR);
    i = end + 1;
  }
  return cur;
}

}  // namespace

std::expected<std::shared_ptr<fs::FsContext>, std::string> setup_filesystem(
    Kernel& kernel, const FsOptions& options) {
  fs::Vfs& vfs = kernel.vfs();
  const Clock& clock = kernel.clock();
  auto root_dir = host_directory(options.rootfs);
  if (!root_dir) return Error("--rootfs " + root_dir.error());
  auto host = fs::make_hostfs(vfs.allocate_anon_dev(), clock, *root_dir, /*writable=*/false);
  if (!host) return Error("--rootfs " + *root_dir + ": " + reason(host.error()));
  auto overlay = fs::make_overlay(vfs.allocate_anon_dev(), vfs.allocate_anon_dev(), clock,
                                  host->root, *root_dir);
  vfs.set_root(overlay.sb, overlay.root, MS_RELATIME, "overlay");

  auto ctx = std::make_shared<fs::FsContext>();
  ctx->root = ctx->cwd = vfs.root();
  const Credentials setup_creds = Credentials::of_ids(0, 0);
  const fs::Caller c{setup_creds, *ctx, 0, 0};
  auto mount_point = [&](const std::string& path) -> std::expected<fs::Path, std::string> {
    auto at = make_dirs(vfs, c, path);
    if (!at) return Error("cannot make mount point " + path + ": " + reason(at.error()));
    return *at;
  };

  {
    auto at = mount_point("/dev/shm");
    if (!at) return Error(at.error());
    auto shm = fs::make_tmpfs(vfs.allocate_anon_dev(), clock);
    vfs.mounts().mount(*at, shm.sb, shm.root, MS_NOSUID | MS_NODEV | MS_RELATIME, "shm");
  }
  for (const std::string& spec : options.volumes) {
    auto bind = fs::parse_bind(spec);
    if (!bind) return Error(bind.error());
    auto dir = host_directory(bind->host);
    if (!dir) return Error("-v " + spec + ": " + dir.error());
    auto bound = fs::make_hostfs(vfs.allocate_anon_dev(), clock, *dir, bind->writable);
    if (!bound) return Error("-v " + spec + ": " + reason(bound.error()));
    auto at = mount_point(bind->guest);
    if (!at) return Error("-v " + spec + ": " + at.error());
    const unsigned flags = MS_RELATIME | (bind->writable ? 0 : MS_RDONLY);
    vfs.mounts().mount(*at, bound->sb, bound->root, flags, *dir);
  }
  for (const std::string& path : options.tmpfs) {
    auto guest = fs::normalize_guest_path(path);
    if (!guest) return Error("--tmpfs " + guest.error());
    auto at = mount_point(*guest);
    if (!at) return Error("--tmpfs " + path + ": " + at.error());
    auto t = fs::make_tmpfs(vfs.allocate_anon_dev(), clock);
    vfs.mounts().mount(*at, t.sb, t.root, MS_NOSUID | MS_NODEV | MS_RELATIME, "tmpfs");
  }
  if (options.read_only_root) {
    const auto& root_mount = vfs.root().mnt;
    root_mount->set_flags(root_mount->flags() | MS_RDONLY);
  }

  if (!options.workdir.empty()) {
    auto cwd = vfs.resolve(c, ctx->root, options.workdir, fs::kFollow | fs::kDirectory);
    if (!cwd) return Error("--workdir " + options.workdir + ": " + reason(cwd.error()));
    ctx->cwd = *cwd;
  } else if (*root_dir == "/") {
    // The guest starts where minisentry was started, when its view of / shows that place.
    char here[PATH_MAX];
    if (::getcwd(here, sizeof(here)) != nullptr) {
      if (auto cwd = vfs.resolve(c, ctx->root, here, fs::kFollow | fs::kDirectory)) {
        ctx->cwd = *cwd;
      }
    }
  }
  return ctx;
}

}  // namespace ms::kernel
