#include "sentry/syscalls/tty_job_control.h"

#include <sys/ioctl.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace ms::sys {
namespace {

// Only processes of the terminal's session have it as their controlling terminal.
bool controls(kernel::Task& t) {
  return t.thread_group().sid() == t.kernel().tty_session();
}

// No member has a parent in another process group of the same session (POSIX's orphaned
// process group): a stop signal would leave it stopped for good.
bool orphaned_group(kernel::Kernel& k, int pgid, int sid) {
  for (kernel::ThreadGroup* g : k.processes()) {
    if (g->pgid() != pgid || g->zombie()) continue;
    const kernel::ThreadGroup* parent = g->parent();
    if (parent != nullptr && parent->pgid() != pgid && parent->sid() == sid) return false;
  }
  return true;
}

}  // namespace

bool in_tty_background(kernel::Task& t) {
  const int foreground = t.kernel().foreground_pgid();
  return controls(t) && foreground != 0 && t.thread_group().pgid() != foreground;
}

Result<void> tty_background_check(kernel::Task& t, int sig) {
  kernel::Kernel& k = t.kernel();
  kernel::ThreadGroup& g = t.thread_group();
  if (!in_tty_background(t)) return {};
  const bool ignored =
      t.signal_handlers()[sig].handler == kernel::kSigIgn || t.signal_mask().has(sig);
  if (ignored) {
    if (sig == SIGTTIN) return fail(EIO);
    return {};
  }
  if (orphaned_group(k, g.pgid(), g.sid())) return fail(EIO);
  for (kernel::ThreadGroup* member : k.processes()) {
    if (member->pgid() == g.pgid() && !member->zombie()) {
      k.send_signal(*member, kernel::user_siginfo(sig, SI_KERNEL, 0, 0));
    }
  }
  return fail(ERESTARTSYS);
}

std::optional<SysRet> tty_job_control(kernel::Task& t, uint32_t request, uint64_t arg) {
  kernel::Kernel& k = t.kernel();
  switch (request) {
    case TIOCGPGRP: {
      if (!controls(t)) return fail(ENOTTY);
      auto r = t.mm().write(mm::GuestPtr<int32_t>(arg), k.foreground_pgid());
      if (!r) return std::unexpected(r.error());
      return 0;
    }
    case TIOCSPGRP: {
      auto pgid = t.mm().read(mm::GuestPtr<int32_t>(arg));
      if (!pgid) return std::unexpected(pgid.error());
      if (!controls(t)) return fail(ENOTTY);
      if (*pgid < 0) return fail(EINVAL);
      bool exists = false;
      for (kernel::ThreadGroup* g : k.processes()) {
        if (g->pgid() == *pgid && !g->zombie()) {
          if (g->sid() != t.thread_group().sid()) return fail(EPERM);
          exists = true;
        }
      }
      if (!exists) return fail(ESRCH);
      k.set_foreground_pgid(*pgid);
      return 0;
    }
    case TIOCGSID: {
      if (!controls(t)) return fail(ENOTTY);
      auto r = t.mm().write(mm::GuestPtr<int32_t>(arg), k.tty_session());
      if (!r) return std::unexpected(r.error());
      return 0;
    }
    case TIOCSCTTY: {
      kernel::ThreadGroup& g = t.thread_group();
      if (g.sid() != g.tgid()) return fail(EPERM);  // only a session leader
      if (controls(t)) return 0;
      // Taking the terminal from another session needs privilege and arg 1.
      const kernel::ThreadGroup* owner = k.find_process(k.tty_session());
      if (owner != nullptr && !owner->zombie() && !(arg == 1 && g.creds().euid == 0)) {
        return fail(EPERM);
      }
      k.set_tty_session(g.sid());
      k.set_foreground_pgid(g.pgid());
      return 0;
    }
    case TIOCNOTTY:
      if (!controls(t)) return fail(ENOTTY);
      if (t.thread_group().sid() == t.pid()) k.set_tty_session(0);
      return 0;
    default:
      return std::nullopt;
  }
}

}  // namespace ms::sys
