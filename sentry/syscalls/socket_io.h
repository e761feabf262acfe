// read(2)/write(2) and their vector forms on a socket are recv and send without flags, as
// in Linux (sock_read_iter): SO_RCVTIMEO/SO_SNDTIMEO apply, a sender waits where the socket
// says, and EPIPE raises SIGPIPE.
#pragma once

#include <span>

#include "net/socket.h"
#include "sentry/syscalls/file_io.h"

namespace ms::sys {

// nowait (RWF_NOWAIT): as MSG_DONTWAIT.
SysRet socket_read(kernel::Task& t, net::Socket& s, std::span<const GuestRange> dst, bool nowait);
SysRet socket_write(kernel::Task& t, net::Socket& s, std::span<const GuestRange> src, bool nowait);

}  // namespace ms::sys
