#include "net/port_publisher.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "base/log.h"
#include "net/stack.h"
#include "net/tcp_endpoint.h"
#include "sentry/kernel/wait_queue.h"

namespace ms::net {

// One client: a host socket on one side, an endpoint of the sandbox's stack on the other.
class PortPublisher::Bridge {
 public:
  Bridge(PortPublisher& owner, UniqueFd host, std::shared_ptr<TcpEndpoint> ep)
      : owner_(owner), host_(std::move(host)), ep_(std::move(ep)), waiter_(*this) {
    waiter_.set_mask(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
    ep_->wait_queue().add(waiter_);
  }

  ~Bridge() {
    waiter_.unlink();
    if (timer_) owner_.timers_.cancel(*timer_);
    owner_.poller_.disarm(host_.get());
    // Each side ends politely if it can, with a reset if the bridge failed.
    if (failed_) {
      ep_->abort();
      const linger reset{1, 0};
      ::setsockopt(host_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    } else {
      ep_->close();
    }
  }
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Runs the bridge soon, from the event loop: never from inside the stack's own processing.
  void schedule() {
    if (timer_) return;
    timer_ = owner_.timers_.schedule(owner_.clock_.monotonic(), [this] {
      timer_.reset();
      if (!pump()) owner_.remove(this);
    });
  }

 private:
  class EndpointWaiter final : public kernel::Waiter {
   public:
    explicit EndpointWaiter(Bridge& b) : bridge_(b) {}
    void notify(uint32_t /*events*/) override { bridge_.schedule(); }

   private:
    Bridge& bridge_;
  };

  // Moves what can move in both directions. False once the bridge is over.
  bool pump() {
    bool want_in = false;
    bool want_out = false;
    if (!guest_to_host(want_out) || !host_to_guest(want_in)) {
      failed_ = true;
      return false;
    }
    if (host_eof_ && guest_eof_ && to_host_.empty() && to_guest_.empty()) return false;
    uint32_t events = 0;
    if (want_in) events |= EPOLLIN | EPOLLRDHUP;
    if (want_out) events |= EPOLLOUT;
    if (events != 0) {
      owner_.poller_.arm(host_.get(), events, [this](uint32_t) { schedule(); });
    }
    return true;
  }

  bool guest_to_host(bool& want_out) {
    for (;;) {
      if (!to_host_.empty()) {
        const ssize_t n = ::send(host_.get(), to_host_.data() + sent_, to_host_.size() - sent_,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            want_out = true;  // the client is slow (or never reads): the guest waits
            return true;
          }
          return false;  // the client is gone
        }
        sent_ += static_cast<size_t>(n);
        if (sent_ < to_host_.size()) continue;
        to_host_.clear();
        sent_ = 0;
      }
      if (guest_eof_) break;
      to_host_.resize(kBufferSize);
      auto r = ep_->recv(to_host_);
      if (!r) {
        to_host_.clear();
        if (r.error() == Errno{EAGAIN}) return true;
        return false;  // the guest reset the connection, or it was refused
      }
      to_host_.resize(*r);
      if (*r == 0) guest_eof_ = true;
    }
    if (!host_shut_) {
      ::shutdown(host_.get(), SHUT_WR);
      host_shut_ = true;
    }
    return true;
  }

  bool host_to_guest(bool& want_in) {
    for (;;) {
      if (!to_guest_.empty()) {
        auto n = ep_->send(std::span(to_guest_).subspan(accepted_));
        if (!n) {
          if (n.error() == Errno{EAGAIN}) return true;  // the guest's window is full
          return false;
        }
        accepted_ += *n;
        if (accepted_ < to_guest_.size()) continue;
        to_guest_.clear();
        accepted_ = 0;
      }
      if (host_eof_) break;
      to_guest_.resize(kBufferSize);
      const ssize_t n = ::recv(host_.get(), to_guest_.data(), to_guest_.size(), MSG_DONTWAIT);
      if (n < 0) {
        to_guest_.clear();
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          want_in = true;
          return true;
        }
        return false;
      }
      to_guest_.resize(static_cast<size_t>(n));
      if (n == 0) host_eof_ = true;
    }
    if (!guest_shut_ && tcp_synchronized(ep_->state())) {
      (void)ep_->shutdown(SHUT_WR);
      guest_shut_ = true;
    }
    return true;
  }

  PortPublisher& owner_;
  UniqueFd host_;
  std::shared_ptr<TcpEndpoint> ep_;
  EndpointWaiter waiter_;
  std::optional<kernel::TimerQueue::TimerId> timer_;
  std::vector<std::byte> to_host_;  // read from the guest, not yet written to the client
  size_t sent_ = 0;
  std::vector<std::byte> to_guest_;  // read from the client, not yet taken by the guest
  size_t accepted_ = 0;
  bool host_eof_ = false;
  bool guest_eof_ = false;
  bool host_shut_ = false;
  bool guest_shut_ = false;
  bool failed_ = false;
};

std::expected<std::unique_ptr<PortPublisher>, std::string> PortPublisher::open(
    Stack& stack, kernel::HostPoller& poller, kernel::TimerQueue& timers, kernel::Clock& clock,
    uint16_t host_port, uint16_t guest_port) {
  UniqueFd l(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!l) return std::unexpected(fmt::format("socket: {}", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(host_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::listen(l.get(), 128) != 0) {
    return std::unexpected(
        fmt::format("cannot listen on 127.0.0.1:{}: {}", host_port, std::strerror(errno)));
  }
  socklen_t len = sizeof(a);
  ::getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len);
  std::unique_ptr<PortPublisher> p(
      new PortPublisher(stack, poller, timers, clock, std::move(l), host_port, guest_port));
  p->bound_port_ = ntohs(a.sin_port);
  p->arm_accept();
  return p;
}

PortPublisher::PortPublisher(Stack& stack, kernel::HostPoller& poller, kernel::TimerQueue& timers,
                             kernel::Clock& clock, UniqueFd listener, uint16_t host_port,
                             uint16_t guest_port)
    : stack_(stack),
      poller_(poller),
      timers_(timers),
      clock_(clock),
      listener_(std::move(listener)),
      host_port_(host_port),
      guest_port_(guest_port) {}

PortPublisher::~PortPublisher() {
  bridges_.clear();
  poller_.disarm(listener_.get());
}

void PortPublisher::arm_accept() {
  poller_.arm(listener_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

void PortPublisher::on_accept() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) break;
    if (bridges_.size() >= kMaxBridges) {
      log::warn("-p {}: {} connections already bridged; refusing one", host_port_, kMaxBridges);
      continue;  // closing it is the refusal
    }
    auto ep = std::make_shared<TcpEndpoint>(stack_, IpVersion::kV4);
    if (!ep->connect({IpAddress::loopback(IpVersion::kV4), guest_port_})) continue;
    bridges_.push_back(std::make_unique<Bridge>(*this, std::move(fd), std::move(ep)));
    bridges_.back()->schedule();
  }
  arm_accept();
}

void PortPublisher::remove(Bridge* b) {
  bridges_.remove_if([b](const std::unique_ptr<Bridge>& p) { return p.get() == b; });
}

}  // namespace ms::net
