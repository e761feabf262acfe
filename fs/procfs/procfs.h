// procfs: /proc generated from the sentry's state (through ProcessInfoProvider), never
// copied from the host: /proc/self, /proc/PID/{exe,cwd,root,fd/,fdinfo/,maps,status,stat,
// cmdline,environ,comm,mounts,mountinfo,task/}, /proc/{cpuinfo,meminfo,uptime,loadavg,
// filesystems,mounts}, /proc/sys/kernel/{hostname,osrelease,ostype}. A file's contents are
// made when it is opened and read from that snapshot.
#pragma once

#include <memory>
#include <string>

#include "fs/dentry.h"
#include "fs/procfs/provider.h"
#include "fs/superblock.h"

namespace ms::fs {

class Vfs;

inline constexpr uint64_t kProcMagic = 0x9fa0;

// The facts uname(2) reports, which /proc/sys/kernel repeats.
struct UtsFacts {
  std::string hostname;
  std::string osrelease;
  std::string ostype;
  std::string version;
};

class ProcSuperblock final : public Superblock {
 public:
  ProcSuperblock(uint64_t dev, Vfs& vfs, const ProcessInfoProvider& provider, UtsFacts uts);
  Vfs& vfs() const { return vfs_; }
  const ProcessInfoProvider& provider() const { return provider_; }
  const UtsFacts& uts() const { return uts_; }

 private:
  Vfs& vfs_;
  const ProcessInfoProvider& provider_;
  UtsFacts uts_;
};

struct ProcInstance {
  std::shared_ptr<ProcSuperblock> sb;
  std::shared_ptr<Dentry> root;
};
ProcInstance make_procfs(Vfs& vfs, const ProcessInfoProvider& provider, UtsFacts uts);

}  // namespace ms::fs
