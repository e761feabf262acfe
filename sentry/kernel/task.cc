#include "sentry/kernel/task.h"

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/thread_group.h"

namespace ms::kernel {

// A task's registration on one wait queue.
class Task::QueueWaiter final : public Waiter {
 public:
  explicit QueueWaiter(Task& task) : task_(task) {}
  void notify(uint32_t /*events*/) override { task_.wake(); }

 private:
  Task& task_;
};

Task::Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
           std::unique_ptr<platform::Thread> thread)
    : kernel_(kernel), tid_(tid), group_(std::move(group)), thread_(std::move(thread)) {}

Task::~Task() {
  drop_waits();
}

int Task::pid() const {
  return group_->tgid();
}

Result<std::shared_ptr<fs::FileDescription>> Task::file(int fd) const {
  auto f = fds_->get(fd);
  if (!f) return fail(EBADF);
  return f;
}

void Task::set_thread(std::unique_ptr<platform::Thread> thread) {
  thread_ = std::move(thread);
}

void Task::add_wait(WaitQueue& queue, uint32_t events) {
  if (waiters_used_ == waiters_.size()) waiters_.push_back(std::make_unique<QueueWaiter>(*this));
  QueueWaiter& w = *waiters_[waiters_used_++];
  w.set_mask(events);
  queue.add(w);
}

Duration Task::deadline_after(Duration relative) {
  if (!deadline_) deadline_ = kernel_.clock().monotonic() + relative;
  return *deadline_;
}

void Task::set_deadline(Duration absolute) {
  if (!deadline_) deadline_ = absolute;
}

bool Task::signal_pending() const {
  const uint64_t pending = pending_.set().bits() | group_->shared_pending().set().bits();
  return (pending & ~signal_mask_.bits()) != 0;
}

std::unexpected<Errno> Task::park(bool interruptible) {
  if (interruptible && signal_pending()) {
    drop_waits();
    return fail(ERESTARTSYS);
  }
  if (deadline_ && kernel_.clock().monotonic() >= *deadline_) {
    drop_waits();
    return fail(ETIMEDOUT);
  }
  if (deadline_) {
    deadline_timer_ = kernel_.timers().schedule(*deadline_, [this] {
      deadline_timer_.reset();
      wake();
    });
  }
  return fail(EPARKED);
}

void Task::wake() {
  if (state_ != State::kParked) return;
  drop_waits();
  state_ = State::kRunnable;
  kernel_.make_runnable(*this);
}

void Task::drop_waits() {
  for (size_t i = 0; i < waiters_used_; ++i)
    waiters_[i]->unlink();
  waiters_used_ = 0;
  if (deadline_timer_) {
    kernel_.timers().cancel(*deadline_timer_);
    deadline_timer_.reset();
  }
}

void Task::end_syscall() {
  drop_waits();
  if (sigwait_mask) {
    set_signal_mask(*sigwait_mask);
    sigwait_mask.reset();
  }
  futex_waiter_.unlink();
  futex_waiter_.woken = false;
  deadline_.reset();
  syscall_progress = 0;
  syscall_state.reset();
}

}  // namespace ms::kernel
