// The links from an open file description to the epoll interest-list items that watch it
// (Linux's file->f_ep). They let an epoll instance forget a description once its last
// reference is gone, as Linux's eventpoll_release() does, and let epoll_ctl walk the graph
// of nested instances upwards to bound wakeup paths.
#pragma once

namespace ms::fs {

class EpollFile;
class EpollLinks;

// One interest-list item, as seen from the description it watches.
class EpollLink {
 public:
  explicit EpollLink(EpollFile& owner) : owner_(owner) {}
  EpollLink(const EpollLink&) = delete;
  EpollLink& operator=(const EpollLink&) = delete;
  virtual ~EpollLink() { unlink(); }

  // The watched description is being destroyed: the owner drops this item. The link is
  // already off the list when this is called, and the description must not be touched.
  virtual void file_released() = 0;

  EpollFile& owner() const { return owner_; }
  void unlink();

 private:
  friend class EpollLinks;
  EpollFile& owner_;
  EpollLinks* list_ = nullptr;
  EpollLink* prev_ = nullptr;
  EpollLink* next_ = nullptr;
};

class EpollLinks {
 public:
  EpollLinks() = default;
  EpollLinks(const EpollLinks&) = delete;
  EpollLinks& operator=(const EpollLinks&) = delete;
  // Tells every remaining link that its description is gone.
  ~EpollLinks();

  void add(EpollLink& link);
  void remove(EpollLink& link);
  bool empty() const { return head_ == nullptr; }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (EpollLink* l = head_; l != nullptr; l = l->next_)
      fn(*l);
  }

 private:
  EpollLink* head_ = nullptr;
};

inline void EpollLink::unlink() {
  if (list_ != nullptr) list_->remove(*this);
}

inline EpollLinks::~EpollLinks() {
  while (head_ != nullptr) {
    EpollLink& l = *head_;
    remove(l);
    l.file_released();
  }
}

inline void EpollLinks::add(EpollLink& link) {
  link.unlink();
  link.list_ = this;
  link.prev_ = nullptr;
  link.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &link;
  head_ = &link;
}

inline void EpollLinks::remove(EpollLink& link) {
  if (link.list_ != this) return;
  if (link.prev_ != nullptr) {
    link.prev_->next_ = link.next_;
  } else {
    head_ = link.next_;
  }
  if (link.next_ != nullptr) link.next_->prev_ = link.prev_;
  link.list_ = nullptr;
  link.prev_ = link.next_ = nullptr;
}

}  // namespace ms::fs
