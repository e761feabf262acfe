#include "fs/procfs/proc_format.h"

#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>

#include <bit>
#include <fstream>
#include <map>

#include "fs/mount.h"
#include "fs/superblock.h"
#include "fs/vfs.h"

namespace ms::fs {
namespace {

std::string kb(const char* name, uint64_t bytes) {
  return fmt::format("{}:\t{:8} kB\n", name, bytes / 1024);
}

// "0-3,5": the CPUs in a mask, as Linux lists ranges.
std::string cpu_list(uint64_t mask) {
  std::string out;
  for (int i = 0; i < 64;) {
    if ((mask & (1ULL << i)) == 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j + 1 < 64 && (mask & (1ULL << (j + 1))) != 0)
      ++j;
    if (!out.empty()) out += ',';
    out += j > i ? fmt::format("{}-{}", i, j) : fmt::format("{}", i);
    i = j + 1;
  }
  return out;
}

uint64_t caps(const kernel::Credentials& c) {
  // Root holds every capability this kernel knows (CAP_LAST_CAP is 40); others none.
  constexpr uint64_t kAll = (1ULL << 41) - 1;
  return c.euid == 0 ? kAll : 0;
}

std::string mount_point(const Mount& m, const Path& root) {
  if (m.parent() == nullptr) return "/";
  return Vfs::path_string(Path{m.parent(), m.mountpoint()}, root, false);
}

std::string mount_flags(const Mount& m) {
  std::string out = m.read_only() ? "ro" : "rw";
  if ((m.flags() & MS_NOSUID) != 0) out += ",nosuid";
  if (m.nodev()) out += ",nodev";
  if (m.noexec()) out += ",noexec";
  if ((m.flags() & MS_NOATIME) != 0) out += ",noatime";
  if ((m.flags() & MS_RELATIME) != 0) out += ",relatime";
  return out;
}

std::string super_options(const Mount& m) {
  std::string out = m.sb().read_only() ? "ro" : "rw";
  const std::string extra = m.sb().mount_options();
  if (!extra.empty()) out += "," + extra;
  return out;
}

// Mounts the reader can see: those whose mountpoint lies inside its root.
template <class F>
void for_visible_mounts(const Vfs& vfs, const Path& root, F&& f) {
  for (const auto& m : vfs.mounts().all()) {
    const std::string at = mount_point(*m, root);
    if (at.starts_with("(unreachable)")) continue;
    f(*m, at);
  }
}

}  // namespace

std::string mangle_path(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_status(const ProcessStatus& st) {
  const char* state = st.state == 'S'   ? "S (sleeping)"
                      : st.state == 'Z' ? "Z (zombie)"
                                        : "R (running)";
  const kernel::Credentials& c = st.creds;
  std::string groups;
  for (size_t i = 0; i < c.groups.size(); ++i)
    groups += fmt::format("{}{}", i > 0 ? " " : "", c.groups[i]);
  std::string out;
  out += fmt::format("Name:\t{}\nUmask:\t{:04o}\nState:\t{}\n", st.comm, st.umask, state);
  out += fmt::format("Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n", st.tgid, st.tid,
                     st.ppid);
  out += fmt::format("Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n", c.ruid, c.euid, c.suid,
                     c.fsuid, c.rgid, c.egid, c.sgid, c.fsgid);
  out += fmt::format("FDSize:\t{}\nGroups:\t{} \n", st.fd_table_size, groups);
  out += fmt::format("NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\nKthread:\t0\n", st.tgid,
                     st.tid, st.pgid, st.sid);
  out += kb("VmPeak", st.vm_size) + kb("VmSize", st.vm_size) + kb("VmLck", 0) + kb("VmPin", 0);
  out += kb("VmHWM", st.vm_rss) + kb("VmRSS", st.vm_rss) + kb("RssAnon", st.vm_rss) +
         kb("RssFile", 0) + kb("RssShmem", 0);
  out += kb("VmData", st.vm_data) + kb("VmStk", st.vm_stack) + kb("VmExe", st.vm_exe) +
         kb("VmLib", 0) + kb("VmPTE", 0) + kb("VmSwap", 0) + kb("HugetlbPages", 0);
  out += "CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n";
  out += fmt::format("Threads:\t{}\nSigQ:\t0/{}\n", st.threads, st.sigq_limit);
  out += fmt::format("SigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\n",
                     st.sig_pending, st.sig_shared_pending, st.sig_blocked, st.sig_ignored);
  out += fmt::format("SigCgt:\t{:016x}\n", st.sig_caught);
  const uint64_t cap = caps(c);
  out += fmt::format("CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\n", 0,
                     cap, cap, (1ULL << 41) - 1);
  out += "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n";
  out += "Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunknown\n";
  out += fmt::format("Cpus_allowed:\t{:x}\nCpus_allowed_list:\t{}\n", st.cpus_allowed,
                     cpu_list(st.cpus_allowed));
  out += "Mems_allowed:\t00000001\nMems_allowed_list:\t0\n";
  out += "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n";
  return out;
}

std::string format_stat(const ProcessStatus& st) {
  // PF_RANDOMIZE: the sandbox randomizes address spaces.
  constexpr unsigned kFlags = 0x00400000;
  return fmt::format(
      "{} ({}) {} {} {} {} 0 -1 {} 0 0 0 0 {} {} 0 0 20 0 {} 0 {} {} {} {} {} {} {} 0 0 {} {} {} "
      "{} 0 0 0 17 0 0 0 0 0 0 {} {} {} {} {} {} {} 0\n",
      st.tid, st.comm, st.state, st.ppid, st.pgid, st.sid, kFlags, st.utime_ticks, st.stime_ticks,
      st.threads, st.start_ticks, st.vm_size, st.vm_rss / 4096, ~0ULL, st.start_code, st.end_code,
      st.start_stack, st.sig_pending | st.sig_shared_pending, st.sig_blocked, st.sig_ignored,
      st.sig_caught, st.start_data, st.end_data, st.start_brk, st.arg_start, st.arg_end,
      st.env_start, st.env_end);
}

std::string format_maps(const std::vector<MappingInfo>& maps) {
  std::string out;
  for (const MappingInfo& m : maps) {
    std::string line =
        fmt::format("{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ", m.start, m.end,
                    (m.prot & PROT_READ) != 0 ? 'r' : '-', (m.prot & PROT_WRITE) != 0 ? 'w' : '-',
                    (m.prot & PROT_EXEC) != 0 ? 'x' : '-', m.shared ? 's' : 'p', m.offset,
                    major(m.dev), minor(m.dev), m.ino);
    if (!m.name.empty()) {
      // The name starts in column 74, as seq_pad() places it.
      if (line.size() < 73) line.append(73 - line.size(), ' ');
      line += mangle_path(m.name);
    }
    out += line + '\n';
  }
  return out;
}

std::string format_mounts(const Vfs& vfs, const Path& root) {
  std::string out;
  for_visible_mounts(vfs, root, [&](const Mount& m, const std::string& at) {
    std::string opts = mount_flags(m);
    const std::string extra = m.sb().mount_options();
    if (!extra.empty()) opts += "," + extra;
    out += fmt::format("{} {} {} {} 0 0\n", mangle_path(m.source()), mangle_path(at),
                       m.sb().fs_type(), opts);
  });
  return out;
}

std::string format_mountinfo(const Vfs& vfs, const Path& root) {
  std::string out;
  for_visible_mounts(vfs, root, [&](const Mount& m, const std::string& at) {
    const int parent = m.parent() != nullptr ? m.parent()->id() : m.id();
    out += fmt::format("{} {} {}:{} / {} {} - {} {} {}\n", m.id(), parent, major(m.sb().dev()),
                       minor(m.sb().dev()), mangle_path(at), mount_flags(m), m.sb().fs_type(),
                       mangle_path(m.source()), super_options(m));
  });
  return out;
}

std::string format_cpuinfo() {
  // The host's processor facts (what CPUID tells the guest anyway), for the CPUs the
  // sandbox may run on, numbered from 0.
  static const std::map<std::string, std::string> host = [] {
    std::map<std::string, std::string> fields;
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line) && !line.empty();) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t'))
        key.pop_back();
      fields[key] = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    }
    return fields;
  }();
  auto field = [&](const char* k) {
    auto it = host.find(k);
    return it == host.end() ? std::string() : it->second;
  };
  cpu_set_t set{};
  sched_getaffinity(0, sizeof(set), &set);
  const int cpus = CPU_COUNT(&set);
  std::string out;
  for (int i = 0; i < cpus; ++i) {
    out += fmt::format("processor\t: {}\n", i);
    for (const char* k : {"vendor_id", "cpu family", "model", "model name", "stepping", "microcode",
                          "cpu MHz", "cache size"}) {
      out += fmt::format("{}\t{}: {}\n", k, std::string_view(k).size() < 8 ? "\t" : "", field(k));
    }
    out += fmt::format("physical id\t: 0\nsiblings\t: {}\ncore id\t\t: {}\ncpu cores\t: {}\n", cpus,
                       i, cpus);
    out += fmt::format("apicid\t\t: {}\ninitial apicid\t: {}\nfpu\t\t: yes\nfpu_exception\t: yes\n",
                       i, i);
    out += fmt::format("cpuid level\t: {}\nwp\t\t: yes\nflags\t\t: {}\n", field("cpuid level"),
                       field("flags"));
    out += fmt::format("bogomips\t: {}\nclflush size\t: {}\ncache_alignment\t: {}\n",
                       field("bogomips"), field("clflush size"), field("cache_alignment"));
    out += fmt::format("address sizes\t: {}\npower management:\n\n", field("address sizes"));
  }
  return out;
}

std::string format_meminfo() {
  struct sysinfo si {};
  sysinfo(&si);
  const uint64_t unit = si.mem_unit;
  const uint64_t total = si.totalram * unit;
  const uint64_t free = si.freeram * unit;
  std::string out;
  auto line = [&](const char* name, uint64_t bytes) {
    out += fmt::format("{:<16}{:8} kB\n", std::string(name) + ":", bytes / 1024);
  };
  line("MemTotal", total);
  line("MemFree", free);
  line("MemAvailable", free);
  line("Buffers", 0);
  line("Cached", 0);
  line("SwapCached", 0);
  line("Active", 0);
  line("Inactive", 0);
  line("SwapTotal", si.totalswap * unit);
  line("SwapFree", si.freeswap * unit);
  line("Shmem", si.sharedram * unit);
  line("SReclaimable", 0);
  return out;
}

std::string format_filesystems() {
  return "nodev\ttmpfs\nnodev\tproc\nnodev\tpipefs\nnodev\toverlay\nnodev\thostfs\n";
}

}  // namespace ms::fs
