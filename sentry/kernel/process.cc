// Process lifecycle: clone, exec's last step, exit, zombies and reaping.
#include <linux/futex.h>
#include <sched.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <algorithm>

#include "base/log.h"
#include "fs/locks.h"
#include "sentry/kernel/kernel.h"

namespace ms::kernel {
namespace {

Usage to_usage(const platform::HostUsage& h) {
  return Usage{Duration(h.user_ns), Duration(h.system_ns), h.max_rss_kb};
}

siginfo_t child_siginfo(ThreadGroup& child, int code, int status) {
  siginfo_t info{};
  info.si_signo = SIGCHLD;
  info.si_code = code;
  info.si_pid = child.tgid();
  info.si_uid = child.creds().ruid;
  info.si_status = status;
  info.si_utime = child.usage().user.count() / 10'000'000;
  info.si_stime = child.usage().system.count() / 10'000'000;
  return info;
}

}  // namespace

size_t ThreadGroup::live_tasks() const {
  return static_cast<size_t>(std::count_if(
      tasks_.begin(), tasks_.end(), [](Task* t) { return t->state() != Task::State::kDead; }));
}

Result<int> Kernel::clone_task(Task& parent, const CloneArgs& args) {
  const uint64_t flags = args.flags;
  ThreadGroup& pgroup = parent.thread_group();
  std::unique_ptr<platform::Thread> thread;
  if ((flags & CLONE_THREAD) != 0) {
    thread = TRY(platform_->clone_vm(parent.thread(), true));
  } else if ((flags & CLONE_VM) != 0) {
    thread = TRY(platform_->clone_vm(parent.thread(), false));
  } else {
    thread = TRY(platform_->fork(parent.thread()));
  }
  const int tid = allocate_pid();

  std::shared_ptr<ThreadGroup> group;
  if ((flags & CLONE_THREAD) != 0) {
    group = parent.thread_group_ptr();
  } else {
    group = std::make_shared<ThreadGroup>(tid);
    ThreadGroup* real_parent = (flags & CLONE_PARENT) != 0 ? pgroup.parent() : &pgroup;
    group->set_parent(real_parent);
    if (real_parent != nullptr) real_parent->children().push_back(group.get());
    group->set_pgid(pgroup.pgid());
    group->set_sid(pgroup.sid());
    group->creds() = pgroup.creds();
    group->rlimits() = pgroup.rlimits();
    group->set_exe_path(pgroup.exe_path());
    group->exit_signal = args.exit_signal;
    groups_[tid] = group;
  }

  auto child = std::make_unique<Task>(*this, tid, group, std::move(thread));
  Task& c = *child;
  c.set_mm((flags & CLONE_VM) != 0 ? parent.mm_ptr()
                                   : parent.mm().fork(c.thread().address_space()));
  c.set_fds((flags & CLONE_FILES) != 0 ? parent.fds_ptr() : parent.fds().clone());
  c.set_fs((flags & CLONE_FS) != 0 ? parent.fs_ptr() : parent.fs().clone());
  c.set_signal_handlers((flags & CLONE_SIGHAND) != 0
                            ? parent.signal_handlers_ptr()
                            : std::make_shared<SignalHandlers>(parent.signal_handlers()));
  c.set_signal_mask(parent.signal_mask());
  // A thread sharing the parent's memory must not share its signal stack.
  if ((flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) c.alt_stack() = parent.alt_stack();
  c.comm = parent.comm;
  c.set_fs((flags & CLONE_FS) != 0 ? parent.fs_ptr() : parent.fs().clone());

  // The child returns from the same syscall with 0, on its own stack and TLS if given.
  platform::Regs* pregs = TRY(parent.thread().regs());
  platform::Regs* cregs = TRY(c.thread().regs());
  *cregs = *pregs;
  cregs->rax = 0;
  cregs->orig_rax = ~0ULL;
  if (args.stack != 0) cregs->rsp = args.stack;
  if ((flags & CLONE_SETTLS) != 0) cregs->fs_base = args.tls;
  c.thread().set_regs_dirty();

  if ((flags & CLONE_PARENT_SETTID) != 0) {
    TRY(parent.mm().write(mm::GuestPtr<int32_t>(args.parent_tid), tid));
  }
  if ((flags & CLONE_CHILD_SETTID) != 0) {
    TRY(c.mm().write(mm::GuestPtr<int32_t>(args.child_tid), tid));
  }
  if ((flags & CLONE_CHILD_CLEARTID) != 0) c.clear_child_tid = args.child_tid;
  if ((flags & CLONE_VFORK) != 0) c.vfork_pending = true;

  register_task(std::move(child));
  if ((flags & CLONE_THREAD) != 0) update_cpu_placement();
  c.set_state(Task::State::kSyscall);
  resume(c);
  return tid;
}

namespace {

// A futex word this thread held: mark its owner dead and wake one waiter, so that the next
// locker of a robust mutex gets EOWNERDEAD (Linux's handle_futex_death).
void release_robust_futex(Kernel& k, Task& t, uint64_t addr) {
  constexpr int kCasRounds = 1000;
  Result<uint32_t> word = fail(EFAULT);
  for (int round = 0; round < kCasRounds; ++round) {
    word = t.mm().read(mm::GuestPtr<uint32_t>(addr));
    if (!word || (*word & FUTEX_TID_MASK) != static_cast<uint32_t>(t.tid())) return;
    const uint32_t next = (*word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    // Atomic through a stopped thread of the process (the exiting one, normally); when
    // none is left to run it, a plain write is the best there is.
    auto found = t.mm().address_space().compare_exchange(addr, *word, next);
    if (!found && found.error() == Errno{EFAULT}) return;
    if (!found && !t.mm().write(mm::GuestPtr<uint32_t>(addr), next)) return;
    if (!found || *found == *word) break;
  }
  if (!word) return;
  if ((*word & FUTEX_WAITERS) != 0) {
    if (auto key = k.futexes().key(t, addr, false)) k.futexes().wake(*key, 1, ~0U);
  }
}

// Walks the thread's robust list (struct robust_list_head) as exit_robust_list does.
void release_robust_list(Kernel& k, Task& t) {
  constexpr int kRobustListLimit = 2048;
  // The list is circular: it ends where it started, at the head itself.
  const uint64_t list_end = t.robust_list_head;
  if (list_end == 0) return;
  auto head = t.mm().read(mm::GuestPtr<robust_list_head>(list_end));
  t.robust_list_head = 0;
  if (!head) return;
  const auto offset = head->futex_offset;
  auto entry_addr = [&](uint64_t e) {
    return static_cast<uint64_t>(static_cast<int64_t>(e) + offset);
  };
  auto next = reinterpret_cast<uint64_t>(head->list.next);
  for (int i = 0; i < kRobustListLimit && next != list_end && next != 0; ++i) {
    auto node = t.mm().read(mm::GuestPtr<uint64_t>(next));
    if (!node) break;
    release_robust_futex(k, t, entry_addr(next & ~1ULL));
    next = *node;
  }
  if (const auto pending = reinterpret_cast<uint64_t>(head->list_op_pending); pending != 0) {
    release_robust_futex(k, t, entry_addr(pending & ~1ULL));
  }
}

}  // namespace

void Kernel::release_thread_resources(Task& t) {
  finish_vfork(t);
  release_robust_list(*this, t);
  if (t.clear_child_tid != 0) {
    // What lets pthread_join return: the tid word is zeroed and its waiters woken.
    const uint64_t addr = t.clear_child_tid;
    t.clear_child_tid = 0;
    if (t.mm().write(mm::GuestPtr<int32_t>(addr), 0)) {
      if (auto key = futexes_.key(t, addr, false)) futexes_.wake(*key, 1, ~0U);
    }
  }
}

void Kernel::finish_vfork(Task& child) {
  if (!child.vfork_pending) return;
  child.vfork_pending = false;
  child.vfork_done.notify(POLLIN);
}

void Kernel::install_image(Task& t, NewImage image, const ExecRequest& request) {
  ThreadGroup& group = t.thread_group();
  // Every other thread of the process ends now (the exec'ing thread is about to take the
  // leader's id, so the old leader must be gone); their host threads die with the old host
  // process below.
  std::vector<Task*> others;
  for (Task* other : group.tasks()) {
    if (other != &t) others.push_back(other);
  }
  for (Task* other : others) {
    other->end_syscall();
    other->set_state(Task::State::kDead);
    std::erase(dead_, other);
    reap(*other);
  }
  // The old image's host process goes, unless it is memory this task shared with another
  // process (a vfork child that execs leaves its parent's memory alone).
  // CPU-time interval timers survive exec: the host keeps them per process, so they move
  // from the old host process to the new one.
  std::optional<itimerval> cpu_timers[2];
  const int which[2] = {ITIMER_VIRTUAL, ITIMER_PROF};
  for (int i = 0; i < 2; ++i) {
    if (auto v = t.thread().cpu_timer(which[i], nullptr);
        v && v->it_value.tv_sec + v->it_value.tv_usec != 0) {
      cpu_timers[i] = *v;
    }
  }
  const bool shared_mm = t.mm_ptr().use_count() > 1;
  if (shared_mm) {
    t.thread().exit_thread();
  } else {
    t.thread().kill_process();
  }
  by_host_tid_.erase(t.thread().host_tid());
  t.set_thread(std::move(image.thread));
  by_host_tid_[t.thread().host_tid()] = &t;
  t.set_mm(std::move(image.mm));
  for (int i = 0; i < 2; ++i) {
    if (cpu_timers[i]) (void)t.thread().cpu_timer(which[i], &*cpu_timers[i]);
  }
  if (t.tid() != group.tgid()) {
    auto self = std::move(tasks_[t.tid()]);
    tasks_.erase(t.tid());
    t.set_tid(group.tgid());
    tasks_[group.tgid()] = std::move(self);
  }
  // Files: an fd table shared with another process is unshared first, then close-on-exec.
  if (t.fds_ptr().use_count() > 1) t.set_fds(t.fds().clone());
  for (const auto& file : t.fds().close_on_exec()) {
    // Closing a descriptor drops the process's record locks on its file.
    if (fs::Inode* inode = file->inode(); inode != nullptr && inode->has_locks()) {
      inode->locks().release(fs::LockOwner::process(t.pid()));
    }
  }
  // Caught signals revert to their default; ignored ones stay ignored.
  auto handlers = std::make_shared<SignalHandlers>(t.signal_handlers());
  for (auto& action : handlers->actions) {
    if (action.handler != kSigIgn) action = KernelSigaction{};
    action.flags &= ~static_cast<uint64_t>(SA_ONSTACK);
  }
  t.set_signal_handlers(std::move(handlers));
  t.alt_stack() = SignalStack{};
  t.clear_child_tid = 0;
  t.robust_list_head = 0;
  t.robust_list_len = 0;
  const std::string& path = request.path;
  t.comm = path.substr(path.rfind('/') + 1).substr(0, 15);
  group.set_exe_path(std::move(image.exe_path));
  group.did_exec = true;
  // POSIX timers do not survive exec (interval timers do).
  group.posix_timers().disarm_all(*this);
  group.posix_timers() = PosixTimers{};
  finish_vfork(t);
}

void Kernel::exit_task(Task& t, int exit_code) {
  ThreadGroup& group = t.thread_group();
  if (group.live_tasks() <= 1) {
    exit_thread_group(group, W_EXITCODE(exit_code & 0xff, 0));
    return;
  }
  release_thread_resources(t);
  t.thread().exit_thread();
  t.end_syscall();
  t.set_state(Task::State::kDead);
  dead_.push_back(&t);
}

void Kernel::exit_thread_group(ThreadGroup& group, int wait_status) {
  if (group.zombie()) return;
  group.begin_exit(wait_status);
  vfs_->locks().process_exited(group.tgid());
  if (Task* any = group.leader(); any != nullptr && any->state() != Task::State::kDead) {
    group.usage() += to_usage(any->thread().usage(true));
  }
  for (Task* t : group.tasks()) {
    if (t->state() == Task::State::kDead) continue;
    release_thread_resources(*t);
    t->end_syscall();
    t->thread().kill_process();
    t->set_state(Task::State::kDead);
    dead_.push_back(t);
  }
  if (group.real_timer) timers_.cancel(*group.real_timer);
  group.real_timer.reset();
  group.posix_timers().disarm_all(*this);
  group.set_zombie();
  reparent_children(group);
  if (group.tgid() == 1 && !init_exited_) {
    init_exited_ = true;
    init_status_ = group.exit_status();
    // As in a pid namespace, the death of init takes every other process with it.
    for (ThreadGroup* other : processes()) {
      if (other != &group && !other->zombie()) exit_thread_group(*other, SIGKILL);
    }
    return;
  }
  notify_parent_of_exit(group);
}

void Kernel::notify_parent_of_exit(ThreadGroup& group) {
  ThreadGroup* parent = group.parent();
  if (parent == nullptr || parent->zombie() || parent->leader() == nullptr) {
    release(group);
    return;
  }
  bool autoreap = false;
  if (group.exit_signal == SIGCHLD) {
    const KernelSigaction& action = parent->leader()->signal_handlers()[SIGCHLD];
    autoreap = action.handler == kSigIgn || (action.flags & SA_NOCLDWAIT) != 0;
  }
  const int status = group.exit_status();
  if (group.exit_signal != 0) {
    int code = CLD_EXITED;
    int value = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
      code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
      value = WTERMSIG(status);
    }
    send_signal(*parent, child_siginfo(group, code, value));
  }
  parent->child_events().notify(POLLIN);
  if (autoreap) release(group);
}

void Kernel::reparent_children(ThreadGroup& group) {
  // Orphans go to the nearest living subreaper ancestor, else to init.
  ThreadGroup* reaper = nullptr;
  for (ThreadGroup* a = group.parent(); a != nullptr; a = a->parent()) {
    if (a->child_subreaper && !a->zombie()) {
      reaper = a;
      break;
    }
  }
  if (reaper == nullptr) reaper = find_process(1);
  if (reaper == &group) reaper = nullptr;
  for (ThreadGroup* child : group.children()) {
    for (Task* ct : child->tasks()) {
      if (ct->pdeath_signal != 0 && ct->state() != Task::State::kDead) {
        send_signal(*ct, user_siginfo(ct->pdeath_signal, SI_USER, 0, 0));
      }
    }
    child->set_parent(reaper);
    if (reaper == nullptr) continue;
    reaper->children().push_back(child);
    if (child->zombie()) notify_parent_of_exit(*child);
  }
  group.children().clear();
}

void Kernel::release(ThreadGroup& zombie) {
  if (ThreadGroup* parent = zombie.parent()) {
    std::erase(parent->children(), &zombie);
    parent->children_usage() += zombie.usage();
    parent->children_usage() += zombie.children_usage();
  }
  // The process may still have tasks waiting to be freed by the loop; they keep it alive.
  groups_.erase(zombie.tgid());
}

}  // namespace ms::kernel
