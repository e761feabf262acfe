// Credentials: get*id(2), set*id(2), setres*id(2), setfs*id(2), getgroups(2), setgroups(2).
// A guest may change its ids as Linux allows an unprivileged process; euid 0 stands for
// the CAP_SETUID/CAP_SETGID a root guest has inside its sandbox.
#include <sys/types.h>

#include <algorithm>

#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/handlers.h"

namespace ms::sys {
namespace {

constexpr uint32_t kUnchanged = static_cast<uint32_t>(-1);
constexpr uint64_t kNgroupsMax = 65536;

kernel::Credentials& creds(kernel::Task& t) {
  return t.thread_group().creds();
}
bool privileged(kernel::Task& t) {
  return creds(t).euid == 0;
}

// The three-id rules, shared by uids and gids: an unprivileged process may only pick among
// its current real, effective and saved ids.
struct Ids {
  uint32_t& r;
  uint32_t& e;
  uint32_t& s;
  uint32_t& fs;
  bool one_of_current(uint32_t v) const { return v == r || v == e || v == s; }
};

Result<void> set_single(Ids ids, uint32_t id, bool priv) {
  if (id == kUnchanged) return fail(EINVAL);
  if (priv) {
    ids.r = ids.e = ids.s = ids.fs = id;
  } else if (id == ids.r || id == ids.s) {
    ids.e = ids.fs = id;
  } else {
    return fail(EPERM);
  }
  return {};
}

Result<void> set_real_effective(Ids ids, uint32_t r, uint32_t e, bool priv) {
  const uint32_t old_r = ids.r;
  if (!priv) {
    if (r != kUnchanged && r != ids.r && r != ids.e) return fail(EPERM);
    if (e != kUnchanged && !ids.one_of_current(e)) return fail(EPERM);
  }
  if (r != kUnchanged) ids.r = r;
  if (e != kUnchanged) ids.e = e;
  if (r != kUnchanged || (e != kUnchanged && e != old_r)) ids.s = ids.e;
  ids.fs = ids.e;
  return {};
}

Result<void> set_three(Ids ids, uint32_t r, uint32_t e, uint32_t s, bool priv) {
  if (!priv) {
    for (uint32_t v : {r, e, s}) {
      if (v != kUnchanged && !ids.one_of_current(v)) return fail(EPERM);
    }
  }
  if (r != kUnchanged) ids.r = r;
  if (e != kUnchanged) ids.e = e;
  if (s != kUnchanged) ids.s = s;
  ids.fs = ids.e;
  return {};
}

uint64_t set_fs(Ids ids, uint32_t id, bool priv) {
  const uint32_t old = ids.fs;
  if (priv || ids.one_of_current(id) || id == ids.fs) ids.fs = id;
  return old;
}

Ids uids(kernel::Task& t) {
  auto& c = creds(t);
  return Ids{c.ruid, c.euid, c.suid, c.fsuid};
}
Ids gids(kernel::Task& t) {
  auto& c = creds(t);
  return Ids{c.rgid, c.egid, c.sgid, c.fsgid};
}

Result<void> write_three(kernel::Task& t, const SyscallArgs& a, uint32_t r, uint32_t e,
                         uint32_t s) {
  TRY(t.mm().write(mm::GuestPtr<uint32_t>(a[0]), r));
  TRY(t.mm().write(mm::GuestPtr<uint32_t>(a[1]), e));
  TRY(t.mm().write(mm::GuestPtr<uint32_t>(a[2]), s));
  return {};
}

uint32_t id_arg(uint64_t v) {
  return static_cast<uint32_t>(v);
}

}  // namespace

SysRet sys_getuid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return creds(t).ruid;
}
SysRet sys_geteuid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return creds(t).euid;
}
SysRet sys_getgid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return creds(t).rgid;
}
SysRet sys_getegid(kernel::Task& t, const SyscallArgs& /*a*/) {
  return creds(t).egid;
}

SysRet sys_getresuid(kernel::Task& t, const SyscallArgs& a) {
  TRY(write_three(t, a, creds(t).ruid, creds(t).euid, creds(t).suid));
  return 0;
}

SysRet sys_getresgid(kernel::Task& t, const SyscallArgs& a) {
  TRY(write_three(t, a, creds(t).rgid, creds(t).egid, creds(t).sgid));
  return 0;
}

SysRet sys_setuid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_single(uids(t), id_arg(a[0]), privileged(t)));
  return 0;
}

SysRet sys_setgid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_single(gids(t), id_arg(a[0]), privileged(t)));
  return 0;
}

SysRet sys_setreuid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_real_effective(uids(t), id_arg(a[0]), id_arg(a[1]), privileged(t)));
  return 0;
}

SysRet sys_setregid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_real_effective(gids(t), id_arg(a[0]), id_arg(a[1]), privileged(t)));
  return 0;
}

SysRet sys_setresuid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_three(uids(t), id_arg(a[0]), id_arg(a[1]), id_arg(a[2]), privileged(t)));
  return 0;
}

SysRet sys_setresgid(kernel::Task& t, const SyscallArgs& a) {
  TRY(set_three(gids(t), id_arg(a[0]), id_arg(a[1]), id_arg(a[2]), privileged(t)));
  return 0;
}

SysRet sys_setfsuid(kernel::Task& t, const SyscallArgs& a) {
  return set_fs(uids(t), id_arg(a[0]), privileged(t));
}

SysRet sys_setfsgid(kernel::Task& t, const SyscallArgs& a) {
  return set_fs(gids(t), id_arg(a[0]), privileged(t));
}

SysRet sys_getgroups(kernel::Task& t, const SyscallArgs& a) {
  const auto size = static_cast<int>(a[0]);
  const std::vector<gid_t>& groups = creds(t).groups;
  if (size < 0) return fail(EINVAL);
  if (size == 0) return groups.size();
  if (static_cast<size_t>(size) < groups.size()) return fail(EINVAL);
  TRY(t.mm().copy_out(a[1], std::as_bytes(std::span(groups))));
  return groups.size();
}

SysRet sys_setgroups(kernel::Task& t, const SyscallArgs& a) {
  const uint64_t size = a[0];
  if (!privileged(t)) return fail(EPERM);
  if (size > kNgroupsMax) return fail(EINVAL);
  std::vector<gid_t> groups(size);
  TRY(t.mm().copy_in(a[1], std::as_writable_bytes(std::span(groups))));
  std::sort(groups.begin(), groups.end());
  creds(t).groups = std::move(groups);
  return 0;
}

}  // namespace ms::sys
