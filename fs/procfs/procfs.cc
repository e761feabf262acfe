#include "fs/procfs/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>

#include <functional>
#include <vector>

#include "fs/anon_file.h"
#include "fs/directory_file.h"
#include "fs/procfs/proc_format.h"
#include "fs/seekable_file.h"
#include "fs/vfs.h"

namespace ms::fs {
namespace {

// Contents made at open: reads come from the snapshot, writes are refused as Linux refuses
// them on files without a write method.
class SnapshotFile final : public SeekableFile {
 public:
  SnapshotFile(int flags, Path path, std::string text)
      : SeekableFile(flags, std::move(path)), text_(std::move(text)) {}

 protected:
  Result<size_t> read_at(std::span<std::byte> dst, uint64_t offset) override {
    if (offset >= text_.size()) return 0;
    const size_t n = std::min<uint64_t>(dst.size(), text_.size() - offset);
    std::memcpy(dst.data(), text_.data() + offset, n);
    return n;
  }
  Result<size_t> write_at(std::span<const std::byte> /*src*/, uint64_t /*offset*/) override {
    return fail(EINVAL);
  }
  Result<uint64_t> size() override { return text_.size(); }

 private:
  std::string text_;
};

uint64_t ino_of(const std::string& path) {
  // FNV-1a: an inode number that stays the same for a /proc path across lookups.
  uint64_t h = 14695981039346656037ULL;
  for (char c : path)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return (h & 0xffffffffULL) | 0x100000000ULL;
}

ProcSuperblock& proc_sb(const Inode& i) {
  return static_cast<ProcSuperblock&>(i.sb());
}

class ProcInode : public Inode {
 public:
  ProcInode(std::shared_ptr<Superblock> sb, std::string path, uint32_t mode, int owner_pid)
      : Inode(std::move(sb), mode & S_IFMT),
        path_(std::move(path)),
        mode_(mode),
        owner_pid_(owner_pid) {}

  Result<Stat> stat() override {
    Stat st{.dev = sb().dev(), .ino = ino_of(path_), .mode = mode_, .nlink = is_dir() ? 2U : 1U};
    if (owner_pid_ != 0) {
      // A process's files belong to its effective ids.
      auto status = provider().status(owner_pid_);
      if (!status) return fail(ENOENT);
      st.uid = status->creds.euid;
      st.gid = status->creds.egid;
    }
    st.atime = st.mtime = st.ctime = sb().now();
    return st;
  }

 protected:
  const ProcessInfoProvider& provider() const { return proc_sb(*this).provider(); }
  const std::string& path() const { return path_; }
  int owner_pid() const { return owner_pid_; }
  // The process this inode describes is gone.
  bool gone() const { return owner_pid_ != 0 && !provider().status(owner_pid_); }

 private:
  std::string path_;
  uint32_t mode_;
  int owner_pid_;  // 0 for files of the whole system
};

using Generator = std::function<Result<std::string>(const Caller&)>;

class ProcFile final : public ProcInode {
 public:
  ProcFile(std::shared_ptr<Superblock> sb, std::string path, uint32_t perm, int owner_pid,
           Generator gen)
      : ProcInode(std::move(sb), std::move(path), S_IFREG | perm, owner_pid),
        gen_(std::move(gen)) {}

  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override {
    if (gone()) return fail(ESRCH);
    std::string text = TRY(gen_(request.caller));
    return std::make_shared<SnapshotFile>(request.flags, request.path, std::move(text));
  }

 private:
  Generator gen_;
};

using LinkFn = std::function<Result<LinkTarget>(const Caller&)>;

class ProcLink final : public ProcInode {
 public:
  ProcLink(std::shared_ptr<Superblock> sb, std::string path, uint32_t perm, int owner_pid,
           LinkFn fn)
      : ProcInode(std::move(sb), std::move(path), S_IFLNK | perm, owner_pid), fn_(std::move(fn)) {}

  Result<LinkTarget> get_link(const Caller& caller) override {
    if (gone()) return fail(ENOENT);
    return fn_(caller);
  }

 private:
  LinkFn fn_;
};

struct ProcEntry {
  std::string name;
  uint8_t type;
};

// A directory whose entries are computed when listed or looked up.
class ProcDir : public ProcInode {
 public:
  using ProcInode::ProcInode;

  Result<InodePtr> lookup(std::string_view name) override {
    if (gone()) return fail(ENOENT);
    for (const ProcEntry& e : entries()) {
      if (e.name == name) return make(e.name);
    }
    return fail(ENOENT);
  }

