// Signals: sending, choosing who handles them, delivery at the return to guest code, and
// job control (stop and continue).
#include <sys/wait.h>

#include "base/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal_frame.h"

namespace ms::kernel {

siginfo_t user_siginfo(int sig, int code, int sender_pid, uid_t sender_uid) {
  siginfo_t info{};
  info.si_signo = sig;
  info.si_code = code;
  info.si_pid = sender_pid;
  info.si_uid = sender_uid;
  return info;
}

bool Kernel::ignored(Task& t, int sig) {
  if (t.really_blocks(sig)) return false;  // blocked signals wait, whatever the action
  const KernelSigaction& action = t.signal_handlers()[sig];
  if (action.handler == kSigIgn) return true;
  if (action.handler != kSigDfl) return false;
  const DefaultAction d = default_action(sig);
  return d == DefaultAction::kIgnore || d == DefaultAction::kContinue;
}

Task* Kernel::pick_signal_target(ThreadGroup& group, int sig) {
  // The main thread if it can take the signal, else any thread that does not block it.
  for (Task* t : group.tasks()) {
    if (t->state() != Task::State::kDead && !t->signal_mask().has(sig)) return t;
  }
  return nullptr;
}

void Kernel::notify_signal(Task& t) {
  switch (t.state()) {
    case Task::State::kRunning:
      if (!t.interrupt_requested) {
        t.interrupt_requested = true;
        t.thread().interrupt();
      }
      return;
    case Task::State::kParked:
      t.wake();
      return;
    default:
      // In a syscall or about to rerun one: delivery happens when it finishes.
      return;
  }
}

namespace {

// A signal the process cannot survive: the default action kills it and nothing blocks it.
bool fatal(Task& t, int sig) {
  const KernelSigaction& action = t.signal_handlers()[sig];
  if (action.handler != kSigDfl || t.really_blocks(sig)) return false;
  const DefaultAction d = default_action(sig);
  return d == DefaultAction::kTerminate || d == DefaultAction::kCoreDump;
}

}  // namespace

void Kernel::send_signal(ThreadGroup& group, const siginfo_t& info) {
  const int sig = info.si_signo;
  if (group.zombie() || group.exiting() || group.leader() == nullptr) return;
  // Stop and continue signals cancel each other at the moment they are sent.
  if (((1ULL << (sig - 1)) & kStopSignals) != 0) {
    group.shared_pending().discard(SigSet(SigSet::bit(SIGCONT)));
    for (Task* t : group.tasks())
      t->pending().discard(SigSet(SigSet::bit(SIGCONT)));
  } else if (sig == SIGCONT) {
    group.shared_pending().discard(SigSet(kStopSignals));
    for (Task* t : group.tasks())
      t->pending().discard(SigSet(kStopSignals));
    continue_group(group);
  }
  if (sig == SIGKILL) {
    exit_thread_group(group, SIGKILL);
    return;
  }
  Task* target = pick_signal_target(group, sig);
  if (ignored(target != nullptr ? *target : *group.leader(), sig)) return;
  if (!group.shared_pending().add(info)) return;
  group.signal_events().notify(POLLIN);
  if (target == nullptr) return;  // every thread blocks it: it waits
  if (fatal(*target, sig)) {
    exit_thread_group(group, sig);
    return;
  }
  notify_signal(*target);
}

void Kernel::send_signal(Task& t, const siginfo_t& info) {
  const int sig = info.si_signo;
  ThreadGroup& group = t.thread_group();
  if (t.state() == Task::State::kDead || group.exiting()) return;
  if (sig == SIGKILL || sig == SIGCONT || (((1ULL << (sig - 1)) & kStopSignals) != 0)) {
    // Job control acts on the whole process however the signal was addressed.
    if (sig == SIGKILL) {
      exit_thread_group(group, SIGKILL);
      return;
    }
    if (sig == SIGCONT) {
      group.shared_pending().discard(SigSet(kStopSignals));
      for (Task* o : group.tasks())
        o->pending().discard(SigSet(kStopSignals));
      continue_group(group);
    } else {
      group.shared_pending().discard(SigSet(SigSet::bit(SIGCONT)));
      for (Task* o : group.tasks())
        o->pending().discard(SigSet(SigSet::bit(SIGCONT)));
    }
  }
  if (ignored(t, sig)) return;
  if (!t.pending().add(info)) return;
  group.signal_events().notify(POLLIN);
  if (fatal(t, sig)) {
    exit_thread_group(group, sig);
    return;
  }
  if (!t.signal_mask().has(sig)) notify_signal(t);
}

void Kernel::force_signal(Task& t, const siginfo_t& info) {
  const int sig = info.si_signo;
  KernelSigaction& action = t.signal_handlers()[sig];
  if (action.handler == kSigIgn || t.signal_mask().has(sig)) {
    // A fault the guest cannot take is fatal: back to the default action, unblocked.
    action.handler = kSigDfl;
    t.signal_mask().remove(sig);
  }
  t.pending().add(info);
}

bool Kernel::setup_frame(Task& t, int sig, const siginfo_t& info) {
  KernelSigaction& slot = t.signal_handlers()[sig];
  const KernelSigaction action = slot;
  if (!build_signal_frame(t, sig, info, action)) return false;
  SigSet mask(t.signal_mask().bits() | action.mask);
  if ((action.flags & SA_NODEFER) == 0) mask.add(sig);
  t.set_signal_mask(mask);
  if ((action.flags & SA_RESETHAND) != 0) slot = KernelSigaction{};
  return true;
}

std::optional<siginfo_t> Kernel::dequeue_signal(Task& t, SigSet allowed) {
  std::optional<siginfo_t> info;
  if (auto own = t.pending().next(allowed)) {
    info = t.pending().take(*own);
  } else if (auto shared = t.thread_group().shared_pending().next(allowed)) {
    info = t.thread_group().shared_pending().take(*shared);
  }
  if (info && info->si_code == SI_TIMER) {
    info->si_overrun = t.thread_group().posix_timers().take_overrun(info->si_timerid);
  }
  return info;
}

bool Kernel::deliver_signals(Task& t) {
  for (;;) {
    if (t.state() == Task::State::kDead) return false;
    ThreadGroup& group = t.thread_group();
    const std::optional<siginfo_t> info = dequeue_signal(t, SigSet(~t.signal_mask().bits()));
    if (!info) break;
    const int sig = info->si_signo;
    const KernelSigaction& action = t.signal_handlers()[sig];
    if (action.handler == kSigIgn) continue;
    if (action.handler == kSigDfl) {
      switch (default_action(sig)) {
        case DefaultAction::kIgnore:
        case DefaultAction::kContinue:
          continue;
        case DefaultAction::kStop:
          stop_group(group, sig);
          return false;
        case DefaultAction::kTerminate:
        case DefaultAction::kCoreDump:
          exit_thread_group(group, sig);
          return false;
      }
    }
    if (!setup_frame(t, sig, *info)) {
      // The frame could not be written (bad stack, no restorer): SIGSEGV, fatal if it was
      // SIGSEGV's own handler that failed.
      if (sig == SIGSEGV) t.signal_handlers()[SIGSEGV] = KernelSigaction{};
      siginfo_t segv = user_siginfo(SIGSEGV, SI_KERNEL, 0, 0);
      force_signal(t, segv);
    }
  }
  return !t.thread_group().stopped;
}

void Kernel::stop_group(ThreadGroup& group, int sig) {
  if (group.stopped || group.exiting()) return;
  group.stopped = true;
  group.stop_signal = sig;
  group.stop_reported = false;
  group.continue_reported = true;
  for (Task* t : group.tasks()) {
    if (t->state() == Task::State::kRunning) {
      notify_signal(*t);  // its interrupt stop finds the process stopped
    } else if (t->state() == Task::State::kSyscall) {
      t->set_state(Task::State::kStopped);
    }
  }
  notify_parent_of_stop(group, CLD_STOPPED);
}

void Kernel::continue_group(ThreadGroup& group) {
  if (!group.stopped) return;
  group.stopped = false;
  group.continue_reported = false;
  for (Task* t : group.tasks()) {
    if (t->state() != Task::State::kStopped) continue;
    if (t->restart_after_stop) {
      t->restart_after_stop = false;
      t->set_state(Task::State::kRunnable);
      make_runnable(*t);
    } else {
      resume(*t);
    }
  }
  notify_parent_of_stop(group, CLD_CONTINUED);
}

void Kernel::notify_parent_of_stop(ThreadGroup& group, int why) {
  ThreadGroup* parent = group.parent();
  if (parent == nullptr || parent->leader() == nullptr) return;
  const KernelSigaction& action = parent->leader()->signal_handlers()[SIGCHLD];
  if ((action.flags & SA_NOCLDSTOP) == 0) {
    siginfo_t info{};
    info.si_signo = SIGCHLD;
    info.si_code = why;
    info.si_pid = group.tgid();
    info.si_uid = group.creds().ruid;
    info.si_status = why == CLD_STOPPED ? group.stop_signal : SIGCONT;
    send_signal(*parent, info);
  }
  parent->child_events().notify(POLLIN);
}

void Kernel::on_host_signal(int sig) {
  const siginfo_t info = user_siginfo(sig, SI_KERNEL, 0, 0);
  if (sig == SIGTERM || sig == SIGHUP) {
    // What a container runtime does: the sandbox's init decides.
    if (ThreadGroup* init = find_process(1)) send_signal(*init, info);
    return;
  }
  // Terminal signals go to the guest's foreground process group.
  for (ThreadGroup* g : processes()) {
    if (g->pgid() == foreground_pgid_ && !g->zombie()) send_signal(*g, info);
  }
}

}  // namespace ms::kernel
