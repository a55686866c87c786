// SPDX-License-Identifier: Apache-2.0
//
// UniqueFd: sole ownership of a file descriptor (also known as ScopedFd or
// a unique_fd elsewhere).
//
//   ashmem::UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return ashmem::ErrnoError(errno);
//   read(fd.get(), buf, sizeof(buf));   // borrowing: explicit get()
//   // closed here
//
// There is no conversion to int: borrowing is spelled get(), giving up
// ownership is spelled release().
#ifndef LIBASHMEM_ASHMEM_UNIQUE_FD_H_
#define LIBASHMEM_ASHMEM_UNIQUE_FD_H_

#include <ashmem/result.h>

namespace ashmem {

// Owns one file descriptor (or none: -1) and closes it on destruction.
// Move-only.  Thread-safety: none; it is a value, like an int.
class UniqueFd final {
 public:
  UniqueFd() = default;
  // Takes ownership of fd (any negative value means "none").
  explicit UniqueFd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The descriptor, still owned by this object; -1 if none.
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership: the caller must close the returned fd.
  [[nodiscard]] int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  // Closes the owned fd (if any) and takes ownership of fd.  close() is not
  // retried on EINTR: on Linux the fd is released even then, and a retry
  // could close an fd another thread has just been given.  errno is
  // preserved.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Duplicates fd with close-on-exec set; the caller owns the result.
// Fails with EBADF for a closed fd, EMFILE when out of descriptors.
Result<UniqueFd> DupFd(int fd);

// A connected pair of AF_UNIX sockets of the given type (SOCK_STREAM,
// SOCK_SEQPACKET or SOCK_DGRAM), both close-on-exec.
struct SocketPair {
  UniqueFd first;
  UniqueFd second;
};
Result<SocketPair> MakeSocketPair(int type);

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_UNIQUE_FD_H_
