#include "fs/mount_spec.h"

#include <unistd.h>

#include <sstream>
#include <vector>

namespace ms::fs {

std::expected<std::string, std::string> normalize_guest_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return std::unexpected("'" + path + "' is not absolute");
  std::string out;
  std::stringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::unexpected("'" + path + "' contains '..'");
    if (part.size() > 255) return std::unexpected("'" + path + "' has a name over 255 bytes");
    out += '/';
    out += part;
  }
  if (out.empty()) out = "/";
  if (out.size() >= 4096) return std::unexpected("'" + path + "' is too long");
  return out;
}

std::expected<BindSpec, std::string> parse_bind(const std::string& spec) {
  const auto usage = [&](const std::string& why) {
    return std::unexpected("-v " + spec + ": " + why + " (expected HOST:GUEST[:ro|:rw])");
  };
  std::vector<std::string> parts;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, ':');)
    parts.push_back(part);
  if (!spec.empty() && spec.back() == ':') parts.emplace_back();
  if (parts.size() < 2 || parts.size() > 3) return usage("wrong number of fields");
  BindSpec b;
  if (parts[0].empty()) return usage("empty host path");
  b.host = parts[0];
  if (b.host[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) return usage("cannot resolve a relative host path");
    b.host = std::string(cwd) + "/" + b.host;
  }
  auto guest = normalize_guest_path(parts[1]);
  if (!guest) return usage("guest path " + guest.error());
  if (*guest == "/") return usage("cannot bind over / (use --rootfs)");
  b.guest = *guest;
  if (parts.size() == 3) {
    if (parts[2] == "rw") {
      b.writable = true;
    } else if (parts[2] != "ro") {
      return usage("mode '" + parts[2] + "' is neither ro nor rw");
    }
  }
  return b;
}

}  // namespace ms::fs
