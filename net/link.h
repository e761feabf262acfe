// A link carries packets from the stack's interfaces to their receiver. Packets that are due
// wait in the link until the stack drains it, so that receiving never runs inside sending:
// the stack drains at the end of every socket operation and timer, the way Linux runs its
// loopback softirq before a syscall returns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/packet.h"

namespace ms::net {

class LinkReceiver {
 public:
  virtual ~LinkReceiver() = default;
  // A link that held packets back (a delay) has some due now: drain it.
  virtual void link_ready() = 0;
};

struct LinkStats {
  uint64_t transmitted = 0;  // packets handed to the link
  uint64_t delivered = 0;    // packets handed to the receiver
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;  // held back past packets sent after them
  uint64_t bytes = 0;      // bytes transmitted
};

class Link {
 public:
  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  virtual ~Link() = default;

  virtual void transmit(Packet packet) = 0;
  // Takes the next packet due for delivery; false if none is.
  virtual bool pop(Packet& out) = 0;

  void set_receiver(LinkReceiver* receiver) { receiver_ = receiver; }
  const LinkStats& stats() const { return stats_; }

 protected:
  LinkReceiver* receiver_ = nullptr;
  LinkStats stats_;
};

}  // namespace ms::net
