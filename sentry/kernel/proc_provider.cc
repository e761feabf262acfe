#include "sentry/kernel/proc_provider.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <bit>
#include <fstream>

#include "net/network.h"
#include "net/proc_net.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::kernel {
namespace {

bool alive(const Task& t) {
  return t.state() != Task::State::kDead;
}

// Resident memory of the host process holding the guest's memory.
uint64_t resident_bytes(int host_tid) {
  std::ifstream in("/proc/" + std::to_string(host_tid) + "/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  in >> size >> resident;
  return resident * 4096;
}

}  // namespace

ProcProvider::ProcProvider(Kernel& kernel) : kernel_(kernel), boot_(kernel.clock().boottime()) {}

Task* ProcProvider::task(int tid) const {
  Task* t = kernel_.find_task(tid);
  return t != nullptr && alive(*t) ? t : nullptr;
}

std::vector<int> ProcProvider::processes() const {
  std::vector<int> out;
  for (const auto& [tid, t] : kernel_.tasks()) {
    if (alive(*t) && t->tid() == t->pid()) out.push_back(tid);
  }
  return out;
}

std::vector<int> ProcProvider::threads(int pid) const {
  std::vector<int> out;
  for (const auto& [tid, t] : kernel_.tasks()) {
    if (alive(*t) && t->pid() == pid) out.push_back(tid);
  }
  return out;
}

std::optional<fs::ProcessStatus> ProcProvider::status(int tid) const {
  Task* t = task(tid);
  if (t == nullptr) return std::nullopt;
  ThreadGroup& g = t->thread_group();
  fs::ProcessStatus st;
  st.tid = t->tid();
  st.tgid = t->pid();
  st.ppid = g.parent() != nullptr ? g.parent()->tgid() : 0;
  st.pgid = g.pgid();
  st.sid = g.sid();
  st.comm = t->comm;
  switch (t->state()) {
    case Task::State::kParked:
      st.state = 'S';
      break;
    case Task::State::kDead:
      st.state = 'Z';
      break;
    default:
      st.state = 'R';
      break;
  }
  st.creds = g.creds();
  if (t->fs_ptr()) st.umask = t->fs().umask;
  st.threads = static_cast<int>(threads(t->pid()).size());
  const mm::MemoryManager& mm = t->mm();
  mm.vmas().for_each([&](const mm::Vma& v) {
    st.vm_size += v.length();
    if (v.name == "[stack]") {
      st.vm_stack += v.length();
    } else if (v.file && (v.prot & PROT_EXEC) != 0) {
      st.vm_exe += v.length();
    } else if (!v.shared() && (v.prot & PROT_WRITE) != 0) {
      st.vm_data += v.length();
    }
  });
  st.vm_rss = resident_bytes(t->thread().host_tid());
  // CPU time in clock ticks (100 per second), as the host counted the thread's.
  const platform::HostUsage usage = t->thread().usage(/*whole_process=*/t->tid() == t->pid());
  st.utime_ticks = usage.user_ns / 10'000'000;
  st.stime_ticks = usage.system_ns / 10'000'000;
  st.sig_pending = t->pending().set().bits();
  st.sig_shared_pending = g.shared_pending().set().bits();
  st.sig_blocked = t->signal_mask().bits();
  for (int sig = 1; sig <= kNumSignals; ++sig) {
    const uint64_t handler = t->signal_handlers()[sig].handler;
    if (handler == 1) st.sig_ignored |= SigSet::bit(sig);
    if (handler > 1) st.sig_caught |= SigSet::bit(sig);
  }
  cpu_set_t cpus{};
  sched_getaffinity(0, sizeof(cpus), &cpus);
  for (int i = 0; i < 64; ++i) {
    if (CPU_ISSET(i, &cpus)) st.cpus_allowed |= 1ULL << i;
  }
  if (t->fds_ptr())
    st.fd_table_size =
        std::max(64, static_cast<int>(std::bit_ceil(static_cast<unsigned>(t->fds().end()))));
  st.sigq_limit = g.rlimits()[RLIMIT_SIGPENDING].rlim_cur;
  const mm::AddressLayout& layout = mm.layout();
  st.start_stack = layout.stack_top;
  st.start_brk = layout.brk_start;
  st.arg_start = layout.arg_start;
  st.arg_end = layout.arg_end;
  st.env_start = layout.env_start;
  st.env_end = layout.env_end;
  return st;
}

Result<std::string> ProcProvider::read_strings(int pid, uint64_t start, uint64_t end) const {
  Task* t = task(pid);
  if (t == nullptr) return fail(ESRCH);
  if (end <= start) return std::string();
  std::string out(end - start, '\0');
  const size_t n = TRY(t->mm().copy_in_partial(start, std::as_writable_bytes(std::span(out))));
  out.resize(n);
  return out;
}

Result<std::string> ProcProvider::cmdline(int pid) const {
  Task* t = task(pid);
  if (t == nullptr) return fail(ESRCH);
  const mm::AddressLayout& l = t->mm().layout();
  return read_strings(pid, l.arg_start, l.arg_end);
}

Result<std::string> ProcProvider::environ(int pid) const {
  Task* t = task(pid);
  if (t == nullptr) return fail(ESRCH);
  const mm::AddressLayout& l = t->mm().layout();
  return read_strings(pid, l.env_start, l.env_end);
}

std::vector<fs::MappingInfo> ProcProvider::maps(int pid) const {
  std::vector<fs::MappingInfo> out;
  Task* t = task(pid);
  if (t == nullptr) return out;
  t->mm().vmas().for_each([&](const mm::Vma& v) {
    fs::MappingInfo m{.start = v.start,
                      .end = v.end,
                      .prot = v.prot,
                      .shared = v.shared(),
                      .offset = v.file ? v.offset : 0,
                      .name = v.name};
    if (v.file) {
      m.dev = v.file->device();
      m.ino = v.file->inode();
      m.name = v.file->name();
    }
    out.push_back(std::move(m));
  });
  return out;
}

std::string ProcProvider::exe(int pid) const {
  Task* t = task(pid);
  return t != nullptr ? t->thread_group().exe_path() : std::string();
}

std::shared_ptr<fs::FsContext> ProcProvider::fs(int pid) const {
  Task* t = task(pid);
  return t != nullptr ? t->fs_ptr() : nullptr;
}

std::shared_ptr<fs::FdTable> ProcProvider::fds(int pid) const {
  Task* t = task(pid);
  return t != nullptr ? t->fds_ptr() : nullptr;
}

double ProcProvider::uptime_seconds() const {
  const Duration up = kernel_.clock().boottime() - boot_;
  return static_cast<double>(up.count()) / 1e9;
}

int ProcProvider::runnable_tasks() const {
  int n = 0;
  for (const auto& [tid, t] : kernel_.tasks()) {
    n += alive(*t) && t->state() != Task::State::kParked;
  }
  return n;
}

int ProcProvider::total_tasks() const {
  int n = 0;
  for (const auto& [tid, t] : kernel_.tasks())
    n += alive(*t);
  return n;
}

int ProcProvider::last_pid() const {
  return kernel_.last_pid();
}

std::string ProcProvider::net_table(const std::string& name) const {
  const net::Stack& stack = kernel_.network().stack();
  const net::IpVersion v = name.ends_with('6') ? net::IpVersion::kV6 : net::IpVersion::kV4;
  return name.starts_with("tcp") ? net::proc_net_tcp(stack, v) : net::proc_net_udp(stack, v);
}

}  // namespace ms::kernel
