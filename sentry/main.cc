// minisentry [options] [--] BINARY [ARGS...]: runs BINARY in the sandbox.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "fs/host_file.h"
#include "fs/permission.h"
#include "net/link_faults.h"
#include "net/network.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/host_signals.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/sandbox_fs.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/platform/ptrace/ptrace_platform.h"
#include "sentry/syscalls/compatibility.h"

extern char** environ;

namespace {

// Exit statuses of minisentry itself, as shells and container runtimes use them.
constexpr int kExitUsage = 2;
constexpr int kExitSandboxFailure = 125;
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

// Finds a program like execvp does, in the guest's filesystem: names without a slash are
// looked up in the guest's PATH.
std::string resolve_program(ms::kernel::Kernel& kernel, const ms::fs::Caller& caller,
                            const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string dirs = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& kv : env) {
    if (kv.starts_with("PATH=")) dirs = kv.substr(5);
  }
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    auto found = kernel.vfs().resolve(caller, caller.fs.cwd, candidate, ms::fs::kFollow);
    if (found && found->inode().is_reg() &&
        ms::fs::permission(found->inode(), ms::fs::kMayExec, caller.creds)) {
      return candidate;
    }
    start = end + 1;
  }
  return name;
}

std::vector<std::string> guest_environment(bool clear, const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  if (!clear) {
    for (char** e = environ; *e != nullptr; ++e)
      env.emplace_back(*e);
  }
  for (const std::string& kv : extra) {
    const std::string key = kv.substr(0, kv.find('='));
    std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
    env.push_back(kv);
  }
  return env;
}

