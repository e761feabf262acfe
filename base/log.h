// The sentry's own diagnostics (not guest output). A thin front so that the heavy spdlog
// headers stay out of widely included headers.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace ms::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Returns false for an unknown level name.
bool set_level(std::string_view name);
// Sends diagnostics to a file instead of stderr; false if it cannot be opened.
bool set_file(const std::string& path);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ms::log
