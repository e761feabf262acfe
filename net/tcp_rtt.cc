#include "net/tcp_rtt.h"

#include <algorithm>

namespace ms::net {

void RttEstimator::sample(kernel::Duration rtt) {
  if (rtt.count() < 0) return;
  if (!srtt_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    return;
  }
  const kernel::Duration err = rtt > *srtt_ ? rtt - *srtt_ : *srtt_ - rtt;
  rttvar_ = (3 * rttvar_ + err) / 4;
  srtt_ = (7 * *srtt_ + rtt) / 8;
}

kernel::Duration RttEstimator::rto() const {
  kernel::Duration base = kInitialRto;
  if (srtt_)
    base = std::clamp(*srtt_ + std::max(4 * rttvar_, kernel::Duration(1000)), min_rto_, kMaxRto);
  for (int i = 0; i < backoff_ && base < kMaxRto; ++i)
    base *= 2;
  return std::min(base, kMaxRto);
}

}  // namespace ms::net
