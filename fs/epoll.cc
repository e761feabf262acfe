#include "fs/epoll.h"

#include <fcntl.h>

#include <algorithm>
#include <array>

#include "fs/anon_inode.h"
#include "fs/poll_events.h"

namespace ms::fs {
namespace {

// Wakeup paths of each length (1 to 5) that may lead from one watched file to epoll
// instances nobody watches (Linux's path_limits): direct watches are unlimited.
constexpr std::array<int, EpollFile::kMaxNests + 1> kPathLimits = {0, 500, 100, 50, 10};

// The generation of the current loop check, shared by every instance (Linux's
// loop_check_gen): an instance visited by this check carries its number and its depth.
uint64_t g_loop_generation = 0;

struct ListHook {
  void* prev = nullptr;
  void* next = nullptr;
  bool linked = false;
};

}  // namespace

class EpollFile::Item final : public EpollLink {
 public:
  Item(EpollFile& owner, FileDescription& file, int fd, uint32_t events, uint64_t data)
      : EpollLink(owner),
        file(&file),
        fd(fd),
        events(events),
        data(data),
        child(dynamic_cast<EpollFile*>(&file)),
        waiter(*this) {}

  // The file is half destroyed: erase() only touches the instance's own state.
  void file_released() override { owner().erase(*this); }

  // The events that make the item ready (none once a one-shot item fired).
  uint32_t interest() const { return events & ~kPrivateBits; }
  bool exclusive() const { return (events & EPOLLEXCLUSIVE) != 0; }
  // Registers on the file's queue (again), for the events of interest.
  void watch() {
    waiter.set_mask(interest());
    if (kernel::WaitQueue* q = file->wait_queue()) q->add(waiter);
  }

  class ItemWaiter final : public kernel::Waiter {
   public:
    explicit ItemWaiter(Item& item) : item_(item) {}
    void notify(uint32_t events) override { item_.owner().on_item_event(item_, events); }
    bool notify_exclusive(uint32_t events) override {
      return item_.owner().on_item_event(item_, events);
    }

   private:
    Item& item_;
  };

  FileDescription* file;  // valid while the item exists: it is dropped when the file goes
  int fd;
  uint32_t events;  // as given to epoll_ctl, with EPOLLERR | EPOLLHUP added
  uint64_t data;
  EpollFile* child;  // the file, when it is an epoll instance
  ListHook ready_hook;
  ListHook fired_hook;
  ItemWaiter waiter;
};

class EpollFile::ItemList {
 public:
  explicit ItemList(ListHook Item::*hook) : hook_(hook) {}

  bool contains(const Item& item) const { return (item.*hook_).linked; }
  bool empty() const { return head_ == nullptr; }
  Item* front() const { return head_; }
  Item* next(const Item& item) const { return static_cast<Item*>((item.*hook_).next); }

  void push_back(Item& item) {
    ListHook& h = item.*hook_;
    if (h.linked) return;
    h.linked = true;
    h.prev = tail_;
    h.next = nullptr;
    if (tail_ != nullptr) {
      (tail_->*hook_).next = &item;
    } else {
      head_ = &item;
    }
    tail_ = &item;
  }

  void remove(Item& item) {
    ListHook& h = item.*hook_;
    if (!h.linked) return;
    auto* prev = static_cast<Item*>(h.prev);
    auto* next = static_cast<Item*>(h.next);
    if (prev != nullptr) {
      (prev->*hook_).next = next;
    } else {
      head_ = next;
    }
    if (next != nullptr) {
      (next->*hook_).prev = prev;
    } else {
      tail_ = prev;
    }
    h = ListHook{};
  }

