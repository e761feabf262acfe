// Round-trip time estimation and the retransmission timeout (RFC 6298), with Linux's bounds:
// at least 200 ms, at most 120 s, 1 s before the first measurement.
#pragma once

#include <optional>

#include "sentry/kernel/clock.h"

namespace ms::net {

class RttEstimator {
 public:
  static constexpr kernel::Duration kInitialRto = std::chrono::seconds(1);
  static constexpr kernel::Duration kDefaultMinRto = std::chrono::milliseconds(200);
  static constexpr kernel::Duration kMaxRto = std::chrono::seconds(120);

  explicit RttEstimator(kernel::Duration min_rto = kDefaultMinRto) : min_rto_(min_rto) {}

  void sample(kernel::Duration rtt);
  // The timeout, including exponential backoff.
  kernel::Duration rto() const;
  void backoff() { ++backoff_; }
  void reset_backoff() { backoff_ = 0; }
  int backoffs() const { return backoff_; }
  std::optional<kernel::Duration> srtt() const { return srtt_; }
  kernel::Duration rttvar() const { return rttvar_; }

 private:
  kernel::Duration min_rto_;
  std::optional<kernel::Duration> srtt_;
  kernel::Duration rttvar_{0};
  int backoff_ = 0;
};

}  // namespace ms::net