// Where the program's name is in argv: after minisentry's options and their values, or
// right after "--". argc when there is none.
int program_index(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return i + 1;
    if (arg.size() < 2 || arg[0] != '-') return i;
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt != nullptr && opt->get_expected_min() > 0 && eq == std::string::npos) ++i;
  }
  return argc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"minisentry: runs an x86-64 Linux program in a userspace kernel sandbox",
               "minisentry"};
  app.set_version_flag("--version", std::string("minisentry ") + MS_VERSION);
  bool strace = false;
  bool stats = false;
  bool clear_env = false;
  bool list_syscalls = false;
  std::string log_level = "warn";
  std::string log_file;
  std::vector<std::string> env;
  std::string net_faults;
  std::string net_mode = "none";
  std::vector<std::string> published;
  std::vector<std::string> command;
  ms::kernel::FsOptions fs_options;
  app.add_flag("--strace", strace, "Print every guest syscall, strace-style");
  app.add_flag("--stats", stats, "Print per-syscall counts when the guest exits");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-file", log_file, "Write --strace output and diagnostics here");
  app.add_option("--env", env, "Set a guest environment variable (K=V, repeatable)")
      ->check([](const std::string& kv) {
        return kv.find('=') == std::string::npos || kv.front() == '=' ? std::string("expected K=V")
                                                                      : std::string();
      });
  app.add_flag("--clear-env", clear_env, "Start the guest with an empty environment");
  app.add_option("--rootfs", fs_options.rootfs,
                 "Host directory to show as the guest's / (read-only, under an in-memory "
                 "writable layer; default /)");
  app.add_option("-v,--volume", fs_options.volumes,
                 "Bind a host directory into the guest: HOST:GUEST[:ro|:rw], read-only unless "
                 ":rw (repeatable)");
  app.add_option("--tmpfs", fs_options.tmpfs,
                 "Mount an empty in-memory filesystem at PATH (repeatable)");
  app.add_option("--workdir", fs_options.workdir,
                 "The guest's working directory (default: the current one when visible)");
  app.add_flag("--read-only-root", fs_options.read_only_root,
               "Make the guest's / read-only (no writable layer)");
  std::string cpus = "auto";
  app.add_option("--cpus", cpus,
                 "auto: one CPU for the sentry and guest unless a guest runs threads; "
                 "one: always one CPU; all: always every CPU")
      ->check(CLI::IsMember({"auto", "one", "all"}));
  app.add_option("--net", net_mode,
                 "Guest networking: none (the sandbox's own loopback only; the default) or host "
                 "(guest TCP/UDP through host sockets the sentry owns)")
      ->check(CLI::IsMember({"none", "host"}));
  app.add_option("-p,--publish", published,
                 "Publish a guest TCP listener: HOSTPORT:GUESTPORT makes the host's "
                 "127.0.0.1:HOSTPORT reach the sandbox's 127.0.0.1:GUESTPORT (repeatable)")
      ->check([](const std::string& spec) {
        auto m = ms::net::parse_port_mapping(spec);
        return m ? std::string() : m.error();
      });
  app.add_option("--net-faults", net_faults,
                 "Faults on the sandbox's loopback link, e.g. "
                 "loss=0.1,reorder=0.2,dup=0.01,delay=1ms,seed=7")
      ->check([](const std::string& spec) {
        auto f = ms::net::parse_link_faults(spec);
        return f ? std::string() : f.error();
      });
  app.add_flag("--list-syscalls", list_syscalls,
               "Print the syscall table with each call's support status, as Markdown");
  try {
    // minisentry's options end at the program's name (or after "--"): everything from there
    // on belongs to the program, whatever it looks like.
    const int program_at = program_index(app, argc, argv);
    const int own = program_at < argc && std::strcmp(argv[program_at - 1], "--") == 0
                        ? program_at - 1
                        : program_at;
    app.parse(own, argv);
    for (int i = program_at; i < argc; ++i)
      command.emplace_back(argv[i]);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (list_syscalls) {
    std::fputs(ms::sys::compatibility_markdown().c_str(), stdout);
    return 0;
  }
  if (command.empty()) {
    std::fputs("minisentry: no program given (see --help)\n", stderr);
    return kExitUsage;
  }

  ms::log::set_level(log_level);
  std::FILE* trace_out = stderr;
  if (!log_file.empty()) {
    trace_out = std::fopen(log_file.c_str(), "we");
    if (trace_out == nullptr || !ms::log::set_file(log_file + ".log")) {
      fmt::print(stderr, "minisentry: cannot open log file {}: {}\n", log_file,
                 std::strerror(errno));
      return kExitUsage;
    }
  }

  auto platform = ms::platform::ptrace::PtracePlatform::create();
  if (!platform) {
    fmt::print(stderr, "minisentry: cannot start the ptrace platform: {}\n",
               std::strerror(ms::errno_value(platform.error())));
    return kExitSandboxFailure;
  }
  ms::kernel::KernelOptions options;
  options.strace_out = strace ? trace_out : nullptr;
  options.stats = stats;
  options.cpu_policy = cpus == "one"   ? ms::kernel::CpuPolicy::kSingle
                       : cpus == "all" ? ms::kernel::CpuPolicy::kSpread
                                       : ms::kernel::CpuPolicy::kAuto;
  ms::kernel::Kernel kernel(std::move(*platform), std::make_unique<ms::kernel::HostClock>(),
                            options);
  ms::net::NetworkOptions net_options;
  net_options.stack.seed = kernel.random_u64();
  if (!net_faults.empty()) {
    net_options.stack.loopback_faults = *ms::net::parse_link_faults(net_faults);
    net_options.stack.seed = net_options.stack.loopback_faults.seed;
  }
  net_options.host = net_mode == "host";
  for (const std::string& spec : published)
    net_options.published.push_back(*ms::net::parse_port_mapping(spec));
  auto network = std::make_unique<ms::net::Network>(kernel.clock(), kernel.timers(),
                                                    kernel.poller(), net_options);
  if (auto r = network->publish_ports(); !r) {
    fmt::print(stderr, "minisentry: {}\n", r.error());
    return kExitUsage;
  }
  kernel.set_network(std::move(network));

  auto fs_context = ms::kernel::setup_filesystem(kernel, fs_options);
  if (!fs_context) {
    fmt::print(stderr, "minisentry: {}\n", fs_context.error());
    return kExitUsage;
  }
  const auto creds = ms::kernel::Credentials::of_ids(getuid(), getgid());
  ms::kernel::ExecRequest request;
  request.envp = guest_environment(clear_env, env);
  request.fs = fs_context->get();
  request.pid = 1;
  request.path = resolve_program(kernel, ms::fs::Caller{creds, **fs_context, 1, 1}, command.front(),
                                 request.envp);
  request.argv = command;
  auto image = ms::kernel::load_image(kernel, request, creds);
  if (!image) {
    fmt::print(stderr, "minisentry: {}: {}\n", command.front(), image.error().reason);
    return image.error().program_missing ? kExitNotFound : kExitCannotExecute;
  }

  ms::kernel::Task& init = kernel.create_init_task(std::move(*image));
  auto fds = std::make_shared<ms::fs::FdTable>();
  for (int fd = 0; fd < 3; ++fd) {
    if (auto f = ms::fs::HostFile::from_stdio(fd, kernel.poller())) {
      fds->install_at(fd, std::move(f), false);
    }
  }
  init.set_fds(std::move(fds));
  init.set_fs(std::move(*fs_context));
  ms::kernel::ThreadGroup& group = init.thread_group();
  group.creds() = creds;
  group.creds().groups.resize(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
  if (!group.creds().groups.empty()) {
    const int n =
        getgroups(static_cast<int>(group.creds().groups.size()), group.creds().groups.data());
    group.creds().groups.resize(static_cast<size_t>(std::max(n, 0)));
  }
  for (int r = 0; r < RLIM_NLIMITS; ++r)
    getrlimit(r, &group.rlimits()[static_cast<size_t>(r)]);
  // The guest keeps the limits it was given; the sentry itself may need more descriptors
  // (memfds of tmpfs files, host files the guest opens).
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  init.comm = command.front().substr(command.front().rfind('/') + 1).substr(0, 15);
  ms::kernel::install_host_signal_forwarding();
  return kernel.run();
}
