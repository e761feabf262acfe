// TCP data transfer over a scripted link: in-order delivery through reordering, loss and
// duplication; fast retransmit and timeouts; flow control down to a zero window; half-close,
// resets and EPIPE; Nagle; MSG_PEEK; sequence numbers wrapping around.
#include <poll.h>
#include <sys/socket.h>

#include "tests/unit/net/net_test_util.h"

namespace ms::net {
namespace {

using namespace std::chrono_literals;
using namespace tcp_flags;
using testing::bytes;
using testing::NetFixture;
using testing::ScriptedLink;
using testing::text;
using Verdict = ScriptedLink::Verdict;

using TcpTransfer = NetFixture;

bool is_data(const Packet& p, uint16_t dst_port = 0) {
  auto s = testing::decode_tcp(p);
  return s && s->len > 0 && (dst_port == 0 || s->dst_port == dst_port);
}

// Sends all of data from `from`, reading at `to`, firing timers when stuck. Returns what
// arrived.
std::vector<std::byte> transfer(NetFixture& f, const std::function<bool()>& run_once,
                                TcpEndpoint& from, TcpEndpoint& to,
                                const std::vector<std::byte>& data, bool close = true) {
  size_t sent = 0;
  std::vector<std::byte> got;
  std::vector<std::byte> buf(1 << 20);
  bool eof = false;
  bool closed = false;
  int idle = 0;
  while (!eof && idle < 10000) {
    bool progress = false;
    if (sent < data.size()) {
      auto n = from.send(std::span(data).subspan(sent));
      if (n) {
        sent += *n;
        progress = true;
      }
    } else if (close && !closed) {
      EXPECT_TRUE(from.shutdown(SHUT_WR));
      closed = true;
      progress = true;
    }
    for (;;) {
      auto n = to.recv(buf);
      if (!n) break;
      if (*n == 0) {
        eof = true;
        break;
      }
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
      progress = true;
    }
    if (eof || (!close && got.size() == data.size())) break;
    if (!progress) {
      if (!run_once()) break;
      ++idle;
    }
  }
  (void)f;
  return got;
}

class TcpTransferTest : public NetFixture {
 protected:
  // Advances to the next timer; false when there is none.
  bool step() {
    auto next = timers.next_deadline();
    if (!next) return false;
    if (*next > clock.now) clock.now = *next;
    timers.fire_due(clock.now);
    stack->drain();
    return true;
  }
  std::vector<std::byte> move(TcpEndpoint& from, TcpEndpoint& to, const std::vector<std::byte>& d,
                              bool close = true) {
    return transfer(
        *this, [this] { return step(); }, from, to, d, close);
  }
};

TEST_F(TcpTransferTest, CleanTransferUsesFullSegments) {
  auto p = connect_pair();
  const auto data = testing::pattern(8 << 20, 1);
  const auto start = clock.now;
  EXPECT_EQ(move(*p.client, *p.server, data), data);
  EXPECT_EQ(clock.now, start);  // no timer was needed
  size_t full = 0;
  size_t segments = 0;
  for (const auto& s : link->log) {
    if (s.len == 0) continue;
    ++segments;
    if (s.len == 65495) ++full;
    EXPECT_LE(s.len, 65495u);
  }
  EXPECT_GE(full, segments - 8 - 1);  // at most one short segment per 1 MiB write, and the tail
  EXPECT_EQ(p.client->info().total_retrans, 0u);
}

TEST_F(TcpTransferTest, ReorderedSegmentsArriveInOrder) {
  auto p = connect_pair();
  // The SYN-ACK offered an unscaled window; a first exchange opens the full one.
  ASSERT_TRUE(p.client->send(bytes("x")));
  std::vector<std::byte> one(1);
  ASSERT_EQ(*p.server->recv(one), 1u);
  // Hold every other data segment back, then release them in reverse order.
  int n = 0;
  link->filter = [&](const Packet& pk) {
    if (is_data(pk) && n++ % 2 == 0) return Verdict::kHold;
    return Verdict::kPass;
  };
  const auto data = testing::pattern(640 * 1024, 2);
  ASSERT_EQ(*p.client->send(data), data.size());
  EXPECT_EQ(p.server->readable_bytes(), 0u);  // the first segment is missing
  bool sacked = false;
  for (const auto& s : link->log)
    sacked = sacked || s.options.sack_count > 0;
  EXPECT_TRUE(sacked);  // the receiver reported the out-of-order data it holds
  link->filter = nullptr;
  link->release_held(/*reverse=*/true);
  std::vector<std::byte> got;
  testing::read_all(*p.server, got);
  EXPECT_EQ(got, data);
}

TEST_F(TcpTransferTest, LostSegmentIsFastRetransmitted) {
  auto p = connect_pair();
  bool dropped = false;
  int seen = 0;
  link->filter = [&](const Packet& pk) {
    if (is_data(pk) && ++seen == 3 && !dropped) {
      dropped = true;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  const auto data = testing::pattern(4 << 20, 3);
  const auto start = clock.now;
  EXPECT_EQ(move(*p.client, *p.server, data), data);
  EXPECT_TRUE(dropped);
  EXPECT_LT(clock.now - start, 200ms);  // recovered by SACK, not by the timer
  EXPECT_GE(p.client->info().total_retrans, 1u);
}

TEST_F(TcpTransferTest, TailLossIsFoundByAProbe) {
  auto p = connect_pair();
  bool dropped = false;
  link->filter = [&](const Packet& pk) {
    if (is_data(pk) && !dropped) {
      dropped = true;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  ASSERT_TRUE(p.client->send(bytes("only segment")));
  EXPECT_EQ(p.server->readable_bytes(), 0u);
  const auto start = clock.now;
  ASSERT_TRUE(run_until([&] { return p.server->readable_bytes() > 0; }));
  // The tail loss probe (two round trips, at least 10 ms) came long before the 200 ms timer.
  EXPECT_EQ(clock.now - start, 10ms);
  EXPECT_EQ(p.client->info().total_retrans, 1u);
  std::vector<std::byte> got;
  testing::read_all(*p.server, got);
  EXPECT_EQ(text(got), "only segment");
}

TEST_F(TcpTransferTest, RepeatedLossBacksOff) {
  auto p = connect_pair();
  int drops = 0;
  link->filter = [&](const Packet& pk) {
    if (is_data(pk) && drops < 4) {
      ++drops;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  ASSERT_TRUE(p.client->send(bytes("x")));
  const auto start = clock.now;
  ASSERT_TRUE(run_until([&] { return p.server->readable_bytes() > 0; }));
  // A probe after 10 ms, then timeouts of 0.2, 0.4 and 0.8 s: the timer doubles each time.
  EXPECT_EQ(clock.now - start, 10ms + 200ms + 400ms + 800ms);
  EXPECT_EQ(p.client->info().backoff, 0);  // reset by the ACK that finally came
}

TEST_F(TcpTransferTest, LostRetransmissionIsFoundWithoutTheTimer) {
  auto p = connect_pair();
  ASSERT_TRUE(p.client->send(bytes("x")));  // opens the full window
  std::vector<std::byte> one(1);
  ASSERT_EQ(*p.server->recv(one), 1u);
  // Drop the third data segment, and then its first retransmission.
  int seen = 0;
  int drops = 0;
  uint32_t victim = 0;
  link->filter = [&](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    if (!s || s->len == 0) return Verdict::kPass;
    if (++seen == 3) victim = s->seq;
    if (s->seq == victim && drops < 2) {
      ++drops;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  // The application writes 64 KiB every 100 us, so that data sent after the retransmission
  // is what reveals its loss.
  const auto data = testing::pattern(4 << 20, 9);
  const auto start = clock.now;
  std::vector<std::byte> got;
  std::vector<std::byte> buf(1 << 20);
  size_t sent = 0;
  while (got.size() < data.size() && clock.now - start < 10s) {
    if (sent < data.size()) {
      auto n = p.client->send(
          std::span(data).subspan(sent, std::min<size_t>(65536, data.size() - sent)));
      if (n) sent += *n;
    }
    for (auto n = p.server->recv(buf); n && *n > 0; n = p.server->recv(buf)) {
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
    }
    advance(100us);
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(drops, 2);
  EXPECT_LT(clock.now - start, 200ms);  // RACK saw it, not the retransmission timer
  EXPECT_EQ(stack->stats().tcp_timeouts, 0u);
}

TEST_F(TcpTransferTest, DuplicatedSegmentsAreDeliveredOnce) {
  auto p = connect_pair();
  link->filter = [](const Packet&) { return Verdict::kDuplicate; };
  const auto data = testing::pattern(1 << 20, 4);
  EXPECT_EQ(move(*p.client, *p.server, data), data);
}

TEST_F(TcpTransferTest, ZeroWindowIsProbedUntilItOpens) {
  auto l = tcp();
  l->options().rcvbuf = 8192;  // inherited by the accepted connection
  ASSERT_TRUE(l->bind(testing::loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(1));
  auto c = tcp();
  ASSERT_TRUE(c->connect(testing::loopback(IpVersion::kV4, 5000)));
  auto s = *l->accept();
  const auto data = testing::pattern(100000, 5);
  size_t sent = *c->send(data);
  EXPECT_EQ(sent, data.size());           // the send buffer takes it all
  EXPECT_EQ(s->readable_bytes(), 8192u);  // the receiver took what its window allowed
  EXPECT_EQ(link->log.back().window, 0);  // and closed the window
  // Nothing is in flight: the sender probes the window on its persist timer.
  const size_t before = link->log.size();
  advance(10s);
  size_t probes = 0;
  for (size_t i = before; i < link->log.size(); ++i) {
    if (link->log[i].src_port != 5000) ++probes;
  }
  EXPECT_GE(probes, 3u);
  EXPECT_EQ(s->readable_bytes(), 8192u);
  // The reader drains; the window update restarts the flow even when it is lost.
  bool dropped_update = false;
  link->filter = [&](const Packet& pk) {
    auto seg = testing::decode_tcp(pk);
    if (seg && seg->src_port == 5000 && seg->window > 0 && !dropped_update) {
      dropped_update = true;
      return Verdict::kDrop;
    }
    return Verdict::kPass;
  };
  std::vector<std::byte> got;
  std::vector<std::byte> buf(4096);
  ASSERT_TRUE(run_until(
      [&] {
        for (;;) {
          auto n = s->recv(buf);
          if (!n || *n == 0) break;
          got.insert(got.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
        }
        return got.size() == data.size();
      },
      600s));
  EXPECT_TRUE(dropped_update);
  EXPECT_EQ(got, data);
}

TEST_F(TcpTransferTest, SendBufferLimitsWrites) {
  auto l = tcp();
  l->options().rcvbuf = 4096;
  ASSERT_TRUE(l->bind(testing::loopback(IpVersion::kV4, 5000)));
  ASSERT_TRUE(l->listen(1));
  auto c = tcp();
  c->options().sndbuf = 32768;
  ASSERT_TRUE(c->connect(testing::loopback(IpVersion::kV4, 5000)));
  auto s = *l->accept();
  const auto data = testing::pattern(1 << 20, 6);
  size_t total = 0;
  for (;;) {
    auto n = c->send(data);
    if (!n) {
      EXPECT_EQ(n.error(), Errno{EAGAIN});
      break;
    }
    total += *n;
  }
  // 32 KiB queued, plus the 4 KiB the receiver holds.
  EXPECT_EQ(total, 32768u + 4096u);
  EXPECT_EQ(c->readiness() & POLLOUT, 0u);
  // Writable again once a third of the buffer is free (sk_stream_is_writeable).
  std::vector<std::byte> buf(4096);
  size_t read = 0;
  while ((c->readiness() & POLLOUT) == 0) {
    auto n = s->recv(buf);
    ASSERT_TRUE(n);
    read += *n;
  }
  EXPECT_EQ(read, 12288u);  // 20 KiB left queued: at most two thirds of 32 KiB
}

TEST_F(TcpTransferTest, HalfCloseKeepsTheOtherDirection) {
  auto p = connect_pair();
  ASSERT_TRUE(p.client->send(bytes("request")));
  ASSERT_TRUE(p.client->shutdown(SHUT_WR));
  std::vector<std::byte> got;
  testing::read_all(*p.server, got);
  EXPECT_EQ(text(got), "request");
  std::vector<std::byte> buf(16);
  EXPECT_EQ(*p.server->recv(buf), 0u);  // EOF, repeatedly
  EXPECT_EQ(*p.server->recv(buf), 0u);
  EXPECT_EQ(p.client->send(bytes("more")).error(), Errno{EPIPE});
  ASSERT_TRUE(p.server->send(bytes("response")));
  got.clear();
  testing::read_all(*p.client, got);
  EXPECT_EQ(text(got), "response");
  p.server->close();
  EXPECT_EQ(*p.client->recv(buf), 0u);
  EXPECT_EQ(p.client->state(), TcpState::kTimeWait);
}

TEST_F(TcpTransferTest, CloseWithUnreadDataResets) {
  auto p = connect_pair();
  ASSERT_TRUE(p.client->send(bytes("unread")));
  p.server->close();
  EXPECT_EQ(p.client->state(), TcpState::kClosed);
  std::vector<std::byte> buf(16);
  EXPECT_EQ(p.client->recv(buf).error(), Errno{ECONNRESET});
  EXPECT_EQ(*p.client->recv(buf), 0u);
  EXPECT_EQ(p.client->send(bytes("x")).error(), Errno{EPIPE});
  EXPECT_NE(p.client->readiness() & POLLHUP, 0u);
}

TEST_F(TcpTransferTest, WriteAfterPeerClosedGivesEpipe) {
  auto p = connect_pair();
  p.server->close();
  EXPECT_EQ(p.client->state(), TcpState::kCloseWait);
  // The first write is accepted; the closed peer answers it with a reset.
  ASSERT_TRUE(p.client->send(bytes("a")));
  EXPECT_EQ(p.client->state(), TcpState::kClosed);
  EXPECT_EQ(p.client->send(bytes("b")).error(), Errno{EPIPE});
  EXPECT_EQ(p.client->send(bytes("c")).error(), Errno{EPIPE});
}

TEST_F(TcpTransferTest, NagleCoalescesSmallWritesWhileUnacknowledged) {
  auto p = connect_pair();
  // Hold the server's ACKs so that the client's first byte stays unacknowledged.
  link->filter = [](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    return s && s->src_port == 5000 ? Verdict::kHold : Verdict::kPass;
  };
  const size_t before = link->log.size();
  ASSERT_TRUE(p.client->send(bytes("a")));
  ASSERT_TRUE(p.client->send(bytes("b")));
  ASSERT_TRUE(p.client->send(bytes("c")));
  EXPECT_EQ(link->log.size(), before + 2);  // "a", and the server's held ACK
  link->filter = nullptr;
  link->release_held();
  std::vector<size_t> lengths;
  for (size_t i = before; i < link->log.size(); ++i) {
    if (link->log[i].len > 0) lengths.push_back(link->log[i].len);
  }
  // "bc" went in one segment once "a" was acknowledged.
  EXPECT_EQ(lengths, (std::vector<size_t>{1, 2}));
  std::vector<std::byte> got;
  testing::read_all(*p.server, got);
  EXPECT_EQ(text(got), "abc");
}

TEST_F(TcpTransferTest, NoDelaySendsEachWrite) {
  auto p = connect_pair();
  p.client->options().nodelay = true;
  link->filter = [](const Packet& pk) {
    auto s = testing::decode_tcp(pk);
    return s && s->src_port == 5000 ? Verdict::kHold : Verdict::kPass;
  };
  size_t data_segments = 0;
  const size_t before = link->log.size();
  for (const char* c : {"a", "b", "c"})
    ASSERT_TRUE(p.client->send(bytes(c)));
  for (size_t i = before; i < link->log.size(); ++i)
    data_segments += link->log[i].len > 0 ? 1 : 0;
  EXPECT_EQ(data_segments, 3u);
}

TEST_F(TcpTransferTest, PeekLeavesDataQueued) {
  auto p = connect_pair();
  ASSERT_TRUE(p.client->send(bytes("peekaboo")));
  std::vector<std::byte> buf(4);
  EXPECT_EQ(*p.server->recv(buf, /*peek=*/true), 4u);
  EXPECT_EQ(text(buf), "peek");
  EXPECT_EQ(p.server->readable_bytes(), 8u);
  std::vector<std::byte> all(16);
  EXPECT_EQ(*p.server->recv(all), 8u);
  EXPECT_EQ(text(std::span(all).first(8)), "peekaboo");
}

TEST_F(TcpTransferTest, ReadinessFollowsTheConnection) {
  auto fresh = tcp();
  EXPECT_EQ(fresh->readiness(), static_cast<uint32_t>(POLLOUT | POLLWRNORM | POLLHUP));
  auto p = connect_pair();
  EXPECT_EQ(p.server->readiness() & (POLLIN | POLLHUP), 0u);
  EXPECT_NE(p.server->readiness() & POLLOUT, 0u);
  ASSERT_TRUE(p.client->send(bytes("x")));
  EXPECT_NE(p.server->readiness() & POLLIN, 0u);
  ASSERT_TRUE(p.client->shutdown(SHUT_WR));
  EXPECT_NE(p.server->readiness() & POLLRDHUP, 0u);
  EXPECT_EQ(p.server->readiness() & POLLHUP, 0u);
  ASSERT_TRUE(p.server->shutdown(SHUT_WR));
  EXPECT_NE(p.server->readiness() & POLLHUP, 0u);
}

class TcpWrap : public NetFixture {
 protected:
  static StackOptions wrapping() {
    StackOptions o;
    o.isn_base = 0xffffffffU - 300000;  // both sides wrap during a 1 MiB transfer
    return o;
  }
  TcpWrap() : NetFixture(wrapping()) {}
};

TEST_F(TcpWrap, SequenceNumbersWrapAround) {
  auto p = connect_pair();
  int n = 0;
  link->filter = [&](const Packet& pk) {
    if (is_data(pk) && ++n % 5 == 0) return Verdict::kHold;
    return Verdict::kPass;
  };
  const auto data = testing::pattern(1 << 20, 7);
  size_t sent = 0;
  while (sent < data.size()) {
    auto r = p.client->send(std::span(data).subspan(sent));
    if (r) sent += *r;
    link->release_held(/*reverse=*/true);
  }
  link->filter = nullptr;
  link->release_held();
  std::vector<std::byte> got;
  ASSERT_TRUE(run_until([&] {
    testing::read_all(*p.server, got);
    return got.size() == data.size();
  }));
  EXPECT_EQ(got, data);
}

// The client's SYN advertised a window before it knew the server's sequence numbers; the
// window it offers once they are known must count from the server's ISN, wherever in the
// sequence space that lies (here half the space away from the SYN's own window edge).
class TcpFarIsn : public NetFixture {
 protected:
  static StackOptions far_isn() {
    StackOptions o;
    o.isn_base = 0x80000000U - 1001;  // the server's ISN + 1 is 2^31
    return o;
  }
  TcpFarIsn() : NetFixture(far_isn()) {}
};

TEST_F(TcpFarIsn, ClientReceivesWhateverTheServerIsn) {
  auto p = connect_pair();
  ASSERT_TRUE(p.server);
  const auto data = testing::pattern(100000, 3);
  ASSERT_TRUE(p.server->send(data));
  std::vector<std::byte> got;
  ASSERT_TRUE(run_until([&] {
    testing::read_all(*p.client, got);
    return got.size() == data.size();
  }));
  EXPECT_EQ(got, data);
  EXPECT_EQ(p.client->info().total_retrans, 0u);
}

}  // namespace
}  // namespace ms::net