  Result<void> readdir(DirCursor& cursor, const DirEmit& emit) override {
    if (gone()) return fail(ENOENT);
    if (!cursor.state) cursor.state = std::make_shared<std::vector<ProcEntry>>(entries());
    auto& list = *static_cast<std::vector<ProcEntry>*>(cursor.state.get());
    for (uint64_t i = cursor.offset - 2; i < list.size(); ++i) {
      const DirEntry e{list[i].name, ino_of(path() + "/" + list[i].name), list[i].type};
      if (!emit(e, i + 3)) return {};
      cursor.offset = i + 3;
    }
    return {};
  }

  Result<std::shared_ptr<FileDescription>> open(const OpenRequest& request) override;
  // Only the kernel makes names here: procfs lookups fail outright for the others, so
  // creating one is ENOENT rather than a permission error.
  Result<InodePtr> create(std::string_view /*name*/, const NewNode& /*node*/) override {
    return fail(ENOENT);
  }
  Result<void> link(std::string_view /*name*/, const InodePtr& /*target*/) override {
    return fail(ENOENT);
  }

 protected:
  virtual std::vector<ProcEntry> entries() const = 0;
  virtual InodePtr make(const std::string& name) const = 0;
  std::string child(const std::string& name) const { return path() + "/" + name; }
};

Result<std::shared_ptr<FileDescription>> ProcDir::open(const OpenRequest& request) {
  if (gone()) return fail(ENOENT);
  return std::make_shared<DirectoryFile>(request.flags, request.path);
}

// /proc/PID/fd/N: the open file itself.
Result<LinkTarget> fd_target(const ProcSuperblock& sb, int pid, int fd) {
  auto table = sb.provider().fds(pid);
  auto file = table ? table->get(fd) : nullptr;
  if (!file) return fail(ENOENT);
  if (file->path()) return LinkTarget{{}, file->path()};
  // Host stdio: an anonymous inode that opens as this same file.
  const InternalFs& anon = sb.vfs().internal_fs("anon_inode", 0x09041934);
  const uint32_t type = file->stat().value_or(Stat{.mode = S_IFCHR}).mode & S_IFMT;
  auto inode = std::make_shared<AnonFileInode>(anon.sb, file, type);
  return LinkTarget{{}, sb.vfs().detached(anon, inode, file->describe())};
}

class FdDir final : public ProcDir {
 public:
  FdDir(std::shared_ptr<Superblock> sb, std::string path, int pid, bool info)
      : ProcDir(std::move(sb), std::move(path), S_IFDIR | 0500, pid), info_(info) {}

 protected:
  std::vector<ProcEntry> entries() const override {
    std::vector<ProcEntry> out;
    auto table = provider().fds(owner_pid());
    if (!table) return out;
    for (int fd : table->open_in(0, ~0U)) {
      out.push_back({std::to_string(fd), static_cast<uint8_t>(info_ ? DT_REG : DT_LNK)});
    }
    return out;
  }

  InodePtr make(const std::string& name) const override {
    const int fd = std::stoi(name);
    auto& sb = proc_sb(*this);
    const int pid = owner_pid();
    auto table = provider().fds(pid);
    auto file = table ? table->get(fd) : nullptr;
    if (info_) {
      return std::make_shared<ProcFile>(
          sb_ptr(), child(name), 0400, pid, [&sb, pid, fd](const Caller&) -> Result<std::string> {
            auto t = sb.provider().fds(pid);
            auto f = t ? t->get(fd) : nullptr;
            if (!f) return fail(ENOENT);
            const int flags = f->flags() | (t->cloexec(fd) ? O_CLOEXEC : 0);
            const Stat st = f->stat().value_or(Stat{});
            const int mnt = f->path() && f->path().mnt ? f->path().mnt->id() : 0;
            return fmt::format("pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n", f->position(),
                               flags, mnt, st.ino);
          });
    }
    // The link's permission bits say how the file is open.
    uint32_t perm = 0;
    if (file && file->readable()) perm |= 0500;
    if (file && file->writable()) perm |= 0200;
    return std::make_shared<ProcLink>(
        sb_ptr(), child(name), perm, pid,
        [&sb, pid, fd](const Caller&) { return fd_target(sb, pid, fd); });
  }

 private:
  bool info_;
};

class PidDir final : public ProcDir {
 public:
  // tid: 0 for /proc/PID, else /proc/PID/task/TID (the thread's own status and stat).
  PidDir(std::shared_ptr<Superblock> sb, std::string path, int pid, int tid)
      : ProcDir(std::move(sb), std::move(path), S_IFDIR | 0555, pid), tid_(tid) {}

