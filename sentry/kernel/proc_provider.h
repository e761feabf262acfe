// The kernel's answers to /proc: processes, their memory, files and identities.
#pragma once

#include "fs/procfs/provider.h"
#include "sentry/kernel/clock.h"

namespace ms::kernel {

class Kernel;
class Task;

class ProcProvider final : public fs::ProcessInfoProvider {
 public:
  explicit ProcProvider(Kernel& kernel);

  std::vector<int> processes() const override;
  std::vector<int> threads(int pid) const override;
  std::optional<fs::ProcessStatus> status(int tid) const override;
  Result<std::string> cmdline(int pid) const override;
  Result<std::string> environ(int pid) const override;
  std::vector<fs::MappingInfo> maps(int pid) const override;
  std::string exe(int pid) const override;
  std::shared_ptr<fs::FsContext> fs(int pid) const override;
  std::shared_ptr<fs::FdTable> fds(int pid) const override;
  double uptime_seconds() const override;
  int runnable_tasks() const override;
  int total_tasks() const override;
  int last_pid() const override;
  std::string net_table(const std::string& name) const override;

 private:
  // The live task with this tid, or the leader of the process with this pid.
  Task* task(int tid) const;
  Result<std::string> read_strings(int pid, uint64_t start, uint64_t end) const;

  Kernel& kernel_;
  Duration boot_;
};

}  // namespace ms::kernel
