#include "net/link_faults.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace ms::net {
namespace {

std::expected<double, std::string> parse_probability(std::string_view key, std::string_view v) {
  double p = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
  if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(p) || p < 0 || p >= 1) {
    return std::unexpected(fmt::format("{}: expected a probability in [0, 1), got '{}'", key, v));
  }
  return p;
}

std::expected<kernel::Duration, std::string> parse_duration(std::string_view v) {
  double amount = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), amount);
  const std::string_view unit(end, v.data() + v.size());
  double scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  }
  if (ec != std::errc() || scale == 0 || !std::isfinite(amount) || amount < 0 ||
      amount * scale > 60e9) {
    return std::unexpected(
        fmt::format("delay: expected a duration up to 60s with unit ns, us, ms or s, got '{}'", v));
  }
  return kernel::Duration(static_cast<int64_t>(amount * scale));
}

}  // namespace

std::string LinkFaults::to_string() const {
  return fmt::format("loss={},reorder={},dup={},delay={}us,seed={}", loss, reorder, dup,
                     delay.count() / 1000, seed);
}

std::expected<LinkFaults, std::string> parse_link_faults(std::string_view text) {
  LinkFaults f;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return std::unexpected(fmt::format("expected key=value, got '{}'", item));
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "loss" || key == "reorder" || key == "dup") {
      auto p = parse_probability(key, value);
      if (!p) return std::unexpected(p.error());
      (key == "loss" ? f.loss : key == "reorder" ? f.reorder : f.dup) = *p;
    } else if (key == "delay") {
      auto d = parse_duration(value);
      if (!d) return std::unexpected(d.error());
      f.delay = *d;
    } else if (key == "seed") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), f.seed);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return std::unexpected(fmt::format("seed: expected an unsigned integer, got '{}'", value));
      }
    } else {
      return std::unexpected(
          fmt::format("unknown key '{}' (expected loss, reorder, dup, delay or seed)", key));
    }
  }
  return f;
}

}  // namespace ms::net
