// Mount options from the command line (-v HOST:GUEST[:ro|:rw], --tmpfs PATH), checked
// before the guest starts so that a mistake gets one clear message.
#pragma once

#include <expected>
#include <string>

namespace ms::fs {

struct BindSpec {
  std::string host;   // absolute, as given or made absolute against the cwd
  std::string guest;  // absolute, normalized
  bool writable = false;
};

// A guest path as mounts use it: absolute, "." and empty components removed, no "..".
std::expected<std::string, std::string> normalize_guest_path(const std::string& path);
// HOST:GUEST[:ro|:rw]. The host side is not looked at here.
std::expected<BindSpec, std::string> parse_bind(const std::string& spec);

}  // namespace ms::fs
