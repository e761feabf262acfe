// Processes and threads: clone(2), clone3(2), fork(2), vfork(2), execve(2), execveat(2),
// exit(2), exit_group(2), and the ids: getpid(2), gettid(2), getppid(2),
// set_tid_address(2), set_robust_list(2), get_robust_list(2).
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/kernel/exec.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_args.h"
#include "sentry/syscalls/string_arrays.h"

namespace ms::sys {
namespace {

constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME;

// Linux's checks of copy_process(), in its order.
Result<void> check_clone_flags(kernel::Task& t, uint64_t flags) {
  if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS)) return fail(EINVAL);
  if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS)) return fail(EINVAL);
  if ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0) return fail(EINVAL);
  if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) return fail(EINVAL);
  if ((flags & CLONE_PARENT) != 0 && t.pid() == 1) return fail(EINVAL);
  if ((flags & CLONE_THREAD) != 0 && (flags & (CLONE_NEWUSER | CLONE_NEWPID)) != 0) {
    return fail(EINVAL);
  }
  if ((flags & CLONE_PIDFD) != 0 && (flags & (CLONE_DETACHED | CLONE_THREAD)) != 0) {
    return fail(EINVAL);
  }
  // Namespaces and pidfds are not part of the sandbox's kernel (yet).
  if ((flags & kNamespaceFlags) != 0) return fail(EPERM);
  if ((flags & CLONE_PIDFD) != 0) return fail(EINVAL);
  return {};
}

// The parent side of clone: creating the child, then (vfork) sleeping until it execs or
// exits. The child's tid is kept in syscall_progress while the parent sleeps.
SysRet do_clone(kernel::Task& t, const kernel::CloneArgs& args) {
  if (t.syscall_progress != 0) {
    const int child_tid = static_cast<int>(t.syscall_progress >> 1);
    kernel::Task* child = t.kernel().find_task(child_tid);
    if (child != nullptr && child->vfork_pending && child->state() != kernel::Task::State::kDead) {
      t.add_wait(child->vfork_done, POLLIN);
      return t.park(/*interruptible=*/false);
    }
    return static_cast<uint64_t>(child_tid);
  }
  TRY(check_clone_flags(t, args.flags));
  const int tid = TRY(t.kernel().clone_task(t, args));
  if ((args.flags & CLONE_VFORK) == 0) return static_cast<uint64_t>(tid);
  t.syscall_progress = (static_cast<uint64_t>(tid) << 1) | 1;
  kernel::Task* child = t.kernel().find_task(tid);
  if (child == nullptr || !child->vfork_pending) return static_cast<uint64_t>(tid);
  t.add_wait(child->vfork_done, POLLIN);
  return t.park(/*interruptible=*/false);
}

Result<int> exit_signal_of(uint64_t sig) {
  if (sig > kernel::kNumSignals) return fail(EINVAL);
  return static_cast<int>(sig);
}

// execve(2), and execveat(2) once it has found the program (request.found).
SysRet do_execve(kernel::Task& t, kernel::ExecRequest request, uint64_t argv_addr,
                 uint64_t envp_addr) {
  request.fs = &t.fs();
  request.pid = t.pid();
  const rlimit& stack = t.thread_group().rlimits()[RLIMIT_STACK];
  request.stack_limit = stack.rlim_cur;
  // Arguments and environment may take a quarter of the stack limit, at least 128 KiB;
  // the loader applies Linux's exact rule when it builds the stack.
  uint64_t budget = std::max<uint64_t>(stack.rlim_cur / 4, 128 * 1024);
  request.argv = TRY(copy_in_string_array(t.mm(), argv_addr, budget));
  request.envp = TRY(copy_in_string_array(t.mm(), envp_addr, budget));
  if (request.path.empty()) return fail(ENOENT);
  auto image = kernel::load_image(t.kernel(), request, t.thread_group().creds());
  if (!image) return fail(image.error().err);
  t.kernel().install_image(t, std::move(*image), request);
  return 0;
}

}  // namespace

SysRet sys_clone(kernel::Task& t, const SyscallArgs& a) {
  // x86-64 order: flags, stack, parent_tid, child_tid, tls.
  const uint64_t flags = a[0];
  kernel::CloneArgs args{.flags = flags & ~static_cast<uint64_t>(CSIGNAL),
                         .stack = a[1],
                         .parent_tid = a[2],
                         .child_tid = a[3],
                         .tls = a[4],
                         .exit_signal = static_cast<int>(flags & CSIGNAL)};
  if ((flags & CLONE_THREAD) != 0) args.exit_signal = 0;
  return do_clone(t, args);
}

