// SPDX-License-Identifier: Apache-2.0
#include <ashmem/fd_passing.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "backend.h"

namespace ashmem {

using internal::RetryOnEintr;

namespace {
// Room for the largest control message either side ever handles.
constexpr std::size_t kControlSpace = CMSG_SPACE(kMaxFdsPerMessage * sizeof(int));
}  // namespace

Result<std::size_t> SendFds(int socket, std::span<const std::byte> payload,
                            std::span<const int> fds) {
  if (payload.empty() || fds.size() > kMaxFdsPerMessage)
    return ErrnoError(EINVAL);
  iovec iov = {const_cast<std::byte*>(payload.data()), payload.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  const std::size_t fd_bytes = fds.size() * sizeof(int);
  alignas(cmsghdr) std::byte control[kControlSpace] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fd_bytes);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fd_bytes);
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fd_bytes);
  }
  ssize_t sent = RetryOnEintr([&] { return sendmsg(socket, &msg, MSG_NOSIGNAL); });
  if (sent < 0)
    return ErrnoError(errno);
  return static_cast<std::size_t>(sent);
}

Result<ReceivedMessage> ReceiveFds(int socket, std::span<std::byte> buffer, std::size_t max_fds) {
  if (buffer.empty() || max_fds > kMaxFdsPerMessage)
    return ErrnoError(EINVAL);
  iovec iov = {buffer.data(), buffer.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  alignas(cmsghdr) std::byte control[kControlSpace] = {};
  if (max_fds != 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(max_fds * sizeof(int));
  }
  ssize_t received = RetryOnEintr([&] { return recvmsg(socket, &msg, MSG_CMSG_CLOEXEC); });
  if (received < 0)
    return ErrnoError(errno);

  // Take ownership of every fd that arrived before looking at anything else,
  // so that each error path below closes them.
  ReceivedMessage result;
  result.size = static_cast<std::size_t>(received);
  bool unexpected = false;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
      unexpected = true;
      continue;
    }
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      result.fds.emplace_back(fd);
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
    return ErrnoError(EMSGSIZE);
  if (unexpected)
    return ErrnoError(EBADMSG);
  return result;
}

}  // namespace ashmem
