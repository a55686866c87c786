// SPDX-License-Identifier: Apache-2.0
//
// Deadlines and poll(): how the region server and the Binder transport wait
// for an fd without ever blocking past their timeout.  Not installed.
#ifndef LIBASHMEM_SRC_WAIT_H_
#define LIBASHMEM_SRC_WAIT_H_

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include <ashmem/result.h>

namespace ashmem::internal {

// Now plus timeout; "never" for a timeout beyond a year.
inline std::chrono::steady_clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  if (timeout > std::chrono::hours(24 * 365))
    return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() + timeout;
}

// Waits until fd has events (or an error or hang-up to report); false once
// deadline has passed.  Retries EINTR.
inline Result<bool> WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    int timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1 << 30));
    pollfd pfd = {fd, events, 0};
    int ret = poll(&pfd, 1, timeout);
    if (ret > 0)
      return true;
    if (ret == 0)
      return false;
    if (errno != EINTR)
      return ErrnoError(errno);
  }
}

inline Result<bool> WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  return WaitFor(fd, POLLIN, deadline);
}

}  // namespace ashmem::internal

#endif  // LIBASHMEM_SRC_WAIT_H_
