// epoll(7): an instance keeps an interest list of (open file description, fd) pairs and a
// ready list. Each interest-list item keeps a Waiter on its file's wait queue; when the file
// reports an event the item joins the ready list and the instance wakes the tasks in
// epoll_wait (waiters()) and whoever polls the instance itself (wait_queue(): poll, select,
// an enclosing epoll). epoll_wait re-polls each ready item before reporting it, so an item
// that is no longer ready is simply dropped; level-triggered items go back to the end of the
// ready list, edge-triggered ones leave it until their file reports again, one-shot ones are
// disabled until EPOLL_CTL_MOD. This is Linux's fs/eventpoll.c design (as of 6.18), and its
// rules for nesting: no cycles and no chain of more than 5 instances (ELOOP), a bounded
// number of wakeup paths from any file (EINVAL).
//
// Items are removed when their description is destroyed (its last descriptor closed), not
// when one of several descriptors for it is closed: the pair is then still watched.
//
// Host files (the guest's stdio) arm the host poller once per added waiter. An item whose
// waiter fired is re-added to its file's queue the next time the instance is scanned and
// the file is no longer ready, which keeps edge-triggered items edge-triggered for guests
// that read until EAGAIN.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "fs/file_description.h"

namespace ms::fs {

class EpollFile final : public FileDescription {
 public:
  // Flags that change how an item behaves rather than which events it wants
  // (Linux's EP_PRIVATE_BITS).
  static constexpr uint32_t kPrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
  // The only bits EPOLL_CTL_ADD accepts together with EPOLLEXCLUSIVE.
  static constexpr uint32_t kExclusiveOkBits =
      EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
  // How deep instances may nest (Linux's EP_MAX_NESTS).
  static constexpr int kMaxNests = 4;

  // flags: O_CLOEXEC is the caller's business; the description is O_RDWR.
  EpollFile();
  ~EpollFile() override;

  // EPOLL_CTL_ADD, after the syscall layer's checks (the file can be polled, is not this
  // instance, EPOLLEXCLUSIVE rules). ELOOP when `file` is an epoll instance that would close
  // a cycle or nest too deep, EEXIST when the pair is already watched, EINVAL when the new
  // item would add too many wakeup paths.
  Result<void> add(FileDescription& file, int fd, uint32_t events, uint64_t data);
  // EPOLL_CTL_MOD: ENOENT when not watched, EINVAL for an EPOLLEXCLUSIVE item.
  Result<void> modify(FileDescription& file, int fd, uint32_t events, uint64_t data);
  // EPOLL_CTL_DEL: ENOENT when not watched.
  Result<void> remove(FileDescription& file, int fd);

  // epoll_wait's harvest, in two steps so that a copy to the guest that fails loses no
  // event: collect() re-polls ready items in order and returns up to `max` events
  // (dropping items that are no longer ready); commit(n) then consumes the first n of them
  // (level-triggered items go to the back of the ready list). The rest stay ready, first.
  std::span<const epoll_event> collect(size_t max);
  void commit(size_t delivered);

  // Tasks blocked in epoll_wait on this instance.
  kernel::WaitQueue& waiters() { return waiters_; }
  size_t size() const { return items_.size(); }

  // POLLIN | POLLRDNORM while some ready item really is ready.
  uint32_t readiness() override;
  kernel::WaitQueue* wait_queue() override { return &poll_queue_; }
  Result<Stat> stat() override;
  // noop_llseek: the position stays 0 and lseek reports it.
  Result<uint64_t> seek(int64_t /*offset*/, int /*whence*/) override { return 0; }
  std::string describe() const override { return "anon_inode:[eventpoll]"; }

 private:
  class Item;
  // An intrusive list of items through one of their two hooks.
  class ItemList;
  using Key = std::pair<const FileDescription*, int>;

  Item* find(const FileDescription& file, int fd);
  // ep_poll_callback(): an item's file reported events. Returns whether a task in
  // epoll_wait was woken for an exclusive item (see Waiter::notify_exclusive).
  bool on_item_event(Item& item, uint32_t events);
  // Puts item on the ready list and tells the waiters, as an insert or modify does when the
  // file is already ready.
  void make_ready(Item& item);
  // Removes an item (also when its description is being destroyed: the description is not
  // touched).
  void erase(Item& item);
  // Re-adds the waiters of items that fired, once their files are no longer ready.
  void rearm();
  // The events of item's file that it is interested in, now.
  static uint32_t poll_item(const Item& item);

  // Nesting rules (Linux's ep_loop_check() and reverse_path_check()). depth_below() is the
  // depth of the instances nested in this one (more than kMaxNests when they reach
  // inserting_into: a cycle), collecting the plain files met on the way; depth_above() is
  // how deep this instance is nested in others.
  int depth_below(EpollFile& inserting_into, int depth, uint64_t generation,
                  std::vector<FileDescription*>& leaves);
  int depth_above(uint64_t generation);
  static bool reverse_path_check(FileDescription& file);

  std::map<Key, std::unique_ptr<Item>> items_;
  std::unique_ptr<ItemList> ready_;
  std::unique_ptr<ItemList> fired_;
  std::vector<epoll_event> batch_;
  std::vector<Item*> batch_items_;
  kernel::WaitQueue waiters_;
  kernel::WaitQueue poll_queue_;
  uint64_t loop_generation_ = 0;  // the last loop check that visited this instance
  int loop_depth_ = 0;            // and the depth it found
};

}  // namespace ms::fs
