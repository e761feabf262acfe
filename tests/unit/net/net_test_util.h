// Shared pieces for the stack's unit tests: a clock the test moves, a link the test scripts
// (deliver, drop, hold back, reorder), and helpers that decode what went over it.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/ipv4.h"
#include "net/packet.h"
#include "net/stack.h"
#include "net/tcp_endpoint.h"
#include "net/tcp_header.h"
#include "net/udp_endpoint.h"
#include "sentry/kernel/clock.h"

namespace ms::net::testing {

class FakeClock final : public kernel::Clock {
 public:
  kernel::Duration monotonic() const override { return now; }
  kernel::Duration realtime() const override { return now; }
  kernel::Duration until(kernel::Duration deadline) override {
    if (deadline > now) now = deadline;
    return kernel::Duration::zero();
  }
  kernel::Duration now{std::chrono::seconds(1000)};
};

// A decoded TCP segment as it crossed the link.
struct Seg {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  size_t len = 0;
  TcpOptions options;
  bool has(uint8_t f) const { return (flags & f) != 0; }
  std::string str() const;
};

std::optional<Seg> decode_tcp(const Packet& p);

// A link whose every packet passes through `filter`, which says what happens to it.
class ScriptedLink final : public Link {
 public:
  enum class Verdict { kPass, kDrop, kHold, kDuplicate };
  using Filter = std::function<Verdict(const Packet&)>;

  void transmit(Packet packet) override;
  bool pop(Packet& out) override;

  // Puts held packets (all, or one by index) on the wire again, in the given order, and lets
  // the stack drain.
  void release_held(bool reverse = false);
  void release_one(size_t index);
  size_t held_count() const { return held_.size(); }

  Filter filter;
  // Every TCP segment transmitted, in order, whatever the verdict.
  std::vector<Seg> log;

 private:
  std::deque<Packet> due_;
  std::vector<Packet> held_;
};

// A stack on a scripted loopback link with a fake clock: the fixture of the TCP tests.
class NetFixture : public ::testing::Test {
 protected:
  NetFixture();
  explicit NetFixture(const StackOptions& options);

  // Fires due timers, advancing the clock to each next deadline, until `done` holds or
  // `limit` of virtual time has passed. Returns done().
  bool run_until(const std::function<bool()>& done,
                 kernel::Duration limit = std::chrono::seconds(600));
  void advance(kernel::Duration d);

  std::shared_ptr<TcpEndpoint> tcp(IpVersion v = IpVersion::kV4) {
    return std::make_shared<TcpEndpoint>(*stack, v);
  }
  // A listener on 127.0.0.1 (or ::1), a connected client and the accepted server side.
  struct Pair {
    std::shared_ptr<TcpEndpoint> listener;
    std::shared_ptr<TcpEndpoint> client;
    std::shared_ptr<TcpEndpoint> server;
  };
  Pair connect_pair(IpVersion v = IpVersion::kV4, uint16_t port = 5000);

  FakeClock clock;
  kernel::TimerQueue timers;
  ScriptedLink* link = nullptr;
  std::unique_ptr<Stack> stack;
};

NetAddress loopback(IpVersion v, uint16_t port);
std::vector<std::byte> pattern(size_t n, uint64_t seed = 0);
std::span<const std::byte> bytes(const std::string& s);
std::string text(std::span<const std::byte> b);

// Reads everything available from ep into out; returns bytes read (0 also at EOF).
size_t read_all(TcpEndpoint& ep, std::vector<std::byte>& out);

}  // namespace ms::net::testing
