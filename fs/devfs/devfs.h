// devfs: /dev as a tmpfs holding the standard device nodes (null, zero, full, random,
// urandom, tty, console), the fd/stdin/stdout/stderr links into /proc/self, and shm/ for a
// tmpfs mount. There is no ptmx: the sandbox has no pseudo-terminals.
#pragma once

#include "fs/devices.h"
#include "fs/tmpfs/tmpfs.h"

namespace ms::fs {

class Vfs;

// The memory devices (major 1): null, zero, full, random, urandom.
void register_memory_devices(DeviceRegistry& devices);
TmpfsInstance make_devfs(Vfs& vfs);

}  // namespace ms::fs