 protected:
  std::vector<ProcEntry> entries() const override {
    std::vector<ProcEntry> out = {{"cmdline", DT_REG}, {"comm", DT_REG}, {"cwd", DT_LNK},
                                  {"environ", DT_REG}, {"exe", DT_LNK},  {"fd", DT_DIR},
                                  {"fdinfo", DT_DIR},  {"maps", DT_REG}, {"mountinfo", DT_REG},
                                  {"mounts", DT_REG},  {"root", DT_LNK}, {"stat", DT_REG},
                                  {"status", DT_REG}};
    if (tid_ == 0) out.push_back({"task", DT_DIR});
    return out;
  }

  InodePtr make(const std::string& name) const override {
    auto& sb = proc_sb(*this);
    const int pid = owner_pid();
    const int who = tid_ != 0 ? tid_ : pid;
    auto file = [&](uint32_t perm, Generator gen) {
      return std::make_shared<ProcFile>(sb_ptr(), child(name), perm, pid, std::move(gen));
    };
    auto link = [&](LinkFn fn) {
      return std::make_shared<ProcLink>(sb_ptr(), child(name), 0777, pid, std::move(fn));
    };
    if (name == "status" || name == "stat") {
      const bool stat = name == "stat";
      return file(0444, [&sb, who, stat](const Caller&) -> Result<std::string> {
        auto st = sb.provider().status(who);
        if (!st) return fail(ESRCH);
        return stat ? format_stat(*st) : format_status(*st);
      });
    }
    if (name == "comm") {
      return file(0644, [&sb, who](const Caller&) -> Result<std::string> {
        auto st = sb.provider().status(who);
        if (!st) return fail(ESRCH);
        return st->comm + "\n";
      });
    }
    if (name == "cmdline") {
      return file(0444, [&sb, pid](const Caller&) { return sb.provider().cmdline(pid); });
    }
    if (name == "environ") {
      return file(0400, [&sb, pid](const Caller&) { return sb.provider().environ(pid); });
    }
    if (name == "maps") {
      return file(0444, [&sb, pid](const Caller&) -> Result<std::string> {
        return format_maps(sb.provider().maps(pid));
      });
    }
    if (name == "mounts" || name == "mountinfo") {
      const bool info = name == "mountinfo";
      return file(0444, [&sb, pid, info](const Caller&) -> Result<std::string> {
        auto fs = sb.provider().fs(pid);
        if (!fs) return fail(ESRCH);
        return info ? format_mountinfo(sb.vfs(), fs->root) : format_mounts(sb.vfs(), fs->root);
      });
    }
    if (name == "exe") {
      return link([&sb, pid](const Caller&) -> Result<LinkTarget> {
        return LinkTarget{sb.provider().exe(pid), {}};
      });
    }
    if (name == "cwd" || name == "root") {
      const bool cwd = name == "cwd";
      return link([&sb, pid, cwd](const Caller&) -> Result<LinkTarget> {
        auto fs = sb.provider().fs(pid);
        if (!fs) return fail(ENOENT);
        return LinkTarget{{}, cwd ? fs->cwd : fs->root};
      });
    }
    if (name == "fd" || name == "fdinfo") {
      return std::make_shared<FdDir>(sb_ptr(), child(name), pid, name == "fdinfo");
    }
    return std::make_shared<TaskDir>(sb_ptr(), child(name), pid);
  }

 private:
  class TaskDir final : public ProcDir {
   public:
    TaskDir(std::shared_ptr<Superblock> sb, std::string path, int pid)
        : ProcDir(std::move(sb), std::move(path), S_IFDIR | 0555, pid) {}

   protected:
    std::vector<ProcEntry> entries() const override {
      std::vector<ProcEntry> out;
      for (int tid : provider().threads(owner_pid()))
        out.push_back({std::to_string(tid), DT_DIR});
      return out;
    }
    InodePtr make(const std::string& name) const override {
      return std::make_shared<PidDir>(sb_ptr(), child(name), owner_pid(), std::stoi(name));
    }
  };

  int tid_;
};

class SysDir final : public ProcDir {
 public:
  using ProcDir::ProcDir;

 protected:
  std::vector<ProcEntry> entries() const override {
    if (path() == "/sys") return {{"kernel", DT_DIR}};
    return {{"hostname", DT_REG}, {"osrelease", DT_REG}, {"ostype", DT_REG}, {"version", DT_REG}};
  }
  InodePtr make(const std::string& name) const override {
    if (name == "kernel") return std::make_shared<SysDir>(sb_ptr(), child(name), S_IFDIR | 0555, 0);
    const UtsFacts& uts = proc_sb(*this).uts();
    const std::string value = name == "hostname"    ? uts.hostname
                              : name == "osrelease" ? uts.osrelease
                              : name == "ostype"    ? uts.ostype
                                                    : uts.version;
    // The sandbox does not let the guest change these.
    return std::make_shared<ProcFile>(
        sb_ptr(), child(name), 0444, 0,
        [value](const Caller&) -> Result<std::string> { return value + "\n"; });
  }
};

// /proc/net: the sandbox's own sockets. (Linux makes /proc/net a link to self/net, each
// process seeing its network namespace; the sandbox has one.)
class NetDir final : public ProcDir {
 public:
  using ProcDir::ProcDir;