 private:
  ListHook Item::*hook_;
  Item* head_ = nullptr;
  Item* tail_ = nullptr;
};

EpollFile::EpollFile()
    : FileDescription(O_RDWR),
      ready_(std::make_unique<ItemList>(&Item::ready_hook)),
      fired_(std::make_unique<ItemList>(&Item::fired_hook)) {}

EpollFile::~EpollFile() {
  // Items first: their waiters and links point into other files and into the lists.
  items_.clear();
}

EpollFile::Item* EpollFile::find(const FileDescription& file, int fd) {
  auto it = items_.find(Key{&file, fd});
  return it == items_.end() ? nullptr : it->second.get();
}

uint32_t EpollFile::poll_item(const Item& item) {
  return poll_events(*item.file) & item.events;
}

Result<void> EpollFile::add(FileDescription& file, int fd, uint32_t events, uint64_t data) {
  // Nesting checks come first, as in Linux: a cycle is ELOOP even when the pair exists.
  // They are needed when this instance is itself watched or the new file is an instance.
  auto* child = dynamic_cast<EpollFile*>(&file);
  const bool full_check = !epoll_links().empty() || child != nullptr;
  std::vector<FileDescription*> leaves;
  if (full_check) {
    const uint64_t generation = ++g_loop_generation;
    if (child != nullptr) {
      // The longest chain through the new link, below it and above this instance.
      const int below = child->depth_below(*this, 0, generation, leaves);
      if (below > kMaxNests || below + 1 + depth_above(generation) > kMaxNests) {
        ++g_loop_generation;
        return fail(ELOOP);
      }
    }
    ++g_loop_generation;
    if (child == nullptr) leaves.push_back(&file);
    std::sort(leaves.begin(), leaves.end());
    leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  }
  if (find(file, fd) != nullptr) return fail(EEXIST);

  auto owned = std::make_unique<Item>(*this, file, fd, events | EPOLLERR | EPOLLHUP, data);
  Item& item = *owned;
  items_.emplace(Key{&file, fd}, std::move(owned));
  file.epoll_links().add(item);
  for (FileDescription* leaf : leaves) {
    if (!reverse_path_check(*leaf)) {
      erase(item);
      return fail(EINVAL);
    }
  }
  item.waiter.set_exclusive(item.exclusive());
  item.watch();
  if (poll_item(item) != 0) make_ready(item);
  return {};
}

Result<void> EpollFile::modify(FileDescription& file, int fd, uint32_t events, uint64_t data) {
  Item* item = find(file, fd);
  if (item == nullptr) return fail(ENOENT);
  if (item->exclusive()) return fail(EINVAL);
  item->events = events | EPOLLERR | EPOLLHUP;
  item->data = data;
  // A new waiter registration, so that a host file arms the host poller for the new events.
  fired_->remove(*item);
  item->watch();
  if (poll_item(*item) != 0) make_ready(*item);
  return {};
}

Result<void> EpollFile::remove(FileDescription& file, int fd) {
  Item* item = find(file, fd);
  if (item == nullptr) return fail(ENOENT);
  erase(*item);
  return {};
}

void EpollFile::erase(Item& item) {
  ready_->remove(item);
  fired_->remove(item);
  items_.erase(Key{item.file, item.fd});
}

void EpollFile::make_ready(Item& item) {
  ready_->push_back(item);
  if (!waiters_.empty()) waiters_.notify(POLLIN);
  if (!poll_queue_.empty()) poll_queue_.notify(POLLIN);
}

bool EpollFile::on_item_event(Item& item, uint32_t events) {
  if (item.interest() == 0) return !item.exclusive();  // a one-shot item that fired
  fired_->push_back(item);
  ready_->push_back(item);
  bool woke = false;
  if (!waiters_.empty()) {
    if (item.exclusive()) {
      // Linux counts an exclusive wakeup only for a plain read or write event the item
      // asked for; a wakeup for both or for neither counts only when it carries no such bit.
      switch (events & (EPOLLIN | EPOLLOUT)) {
        case EPOLLIN:
          woke = (item.events & EPOLLIN) != 0;
          break;
        case EPOLLOUT:
          woke = (item.events & EPOLLOUT) != 0;
          break;
        case 0:
          woke = true;
          break;
        default:
          break;
      }
    }
    waiters_.notify(POLLIN);
  }
  if (!poll_queue_.empty()) poll_queue_.notify(POLLIN);
  return item.exclusive() ? woke : true;
}

void EpollFile::rearm() {
  // A snapshot: re-adding a waiter may report an event at once (a host file the host cannot
  // watch), which puts the item back on fired_.
  std::vector<Item*> fired;
  for (Item* item = fired_->front(); item != nullptr; item = fired_->next(*item)) {
    fired.push_back(item);
  }
  for (Item* item : fired) {
    if (poll_item(*item) != 0) continue;
    fired_->remove(*item);
    item->watch();
  }
}

std::span<const epoll_event> EpollFile::collect(size_t max) {
  rearm();
  batch_.clear();
  batch_items_.clear();
  for (Item* item = ready_->front(); item != nullptr && batch_.size() < max;) {
    Item* next = ready_->next(*item);
    const uint32_t revents = poll_item(*item);
    if (revents == 0) {
      ready_->remove(*item);
    } else {
      epoll_event ev{};
      ev.events = revents;
      ev.data.u64 = item->data;
      batch_.push_back(ev);
      batch_items_.push_back(item);
    }
    item = next;
  }
  return batch_;
}

void EpollFile::commit(size_t delivered) {
  std::vector<Item*> level_triggered;
  for (size_t i = 0; i < delivered && i < batch_items_.size(); ++i) {
    Item& item = *batch_items_[i];
    ready_->remove(item);
    if ((item.events & EPOLLONESHOT) != 0) {
      item.events &= kPrivateBits;
      item.waiter.set_mask(0);
    } else if ((item.events & EPOLLET) == 0) {
      level_triggered.push_back(&item);
    }
  }
  for (Item* item : level_triggered)
    ready_->push_back(*item);
  batch_.clear();
  batch_items_.clear();
}

uint32_t EpollFile::readiness() {
  rearm();
  for (Item* item = ready_->front(); item != nullptr;) {
    Item* next = ready_->next(*item);
    if (poll_item(*item) != 0) return POLLIN | POLLRDNORM;
    ready_->remove(*item);
    item = next;
  }
  return 0;
}

Result<Stat> EpollFile::stat() {
  return anon_inode_stat();
}

int EpollFile::depth_below(EpollFile& inserting_into, int depth, uint64_t generation,
                           std::vector<FileDescription*>& leaves) {
  if (loop_generation_ == generation) return loop_depth_;
  loop_generation_ = generation;
  int result = 0;
  for (auto& [key, item] : items_) {
    if (item->child == nullptr) {
      leaves.push_back(item->file);
      continue;
    }
    if (item->child == &inserting_into || depth > kMaxNests) {
      result = kMaxNests + 1;
    } else {
      result = std::max(
          result, item->child->depth_below(inserting_into, depth + 1, generation, leaves) + 1);
    }
    if (result > kMaxNests) break;
  }
  loop_depth_ = result;
  return result;
}

int EpollFile::depth_above(uint64_t generation) {
  if (loop_generation_ == generation) return loop_depth_;
  int result = 0;
  epoll_links().for_each([&](EpollLink& link) {
    result = std::max(result, link.owner().depth_above(generation) + 1);
  });
  loop_generation_ = generation;
  loop_depth_ = result;
  return result;
}

namespace {

// Counts the paths from the instances in `links` up to instances nobody watches.
bool count_paths(const EpollLinks& links, int depth,
                 std::array<int, EpollFile::kMaxNests + 1>& counts) {
  if (depth > EpollFile::kMaxNests) return false;
  bool ok = true;
  links.for_each([&](EpollLink& link) {
    if (!ok) return;
    const EpollLinks& up = link.owner().epoll_links();
    if (up.empty()) {
      if (depth > 0 &&
          ++counts[static_cast<size_t>(depth)] > kPathLimits[static_cast<size_t>(depth)]) {
        ok = false;
      }
    } else {
      ok = count_paths(up, depth + 1, counts);
    }
  });
  return ok;
}

}  // namespace

bool EpollFile::reverse_path_check(FileDescription& file) {
  std::array<int, kMaxNests + 1> counts{};
  return count_paths(file.epoll_links(), 0, counts);
}

}  // namespace ms::fs
