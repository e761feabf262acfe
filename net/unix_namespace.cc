#include "net/unix_namespace.h"

#include <fmt/format.h>

namespace ms::net {

Result<void> UnixNamespace::bind_abstract(const std::string& name, int type,
                                          const std::shared_ptr<UnixSocket>& s) {
  auto it = abstract_.find({type, name});
  if (it != abstract_.end() && !it->second.expired()) return fail(EADDRINUSE);
  abstract_[{type, name}] = s;
  return {};
}

void UnixNamespace::unbind_abstract(const std::string& name, int type, const UnixSocket* s) {
  auto it = abstract_.find({type, name});
  if (it == abstract_.end()) return;
  auto held = it->second.lock();
  if (!held || held.get() == s) abstract_.erase(it);
}

Result<std::shared_ptr<UnixSocket>> UnixNamespace::find_abstract(const std::string& name,
                                                                 int type) const {
  auto it = abstract_.find({type, name});
  if (it == abstract_.end()) return fail(ECONNREFUSED);
  auto s = it->second.lock();
  if (!s) return fail(ECONNREFUSED);
  return s;
}

std::string UnixNamespace::autobind_name(int type) {
  // Linux's unix_autobind: five hex digits, the next free one.
  for (uint32_t i = 0; i < 0x100000; ++i) {
    std::string name = fmt::format("{:05x}", (next_autobind_ + i) & 0xfffff);
    auto it = abstract_.find({type, name});
    if (it == abstract_.end() || it->second.expired()) {
      next_autobind_ = (next_autobind_ + i + 1) & 0xfffff;
      return name;
    }
  }
  return {};
}

Result<void> UnixNamespace::bind_path(const std::string& key,
                                      const std::shared_ptr<UnixSocket>& s) {
  // The file was just made, so whatever the key held before belonged to a file that is gone
  // (its inode number can come back). Forget names whose sockets are gone while here.
  std::erase_if(paths_, [](const auto& entry) { return entry.second.expired(); });
  paths_[key] = s;
  return {};
}

Result<std::shared_ptr<UnixSocket>> UnixNamespace::find_path(const std::string& key) const {
  auto it = paths_.find(key);
  if (it == paths_.end()) return fail(ECONNREFUSED);
  auto s = it->second.lock();
  if (!s) return fail(ECONNREFUSED);
  return s;
}

}  // namespace ms::net