 protected:
  std::vector<ProcEntry> entries() const override {
    return {{"tcp", DT_REG}, {"tcp6", DT_REG}, {"udp", DT_REG}, {"udp6", DT_REG}};
  }
  InodePtr make(const std::string& name) const override {
    auto& sb = proc_sb(*this);
    return std::make_shared<ProcFile>(sb_ptr(), child(name), 0444, 0,
                                      [&sb, name](const Caller&) -> Result<std::string> {
                                        return sb.provider().net_table(name);
                                      });
  }
};

class RootDir final : public ProcDir {
 public:
  using ProcDir::ProcDir;

 protected:
  std::vector<ProcEntry> entries() const override {
    std::vector<ProcEntry> out = {
        {"cpuinfo", DT_REG},     {"filesystems", DT_REG}, {"loadavg", DT_REG}, {"meminfo", DT_REG},
        {"mounts", DT_LNK},      {"net", DT_DIR},         {"self", DT_LNK},    {"sys", DT_DIR},
        {"thread-self", DT_LNK}, {"uptime", DT_REG}};
    for (int pid : provider().processes())
      out.push_back({std::to_string(pid), DT_DIR});
    return out;
  }

  // Thread ids are found too, though only processes are listed (as on Linux).
  Result<InodePtr> lookup(std::string_view name) override {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos &&
        name.size() < 10) {
      const std::string n(name);
      if (!provider().status(std::stoi(n))) return fail(ENOENT);
      return make(n);
    }
    return ProcDir::lookup(name);
  }

  InodePtr make(const std::string& name) const override {
    auto& sb = proc_sb(*this);
    auto file = [&](Generator gen) {
      return std::make_shared<ProcFile>(sb_ptr(), child(name), 0444, 0, std::move(gen));
    };
    if (name == "cpuinfo")
      return file([](const Caller&) -> Result<std::string> { return format_cpuinfo(); });
    if (name == "meminfo")
      return file([](const Caller&) -> Result<std::string> { return format_meminfo(); });
    if (name == "filesystems") {
      return file([](const Caller&) -> Result<std::string> { return format_filesystems(); });
    }
    if (name == "uptime") {
      return file([&sb](const Caller&) -> Result<std::string> {
        // The sandbox keeps no idle-time accounting.
        return fmt::format("{:.2f} 0.00\n", sb.provider().uptime_seconds());
      });
    }
    if (name == "loadavg") {
      return file([&sb](const Caller&) -> Result<std::string> {
        const ProcessInfoProvider& p = sb.provider();
        return fmt::format("0.00 0.00 0.00 {}/{} {}\n", p.runnable_tasks(), p.total_tasks(),
                           p.last_pid());
      });
    }
    if (name == "mounts") {
      return std::make_shared<ProcLink>(sb_ptr(), child(name), 0777, 0, [](const Caller&) {
        return Result<LinkTarget>(LinkTarget{"self/mounts", {}});
      });
    }
    if (name == "self" || name == "thread-self") {
      const bool thread = name == "thread-self";
      return std::make_shared<ProcLink>(sb_ptr(), child(name), 0777, 0, [thread](const Caller& c) {
        const std::string pid = std::to_string(c.pid);
        return Result<LinkTarget>(
            LinkTarget{thread ? pid + "/task/" + std::to_string(c.tid) : pid, {}});
      });
    }
    if (name == "sys") return std::make_shared<SysDir>(sb_ptr(), child(name), S_IFDIR | 0555, 0);
    if (name == "net") return std::make_shared<NetDir>(sb_ptr(), child(name), S_IFDIR | 0555, 0);
    return std::make_shared<PidDir>(sb_ptr(), child(name), std::stoi(name), 0);
  }
};

}  // namespace

ProcSuperblock::ProcSuperblock(uint64_t dev, Vfs& vfs, const ProcessInfoProvider& provider,
                               UtsFacts uts)
    : Superblock("proc", kProcMagic, dev, vfs.clock()),
      vfs_(vfs),
      provider_(provider),
      uts_(std::move(uts)) {}

ProcInstance make_procfs(Vfs& vfs, const ProcessInfoProvider& provider, UtsFacts uts) {
  auto sb =
      std::make_shared<ProcSuperblock>(vfs.allocate_anon_dev(), vfs, provider, std::move(uts));
  auto root = std::make_shared<RootDir>(sb, "", S_IFDIR | 0555, 0);
  return ProcInstance{sb, Dentry::make_root(std::move(root))};
}

}  // namespace ms::fs
