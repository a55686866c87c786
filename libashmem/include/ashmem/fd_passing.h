// SPDX-License-Identifier: Apache-2.0
//
// Passing file descriptors between processes over AF_UNIX sockets
// (SCM_RIGHTS): how a region reaches another process.
//
//   // sender
//   ashmem::SendFds(sock.get(), ashmem::AsBytes("frames"), {{region.fd()}});
//   // receiver
//   std::byte buf[64];
//   auto msg = ashmem::ReceiveFds(sock.get(), buf, 1);
//   auto region = ashmem::Region::Adopt(std::move(msg->fds[0]));
#ifndef LIBASHMEM_ASHMEM_FD_PASSING_H_
#define LIBASHMEM_ASHMEM_FD_PASSING_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem {

// The most fds one message may carry (the kernel's SCM_MAX_FD).
inline constexpr std::size_t kMaxFdsPerMessage = 253;

// The bytes of a string, to use as a payload.
inline std::span<const std::byte> AsBytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Sends payload (at least one byte) and fds in one message on socket, a
// connected AF_UNIX socket.  The fds are borrowed: the receiver gets new fds
// for the same open files and the caller's stay open.  Retries EINTR; never
// raises SIGPIPE.  Returns the number of payload bytes sent, which on a
// SOCK_STREAM socket may be fewer than payload.size() (the fds went with the
// first byte).  EINVAL for an empty payload or more than kMaxFdsPerMessage
// fds; EPIPE if the peer is gone.
Result<std::size_t> SendFds(int socket, std::span<const std::byte> payload,
                            std::span<const int> fds);

// One message received by ReceiveFds.
struct ReceivedMessage {
  std::size_t size = 0;       // payload bytes written to the buffer; 0 at end of stream
  std::vector<UniqueFd> fds;  // owned by the caller, close-on-exec
};

// Receives one message into buffer, accepting up to max_fds fds with it.
// Retries EINTR.  Fails with EMSGSIZE if the payload did not fit in buffer
// (SOCK_SEQPACKET, SOCK_DGRAM) or more than max_fds fds came (the control
// message was truncated); then every fd that did arrive is closed, so
// nothing leaks.  EINVAL if max_fds > kMaxFdsPerMessage or buffer is empty.
Result<ReceivedMessage> ReceiveFds(int socket, std::span<std::byte> buffer, std::size_t max_fds);

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_FD_PASSING_H_
