// How guest code runs and traps. The kernel above sees only these interfaces; the ptrace
// implementation lives in platform/ptrace, faster ones (systrap, site patching) come later.
#pragma once

#include <signal.h>
#include <sys/time.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "base/result.h"

namespace ms::platform {

using Regs = user_regs_struct;

// The guest's view of the address space ends below the stub the platform keeps mapped.
struct Layout {
  uint64_t guest_top;  // first address the guest may not use
  uint64_t stub_begin;
  uint64_t stub_end;
};

// A syscall as the guest made it.
struct SyscallEntry {
  uint64_t nr = 0;
  uint64_t args[6] = {};
  uint64_t ip = 0;  // address after the syscall instruction
  uint64_t sp = 0;
  bool native_abi = true;  // false for int 0x80 / sysenter (the i386 ABI)
};

enum class StopKind {
  kSyscall,    // the guest made a syscall (not executed by the host)
  kFault,      // the guest raised a synchronous signal (SIGSEGV, SIGILL, SIGTRAP, ...)
  kInterrupt,  // stopped at the sentry's request
  kExited,     // the host thread is gone (exit or kill)
};

struct Stop {
  StopKind kind = StopKind::kSyscall;
  siginfo_t info{};     // kFault: the host's siginfo
  int wait_status = 0;  // kExited: the raw wait status
};

// CPU time and peak memory of a host process, for getrusage and wait4.
struct HostUsage {
  int64_t user_ns = 0;
  int64_t system_ns = 0;
  uint64_t max_rss_kb = 0;
};

class AddressSpace {
 public:
  virtual ~AddressSpace() = default;

  // Host mappings, made by a syscall injected through a stopped thread of this space.
  // flags are mmap flags; MAP_FIXED is always added: the sentry chooses every address.
  virtual Result<void> map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
                           uint64_t offset) = 0;
  virtual Result<void> unmap(uint64_t addr, uint64_t len) = 0;
  virtual Result<void> protect(uint64_t addr, uint64_t len, int prot) = 0;
  virtual Result<void> remap(uint64_t old_addr, uint64_t old_len, uint64_t new_addr,
                             uint64_t new_len) = 0;
  virtual Result<void> advise(uint64_t addr, uint64_t len, int advice) = 0;

  // Copies honour the guest's page protections. read/write return how many bytes were
  // copied before the first inaccessible byte (0 bytes is EFAULT).
  virtual Result<size_t> read(uint64_t addr, std::span<std::byte> dst) = 0;
  virtual Result<size_t> write(uint64_t addr, std::span<const std::byte> src) = 0;
  // Writes through page protections (the loader filling read-only segments).
  virtual Result<void> write_force(uint64_t addr, std::span<const std::byte> src) = 0;
  // If the 32-bit word at addr (4-byte aligned) holds `expected`, stores `desired`; returns
  // the value found. Atomic against guest threads running meanwhile on other host CPUs, which
  // a read() and then a write() are not (futex words).
  virtual Result<uint32_t> compare_exchange(uint64_t addr, uint32_t expected, uint32_t desired) = 0;
};

// One host thread that runs one guest thread.
class Thread {
 public:
  virtual ~Thread() = default;

  virtual int host_tid() const = 0;
  virtual const std::shared_ptr<AddressSpace>& address_space() const = 0;

  // Valid while stopped at kSyscall.
  virtual const SyscallEntry& syscall() const = 0;
  // The full register file, fetched from the host on first use after each stop.
  virtual Result<Regs*> regs() = 0;
  // Marks regs() as changed, so that resume() writes them back.
  virtual void set_regs_dirty() = 0;
  // The syscall's return value (rax), cheaper than regs() when nothing else changes.
  virtual void set_syscall_return(uint64_t value) = 0;
  // The FPU/SSE/AVX state in the kernel's xsave layout, for signal frames.
  virtual Result<size_t> get_fpstate(std::span<std::byte> dst) = 0;
  virtual Result<void> set_fpstate(std::span<const std::byte> src) = 0;

  // Runs guest code until the next stop, which Platform::wait reports.
  virtual Result<void> resume() = 0;
  // Asks a running thread to stop (a kInterrupt stop follows).
  virtual void interrupt() = 0;
  // Makes this host thread exit (it must be stopped); Platform::wait reports kExited.
  virtual void exit_thread() = 0;
  // Kills every host thread sharing this thread's host process.
  virtual void kill_process() = 0;
  // What this thread's host process (or only this thread) has used so far.
  virtual HostUsage usage(bool whole_process) const = 0;
  // The host CPU that last ran this thread.
  virtual unsigned last_cpu() const = 0;
  // setitimer(2) on the host process for ITIMER_VIRTUAL/ITIMER_PROF: the host counts the CPU
  // time guest code uses and raises SIGVTALRM/SIGPROF, reported as kFault stops with
  // si_code SI_KERNEL. `value` nullptr only reads. Returns the previous setting. The thread
  // must be stopped.
  virtual Result<itimerval> cpu_timer(int which, const itimerval* value) = 0;
};

struct Event {
  int host_tid = 0;
  Stop stop;
};

class Platform {
 public:
  virtual ~Platform() = default;

  virtual const Layout& layout() const = 0;

  // A new host process with an empty guest address space, stopped.
  virtual Result<std::unique_ptr<Thread>> new_process() = 0;
  // A stopped copy of parent's process: a copy-on-write address space (fork).
  virtual Result<std::unique_ptr<Thread>> fork(Thread& parent) = 0;
  // A stopped new thread in parent's address space (clone with CLONE_VM). thread_group puts
  // it into the parent's host thread group, as guest threads are.
  virtual Result<std::unique_ptr<Thread>> clone_vm(Thread& parent, bool thread_group) = 0;

  // Keeps the sentry and every guest thread on one CPU (true) or lets them spread over all
  // the host's CPUs (false). A trap is a wake-up between sentry and guest: on one CPU it
  // costs about half of a cross-CPU one, but guest threads then cannot run in parallel.
  virtual void set_single_cpu(bool single) = 0;

  // The next stop of any thread, without blocking; nullopt when none is pending.
  virtual std::optional<Event> poll() = 0;
  // Blocks until the next stop of any thread; nullopt when a host signal interrupted the
  // wait (the caller checks why and waits again).
  virtual std::optional<Event> wait() = 0;
  // A host fd that becomes readable when a stop may be pending, for an event loop that also
  // waits on other fds. After it fires: clear_notify(), then poll() until nullopt.
  virtual int notify_fd() const = 0;
  virtual void clear_notify() = 0;
};

}  // namespace ms::platform
