// The text of /proc files, in Linux's formats.
#pragma once

#include <string>
#include <vector>

#include "fs/procfs/provider.h"

namespace ms::fs {

class Vfs;
struct Path;

std::string format_status(const ProcessStatus& st);
std::string format_stat(const ProcessStatus& st);
std::string format_maps(const std::vector<MappingInfo>& maps);
// /proc/PID/mounts and mountinfo, as seen from `root`.
std::string format_mounts(const Vfs& vfs, const Path& root);
std::string format_mountinfo(const Vfs& vfs, const Path& root);
std::string format_cpuinfo();
std::string format_meminfo();
std::string format_filesystems();
// Octal escapes for the characters that would break a /proc line.
std::string mangle_path(const std::string& s);

}  // namespace ms::fs
