// Helpers for differential guest tests: print what a call returned in a form that is the
// same natively and in the sandbox (errno names, not addresses or pids).
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline const char* guest_errno_name(int e) {
  switch (e) {
    case 0:
      return "OK";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case ESRCH:
      return "ESRCH";
    case EINTR:
      return "EINTR";
    case EIO:
      return "EIO";
    case ENXIO:
      return "ENXIO";
    case E2BIG:
      return "E2BIG";
    case ENOEXEC:
      return "ENOEXEC";
    case EBADF:
      return "EBADF";
    case ECHILD:
      return "ECHILD";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EACCES:
      return "EACCES";
    case EFAULT:
      return "EFAULT";
    case EBUSY:
      return "EBUSY";
    case EEXIST:
      return "EEXIST";
    case EXDEV:
      return "EXDEV";
    case ENODEV:
      return "ENODEV";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case ENFILE:
      return "ENFILE";
    case EMFILE:
      return "EMFILE";
    case ENOTTY:
      return "ENOTTY";
    case EFBIG:
      return "EFBIG";
    case ENOSPC:
      return "ENOSPC";
    case ESPIPE:
      return "ESPIPE";
    case EROFS:
      return "EROFS";
    case EMLINK:
      return "EMLINK";
    case EPIPE:
      return "EPIPE";
    case ERANGE:
      return "ERANGE";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case ENOSYS:
      return "ENOSYS";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case ELOOP:
      return "ELOOP";
    case EOVERFLOW:
      return "EOVERFLOW";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EINPROGRESS:
      return "EINPROGRESS";
    case ENOTCONN:
      return "ENOTCONN";
    case ECONNRESET:
      return "ECONNRESET";
    case ENOTSOCK:
      return "ENOTSOCK";
    case EDESTADDRREQ:
      return "EDESTADDRREQ";
    case EMSGSIZE:
      return "EMSGSIZE";
    case EAFNOSUPPORT:
      return "EAFNOSUPPORT";
    case EISCONN:
      return "EISCONN";
    case EALREADY:
      return "EALREADY";
    case ENOPROTOOPT:
      return "ENOPROTOOPT";
    case EPROTONOSUPPORT:
      return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT:
      return "ESOCKTNOSUPPORT";
    case EPROTOTYPE:
      return "EPROTOTYPE";
    case EADDRNOTAVAIL:
      return "EADDRNOTAVAIL";
    case ENETUNREACH:
      return "ENETUNREACH";
    case ENOBUFS:
      return "ENOBUFS";
    case ECONNABORTED:
      return "ECONNABORTED";
    case EDOM:
      return "EDOM";
    default:
      return "E?";
  }
}

// Prints "label: result" for a raw syscall-style return (-1 with errno, or a value).
#define SHOW(label, expr)                                      \
  do {                                                         \
    errno = 0;                                                 \
    long show_r_ = (long)(expr);                               \
    if (show_r_ == -1)                                         \
      printf("%s: -1 %s\n", (label), guest_errno_name(errno)); \
    else                                                       \
      printf("%s: %ld\n", (label), show_r_);                   \
    fflush(stdout);                                            \
  } while (0)

// Prints only whether a call succeeded, for results that differ between runs (addresses).
#define SHOW_OK(label, expr)                                                     \
  do {                                                                           \
    errno = 0;                                                                   \
    long show_r_ = (long)(expr);                                                 \
    printf("%s: %s\n", (label), show_r_ == -1 ? guest_errno_name(errno) : "ok"); \
    fflush(stdout);                                                              \
  } while (0)

#define CHECK(cond)                                             \
  do {                                                          \
    if (!(cond)) {                                              \
      printf("CHECK failed at line %d: %s\n", __LINE__, #cond); \
      fflush(stdout);                                           \
    }                                                           \
  } while (0)
