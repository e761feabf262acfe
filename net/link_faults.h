// What a simulated link does to packets: --net-faults loss=0.1,reorder=0.2,dup=0.01,
// delay=1ms,seed=7.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "sentry/kernel/clock.h"

namespace ms::net {

struct LinkFaults {
  double loss = 0;            // probability a packet is dropped
  double reorder = 0;         // probability a packet is held back so that later ones pass it
  double dup = 0;             // probability a packet is delivered twice
  kernel::Duration delay{0};  // one-way delay of every packet
  uint64_t seed = 1;

  bool clean() const { return loss == 0 && reorder == 0 && dup == 0; }
  std::string to_string() const;
};

// Parses the --net-faults syntax: comma-separated key=value, keys loss, reorder, dup
// (probabilities in [0, 1)), delay (a duration with unit ns, us, ms or s) and seed.
std::expected<LinkFaults, std::string> parse_link_faults(std::string_view text);

}  // namespace ms::net
