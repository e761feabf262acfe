// Waiting for children: wait4(2), waitid(2).
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

using kernel::ThreadGroup;

// Which children a wait is for.
struct Selector {
  enum class Kind { kAny, kPid, kPgid } kind = Kind::kAny;
  int id = 0;
};

// What a child reported.
struct Report {
  int pid = 0;
  int wait_status = 0;  // wait4's encoding
  int code = 0;         // waitid's CLD_*
  int status = 0;       // waitid's si_status
  uid_t uid = 0;
  kernel::Usage usage;
};

bool selected(const ThreadGroup& child, const Selector& sel, int options) {
  switch (sel.kind) {
    case Selector::Kind::kPid:
      if (child.tgid() != sel.id) return false;
      break;
    case Selector::Kind::kPgid:
      if (child.pgid() != sel.id) return false;
      break;
    case Selector::Kind::kAny:
      break;
  }
  // Without __WALL, __WCLONE picks the children that signal something other than SIGCHLD.
  if ((options & __WALL) != 0) return true;
  const bool clone_child = child.exit_signal != SIGCHLD;
  return ((options & __WCLONE) != 0) == clone_child;
}

// Looks for a child with something to report; ECHILD when no child matches at all.
Result<std::optional<Report>> find_report(kernel::Task& t, const Selector& sel, int options) {
  bool any = false;
  // Copy: reaping changes the list.
  const std::vector<ThreadGroup*> children = t.thread_group().children();
  for (ThreadGroup* child : children) {
    if (!selected(*child, sel, options)) continue;
    any = true;
    Report r{.pid = child->tgid(), .uid = child->creds().ruid};
    if (child->zombie() && (options & WEXITED) != 0) {
      const int status = child->exit_status();
      r.wait_status = status;
      if (WIFEXITED(status)) {
        r.code = CLD_EXITED;
        r.status = WEXITSTATUS(status);
      } else {
        r.code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
        r.status = WTERMSIG(status);
      }
      r.usage = child->usage();
      r.usage += child->children_usage();
      if ((options & WNOWAIT) == 0) t.kernel().release(*child);
      return r;
    }
    if (child->stopped && !child->stop_reported && (options & WSTOPPED) != 0) {
      r.wait_status = (child->stop_signal << 8) | 0x7f;
      r.code = CLD_STOPPED;
      r.status = child->stop_signal;
      if ((options & WNOWAIT) == 0) child->stop_reported = true;
      return r;
    }
    if (!child->continue_reported && (options & WCONTINUED) != 0) {
      r.wait_status = 0xffff;
      r.code = CLD_CONTINUED;
      r.status = SIGCONT;
      if ((options & WNOWAIT) == 0) child->continue_reported = true;
      return r;
    }
  }
  if (!any) return fail(ECHILD);
  return std::optional<Report>();
}

timeval to_timeval(kernel::Duration d) {
  return timeval{static_cast<time_t>(d.count() / 1'000'000'000),
                 static_cast<suseconds_t>((d.count() % 1'000'000'000) / 1000)};
}

Result<void> write_rusage(kernel::Task& t, uint64_t addr, const kernel::Usage& u) {
  if (addr == 0) return {};
  rusage ru{};
  ru.ru_utime = to_timeval(u.user);
  ru.ru_stime = to_timeval(u.system);
  ru.ru_maxrss = static_cast<long>(u.max_rss_kb);
  return t.mm().write(mm::GuestPtr<rusage>(addr), ru);
}

// Finds a report or sleeps until a child changes state.
Result<std::optional<Report>> wait_for_child(kernel::Task& t, const Selector& sel, int options) {
  auto report = TRY(find_report(t, sel, options));
  if (report || (options & WNOHANG) != 0) return report;
  t.add_wait(t.thread_group().child_events(), POLLIN);
  return t.park();
}

}  // namespace

SysRet sys_wait4(kernel::Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a[0]);
  const int options = static_cast<int>(a[2]);
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) != 0) {
    return fail(EINVAL);
  }
  if (pid == INT32_MIN) return fail(ESRCH);
  Selector sel;
  if (pid > 0) {
    sel = {Selector::Kind::kPid, pid};
  } else if (pid == 0) {
    sel = {Selector::Kind::kPgid, t.thread_group().pgid()};
  } else if (pid < -1) {
    sel = {Selector::Kind::kPgid, -pid};
  }
  auto report = TRY(wait_for_child(t, sel, options | WEXITED));
  if (!report) return 0;
  if (a[1] != 0) TRY(t.mm().write(mm::GuestPtr<int>(a[1]), report->wait_status));
  TRY(write_rusage(t, a[3], report->usage));
  return static_cast<uint64_t>(report->pid);
}

SysRet sys_waitid(kernel::Task& t, const SyscallArgs& a) {
  const int idtype = static_cast<int>(a[0]);
  const int id = static_cast<int>(a[1]);
  const int options = static_cast<int>(a[3]);
  if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE |
                   __WALL)) != 0 ||
      (options & (WEXITED | WSTOPPED | WCONTINUED)) == 0) {
    return fail(EINVAL);
  }
  Selector sel;
  switch (idtype) {
    case P_ALL:
      break;
    case P_PID:
      if (id <= 0) return fail(EINVAL);
      sel = {Selector::Kind::kPid, id};
      break;
    case P_PGID:
      if (id < 0) return fail(EINVAL);
      sel = {Selector::Kind::kPgid, id == 0 ? t.thread_group().pgid() : id};
      break;
    default:
      return fail(EINVAL);  // P_PIDFD needs pidfds, which the sandbox does not offer yet
  }
  auto report = TRY(wait_for_child(t, sel, options));
  siginfo_t info{};
  if (report) {
    info.si_signo = SIGCHLD;
    info.si_code = report->code;
    info.si_pid = report->pid;
    info.si_uid = report->uid;
    info.si_status = report->status;
    TRY(write_rusage(t, a[4], report->usage));
  }
  if (a[2] != 0) TRY(t.mm().write(mm::GuestPtr<siginfo_t>(a[2]), info));
  return 0;
}

}  // namespace ms::sys
