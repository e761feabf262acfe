// Errors as values: every fallible operation on the syscall path returns Result<T>.
#pragma once

#include <cerrno>
#include <expected>
#include <utility>

namespace ms {

// A Linux errno value (positive). Kept as a distinct type so that a count and an error code
// cannot be mixed up.
enum class Errno : int {};

// Kernel-internal codes that never reach the guest; the values are Linux's own, so that
// restart handling reads like kernel/signal.c.
inline constexpr int ERESTARTSYS = 512;
inline constexpr int ERESTARTNOINTR = 513;
inline constexpr int ERESTARTNOHAND = 514;
inline constexpr int ERESTART_RESTARTBLOCK = 516;
// The handler parked its task on a wait queue; it is run again from the start when woken.
inline constexpr int EPARKED = 4096;

template <class T>
using Result = std::expected<T, Errno>;

inline std::unexpected<Errno> fail(int e) {
  return std::unexpected(Errno{e});
}
inline int errno_value(Errno e) {
  return static_cast<int>(e);
}

namespace detail {
template <class T>
T unwrap(std::expected<T, Errno>&& r) {
  return std::move(*r);
}
inline void unwrap(std::expected<void, Errno>&& /*r*/) {}
}  // namespace detail

}  // namespace ms

// Propagates an error out of the enclosing function, otherwise yields the value.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define TRY(...)                                                         \
  ({                                                                     \
    auto ms_try_result_ = (__VA_ARGS__);                                 \
    if (!ms_try_result_) return std::unexpected(ms_try_result_.error()); \
    ::ms::detail::unwrap(std::move(ms_try_result_));                     \
  })
