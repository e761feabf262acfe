#include "fs/host_file.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace ms::fs {
namespace {

Result<size_t> transferred(ssize_t n) {
  if (n < 0) return fail(errno == EWOULDBLOCK ? EAGAIN : errno);
  return static_cast<size_t>(n);
}

// The kernel's struct termios (asm/termbits.h): what TCGETS/TCSETS move. glibc's struct
// termios is larger (NCCS 32, speeds): using it would overrun the guest's buffer.
struct KernelTermios {
  uint32_t c_iflag;
  uint32_t c_oflag;
  uint32_t c_cflag;
  uint32_t c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

// Copies a fixed-size ioctl argument between the guest and a host ioctl.
template <class T>
Result<uint64_t> ioctl_out(int fd, uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  T value{};
  if (::ioctl(fd, request, &value) != 0) return fail(errno);
  TRY(mem.write(mm::GuestPtr<T>(arg), value));
  return 0;
}

// Whether the host can poll fd: epoll refuses files without a poll method with EPERM, which
// is what a guest's epoll_ctl must see too.
bool host_pollable(int fd) {
  const UniqueFd probe(epoll_create1(EPOLL_CLOEXEC));
  if (!probe) return true;
  epoll_event ev{};
  return epoll_ctl(probe.get(), EPOLL_CTL_ADD, fd, &ev) == 0 || errno != EPERM;
}

template <class T>
Result<uint64_t> ioctl_in(int fd, uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  const T value = TRY(mem.read(mm::GuestPtr<T>(arg)));
  if (::ioctl(fd, request, &value) != 0) return fail(errno);
  return 0;
}

}  // namespace

std::shared_ptr<HostFile> HostFile::from_stdio(int fd, kernel::HostPoller& poller) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return nullptr;
  const bool tty = ::isatty(fd) != 0;
  const bool socket = S_ISSOCK(st.st_mode);
  UniqueFd own;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    // A private, non-blocking open file description of the same pipe or terminal.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    own.reset(::open(proc.c_str(), (flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  }
  if (!own) own.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (!own) return nullptr;
  const std::string name = tty                    ? "/dev/pts/0"
                           : S_ISFIFO(st.st_mode) ? "pipe:[" + std::to_string(st.st_ino) + "]"
                                                  : "host:[" + std::to_string(fd) + "]";
  const bool pollable = host_pollable(own.get());
  return std::shared_ptr<HostFile>(new HostFile(std::move(own),
                                                flags & (O_ACCMODE | O_APPEND | kLargeFile), poller,
                                                name, socket, tty, pollable));
}

HostFile::HostFile(UniqueFd fd, int flags, kernel::HostPoller& poller, std::string name,
                   bool socket, bool tty, bool pollable)
    : FileDescription(flags),
      fd_(std::move(fd)),
      queue_(&HostFile::on_wait, this),
      watch_(poller, fd_.get(), queue_),
      name_(std::move(name)),
      socket_(socket),
      tty_(tty),
      pollable_(pollable) {}

HostFile::~HostFile() = default;

Result<size_t> HostFile::read(std::span<std::byte> dst) {
  auto n = socket_ ? transferred(::recv(fd_.get(), dst.data(), dst.size(), MSG_DONTWAIT))
                   : transferred(::read(fd_.get(), dst.data(), dst.size()));
  if (!n && n.error() == Errno{EAGAIN}) watch_.rearm_if_waited(EPOLLIN | EPOLLRDHUP);
  return n;
}

Result<size_t> HostFile::write(std::span<const std::byte> src) {
  auto n = socket_
               ? transferred(::send(fd_.get(), src.data(), src.size(), MSG_DONTWAIT | MSG_NOSIGNAL))
               : transferred(::write(fd_.get(), src.data(), src.size()));
  if (!n && n.error() == Errno{EAGAIN}) watch_.rearm_if_waited(EPOLLOUT);
  return n;
}

Result<size_t> HostFile::pread(std::span<std::byte> dst, uint64_t offset) {
  return transferred(::pread(fd_.get(), dst.data(), dst.size(), static_cast<off_t>(offset)));
}

Result<size_t> HostFile::pwrite(std::span<const std::byte> src, uint64_t offset) {
  return transferred(::pwrite(fd_.get(), src.data(), src.size(), static_cast<off_t>(offset)));
}

Result<uint64_t> HostFile::seek(int64_t offset, int whence) {
  const off_t r = ::lseek(fd_.get(), offset, whence);
  if (r < 0) return fail(errno);
  return static_cast<uint64_t>(r);
}

Result<Stat> HostFile::stat() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail(errno);
  return stat_from_host(st);
}

bool HostFile::tostop() const {
  termios tio{};
  return tty_ && ::tcgetattr(fd_.get(), &tio) == 0 && (tio.c_lflag & TOSTOP) != 0;
}

Result<uint64_t> HostFile::ioctl(uint32_t request, uint64_t arg, mm::GuestMemory& mem) {
  switch (request) {
    case TCGETS:
      return ioctl_out<KernelTermios>(fd_.get(), request, arg, mem);
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
      return ioctl_in<KernelTermios>(fd_.get(), request, arg, mem);
    case TIOCGWINSZ:
      return ioctl_out<winsize>(fd_.get(), request, arg, mem);
    case TIOCSWINSZ:
      return ioctl_in<winsize>(fd_.get(), request, arg, mem);
    case FIONREAD:
      return ioctl_out<int>(fd_.get(), request, arg, mem);
    default:
      return fail(ENOTTY);
  }
}

uint32_t HostFile::readiness() {
  // Every bit the host may report (a pipe says POLLIN | POLLRDNORM), so that the guest sees
  // what a native poll would.
  constexpr short kAll =
      POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP;
  pollfd p{fd_.get(), kAll, 0};
  if (::poll(&p, 1, 0) < 0) return POLLERR;
  return static_cast<uint32_t>(p.revents);
}

kernel::WaitQueue* HostFile::wait_queue() {
  return &queue_;
}

void HostFile::on_wait(void* self, uint32_t events) {
  static_cast<HostFile*>(self)->watch_.want(events);
}

}  // namespace ms::fs
