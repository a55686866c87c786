// SPDX-License-Identifier: Apache-2.0
#include <ashmem/unique_fd.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ashmem {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) {
    int saved = errno;
    close(fd_);
    errno = saved;
  }
  fd_ = fd < 0 ? -1 : fd;
}

Result<UniqueFd> DupFd(int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return ErrnoError(errno);
  return UniqueFd(copy);
}

Result<SocketPair> MakeSocketPair(int type) {
  int fds[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) < 0)
    return ErrnoError(errno);
  return SocketPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace ashmem