SysRet sys_clone3(kernel::Task& t, const SyscallArgs& a) {
  constexpr uint64_t kVer0Size = 64;
  const uint64_t size = a[1];
  if (t.syscall_progress != 0) return do_clone(t, kernel::CloneArgs{});
  if (size < kVer0Size) return fail(EINVAL);
  if (size > mm::kPageSize) return fail(E2BIG);
  clone_args args{};
  const uint64_t known = std::min<uint64_t>(size, sizeof(args));
  TRY(t.mm().copy_in(a[0], std::as_writable_bytes(std::span(&args, 1)).first(known)));
  for (uint64_t off = sizeof(args); off < size; ++off) {
    const uint8_t byte = TRY(t.mm().read(mm::GuestPtr<uint8_t>(a[0] + off)));
    if (byte != 0) return fail(E2BIG);
  }
  if ((args.exit_signal & ~static_cast<uint64_t>(CSIGNAL)) != 0) return fail(EINVAL);
  const int exit_signal = TRY(exit_signal_of(args.exit_signal));
  if ((args.stack == 0) != (args.stack_size == 0)) return fail(EINVAL);
  if (args.set_tid != 0 || args.set_tid_size != 0) return fail(EINVAL);
  if ((args.flags & CLONE_INTO_CGROUP) != 0) return fail(EINVAL);
  if ((args.flags & CSIGNAL) != 0) return fail(EINVAL);
  return do_clone(t, kernel::CloneArgs{.flags = args.flags,
                                       .stack = args.stack + args.stack_size,
                                       .parent_tid = args.parent_tid,
                                       .child_tid = args.child_tid,
                                       .tls = args.tls,
                                       .exit_signal = exit_signal});
}

SysRet sys_fork(kernel::Task& t, const SyscallArgs& /*a*/) {
  return do_clone(t, kernel::CloneArgs{.exit_signal = SIGCHLD});
}

SysRet sys_vfork(kernel::Task& t, const SyscallArgs& /*a*/) {
  return do_clone(t, kernel::CloneArgs{.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD});
}

SysRet sys_execve(kernel::Task& t, const SyscallArgs& a) {
  kernel::ExecRequest request;
  request.path = TRY(t.mm().copy_in_string(a[0], PATH_MAX - 1));
  return do_execve(t, std::move(request), a[1], a[2]);
}

SysRet sys_execveat(kernel::Task& t, const SyscallArgs& a) {
  const int dirfd = static_cast<int>(a[0]);
  const uint64_t flags = a[4];
  // Linux copies the name (an empty one needs AT_EMPTY_PATH) before it checks the flags.
  const std::string path = TRY(path_arg(t, a[1]));
  if (path.empty() && (flags & AT_EMPTY_PATH) == 0) return fail(ENOENT);
  if ((flags & ~static_cast<uint64_t>(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) {
    return fail(EINVAL);
  }
  if ((dirfd == AT_FDCWD && !path.empty()) || path.starts_with('/')) {
    kernel::ExecRequest request;
    request.path = path;
    if ((flags & AT_SYMLINK_NOFOLLOW) != 0) {
      request.found = TRY(path_at(t, dirfd, path, static_cast<int>(flags)));
    }
    return do_execve(t, std::move(request), a[2], a[3]);
  }
  // Relative to dirfd, or dirfd itself (fexecve): the program is found now, and its name in
  // the new image (AT_EXECFN, a script's argument) is /dev/fd/N[/PATH], as Linux names it.
  kernel::ExecRequest request;
  request.found = TRY(path_at(t, dirfd, path, static_cast<int>(flags)));
  request.path = "/dev/fd/" + std::to_string(dirfd);
  if (!path.empty()) request.path += "/" + path;
  request.path_inaccessible = t.fds().cloexec(dirfd);
  return do_execve(t, std::move(request), a[2], a[3]);
}

SysRet sys_exit(kernel::Task& t, const SyscallArgs& a) {
  t.kernel().exit_task(t, static_cast<int>(a[0] & 0xff));
  return 0;
}

SysRet sys_exit_group(kernel::Task& t, const SyscallArgs& a) {
  t.kernel().exit_thread_group(t.thread_group(), W_EXITCODE(static_cast<int>(a[0] & 0xff), 0));
  return 0;
}

SysRet sys_getpid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.pid();
}

SysRet sys_gettid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return t.tid();
}

SysRet sys_getppid(kernel::Task& t, const SyscallArgs& /*a*/) {
  const kernel::ThreadGroup* parent = t.thread_group().parent();
  return parent != nullptr ? parent->tgid() : 0;
}

SysRet sys_set_tid_address(kernel::Task& t, const SyscallArgs& a) {
  t.clear_child_tid = a[0];
  return t.tid();
}

SysRet sys_set_robust_list(kernel::Task& t, const SyscallArgs& a) {
  if (a[1] != sizeof(robust_list_head)) return fail(EINVAL);
  t.robust_list_head = a[0];
  t.robust_list_len = a[1];
  return 0;
}

SysRet sys_get_robust_list(kernel::Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a[0]);
  kernel::Task* target = pid == 0 ? &t : t.kernel().find_task(pid);
  if (target == nullptr) return fail(ESRCH);
  TRY(t.mm().write(mm::GuestPtr<uint64_t>(a[2]), target->robust_list_len));
  TRY(t.mm().write(mm::GuestPtr<uint64_t>(a[1]), target->robust_list_head));
  return 0;
}

}  // namespace ms::sys
