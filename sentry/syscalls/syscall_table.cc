#include "sentry/syscalls/syscall_table.h"

#include <algorithm>

#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

template <class... Kinds>
constexpr SyscallSpec make_spec(uint32_t nr, std::string_view name, Support support, ArgKind ret,
                                std::string_view note, Handler handler, Kinds... kinds) {
  SyscallSpec s{.nr = nr,
                .name = name,
                .support = support,
                .ret = ret,
                .nargs = static_cast<uint8_t>(sizeof...(kinds)),
                .args = {},
                .note = note,
                .handler = handler};
  const ArgKind list[] = {kinds..., ArgKind::Unknown};
  for (size_t i = 0; i < sizeof...(kinds); ++i)
    s.args[i] = list[i];
  // "(Unknown)" stands for arguments not described yet: show all six.
  if (sizeof...(kinds) == 1 && list[0] == ArgKind::Unknown) s.nargs = 6;
  return s;
}

#define MS_HANDLER_Full(name) &sys_##name
#define MS_HANDLER_Partial(name) &sys_##name
#define MS_HANDLER_Refused(name) nullptr
#define MS_HANDLER_None(name) nullptr
#define MS_EXPAND_KINDS(...) __VA_OPT__(MS_KIND_LIST(__VA_ARGS__))
#define MS_KIND_LIST(...) , MS_KINDS_IMPL(__VA_ARGS__)
#define MS_KINDS_IMPL(...) MS_FOR_EACH(MS_KIND, __VA_ARGS__)
#define MS_KIND(k) ArgKind::k
// A bounded for-each over at most six arguments.
#define MS_FOR_EACH(m, ...) __VA_OPT__(MS_FE_1(m, __VA_ARGS__))
#define MS_FE_1(m, x, ...) m(x) __VA_OPT__(, MS_FE_2(m, __VA_ARGS__))
#define MS_FE_2(m, x, ...) m(x) __VA_OPT__(, MS_FE_3(m, __VA_ARGS__))
#define MS_FE_3(m, x, ...) m(x) __VA_OPT__(, MS_FE_4(m, __VA_ARGS__))
#define MS_FE_4(m, x, ...) m(x) __VA_OPT__(, MS_FE_5(m, __VA_ARGS__))
#define MS_FE_5(m, x, ...) m(x) __VA_OPT__(, MS_FE_6(m, __VA_ARGS__))
#define MS_FE_6(m, x) m(x)
#define MS_UNPAREN(...) __VA_ARGS__

constexpr SyscallSpec kSpecs[] = {
#define SYSCALL(nr, name, support, ret, args, note)          \
  make_spec(nr, #name, Support::support, ArgKind::ret, note, \
            MS_HANDLER_##support(name) MS_EXPAND_KINDS(MS_UNPAREN args)),
#include "sentry/syscalls/syscall_list.def"
#undef SYSCALL
};

constexpr uint32_t kMaxNr = 512;

struct Index {
  std::array<const SyscallSpec*, kMaxNr> by_nr{};
  Index() {
    for (const auto& s : kSpecs)
      by_nr[s.nr] = &s;
  }
};

const Index& index() {
  static const Index i;
  return i;
}

}  // namespace

const SyscallSpec* find_syscall(uint64_t nr) {
  return nr < kMaxNr ? index().by_nr[nr] : nullptr;
}

std::span<const SyscallSpec> all_syscalls() {
  return kSpecs;
}

std::string_view support_name(Support s) {
  switch (s) {
    case Support::Full:
      return "full";
    case Support::Partial:
      return "partial";
    case Support::Refused:
      return "refused";
    case Support::None:
      return "none";
  }
  return "?";
}

}  // namespace ms::sys
