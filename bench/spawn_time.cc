// Start-up cost of a command: spawns it REPS times, one after another, and prints the median
// wall time from spawn to reaped exit. Timed here rather than in the shell, whose own fork
// and exec would be counted. stdio goes to /dev/null.
//
//   spawn_time [--cpu N] REPS COMMAND [ARGS...]
// prints "spawn_ns <median>"; --cpu N pins this helper and so every command it spawns.
// Exits 1 (saying why) if a run fails, so that a broken sandbox is not timed as a fast one.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/result.h"

extern char** environ;

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<uint64_t>(ts.tv_nsec);
}

// posix_spawn's attribute objects, released however the spawn ends.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions_, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions_, 2, "/dev/null", O_WRONLY, 0);
  }
  ~SpawnSetup() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

// One run: wall ns from spawn to reaped exit; the wait status as the error if it failed.
ms::Result<uint64_t> run_once(const SpawnSetup& setup, char** argv) {
  const uint64_t t0 = now_ns();
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, argv[0], setup.actions(), nullptr, argv, environ);
      rc != 0) {
    return ms::fail(rc);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) return ms::fail(errno);
  }
  const uint64_t elapsed = now_ns() - t0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "spawn_time: %s ended with wait status %#x\n", argv[0], status);
    return ms::fail(ECHILD);
  }
  return elapsed;
}

ms::Result<void> pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return ms::fail(errno);
  return {};
}

int usage() {
  std::fprintf(stderr, "usage: spawn_time [--cpu N] REPS COMMAND [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  if (i + 1 < argc && std::string_view(argv[i]) == "--cpu") {
    if (auto r = pin_to(std::atoi(argv[i + 1])); !r) {
      std::fprintf(stderr, "spawn_time: --cpu: %s\n", std::strerror(ms::errno_value(r.error())));
      return 1;
    }
    i += 2;
  }
  if (i + 1 >= argc) return usage();
  const long reps = std::strtol(argv[i], nullptr, 10);
  if (reps <= 0) return usage();
  char** command = argv + i + 1;

  const SpawnSetup setup;
  // One untimed run first: page cache, dynamic loader caches, the sandbox's own warm-up.
  std::vector<uint64_t> times;
  for (long r = 0; r <= reps; ++r) {
    auto ns = run_once(setup, command);
    if (!ns) {
      std::fprintf(stderr, "spawn_time: %s: %s\n", command[0],
                   std::strerror(ms::errno_value(ns.error())));
      return 1;
    }
    if (r > 0) times.push_back(*ns);
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  const double median =
      n % 2 != 0 ? static_cast<double>(times[n / 2])
                 : (static_cast<double>(times[n / 2 - 1]) + static_cast<double>(times[n / 2])) / 2;
  std::printf("spawn_ns %.0f\n", median);
  return 0;
}
