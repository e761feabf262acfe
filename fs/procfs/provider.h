// What /proc shows about processes, asked of the kernel through this interface: fs/ does not
// know tasks, and the kernel does not know /proc's formats.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/fd_table.h"
#include "fs/fs_context.h"
#include "sentry/kernel/credentials.h"

namespace ms::fs {

// One thread's (or, for the leader, the process's) state, for status and stat.
struct ProcessStatus {
  int tid = 0;
  int tgid = 0;
  int ppid = 0;
  int pgid = 0;
  int sid = 0;
  std::string comm;
  char state = 'R';  // R, S (sleeping in a syscall), Z
  kernel::Credentials creds;
  mode_t umask = 022;
  int threads = 1;
  uint64_t vm_size = 0;  // bytes mapped
  uint64_t vm_rss = 0;   // bytes resident
  uint64_t vm_data = 0;  // private writable, not stack
  uint64_t vm_stack = 0;
  uint64_t vm_exe = 0;              // the executable's mappings
  uint64_t sig_pending = 0;         // this thread's
  uint64_t sig_shared_pending = 0;  // the process's
  uint64_t sig_blocked = 0;
  uint64_t sig_ignored = 0;
  uint64_t sig_caught = 0;
  uint64_t start_ticks = 0;  // clock ticks (100/s) after the sandbox started
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t cpus_allowed = 0;  // bit per CPU
  int fd_table_size = 0;
  uint64_t sigq_limit = 0;  // RLIMIT_SIGPENDING
  // Addresses for /proc/PID/stat.
  uint64_t start_code = 0, end_code = 0, start_stack = 0;
  uint64_t start_data = 0, end_data = 0, start_brk = 0;
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
};

struct MappingInfo {
  uint64_t start = 0;
  uint64_t end = 0;
  int prot = 0;
  bool shared = false;
  uint64_t offset = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  std::string name;
};

class ProcessInfoProvider {
 public:
  virtual ~ProcessInfoProvider() = default;

  // Thread-group ids, ascending.
  virtual std::vector<int> processes() const = 0;
  // The threads of a process (ascending; empty if it does not exist).
  virtual std::vector<int> threads(int pid) const = 0;
  virtual std::optional<ProcessStatus> status(int tid) const = 0;
  // The bytes of argv (NUL-separated) or of the environment, read from the process.
  virtual Result<std::string> cmdline(int pid) const = 0;
  virtual Result<std::string> environ(int pid) const = 0;
  virtual std::vector<MappingInfo> maps(int pid) const = 0;
  // The executable's path in the guest's tree.
  virtual std::string exe(int pid) const = 0;
  virtual std::shared_ptr<FsContext> fs(int pid) const = 0;
  virtual std::shared_ptr<FdTable> fds(int pid) const = 0;

  // The sandbox as a whole.
  virtual double uptime_seconds() const = 0;
  virtual int runnable_tasks() const = 0;
  virtual int total_tasks() const = 0;
  virtual int last_pid() const = 0;
  // The text of /proc/net/NAME (tcp, tcp6, udp, udp6).
  virtual std::string net_table(const std::string& name) const = 0;
};

}  // namespace ms::fs
