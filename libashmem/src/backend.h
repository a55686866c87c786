// SPDX-License-Identifier: Apache-2.0
//
// The two backends behind one set of functions.  Both the C API and the C++
// classes are built on these; nothing here is installed.
#ifndef LIBASHMEM_SRC_BACKEND_H_
#define LIBASHMEM_SRC_BACKEND_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ashmem/region.h>
#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem::internal {

inline constexpr const char* kDevicePath = "/dev/ashmem";

// Calls f until it fails with something other than EINTR.
template <typename F>
auto RetryOnEintr(F f) {
  decltype(f()) result;
  do {
    result = f();
  } while (result == -1 && errno == EINTR);
  return result;
}

// The error_code for the current errno.
inline std::error_code LastError() noexcept {
  return ErrnoError(errno);
}

// Saves errno and restores it when the scope ends, for cleanup on error paths.
class ErrnoRestorer {
 public:
  ErrnoRestorer() noexcept : saved_(errno) {}
  ~ErrnoRestorer() { errno = saved_; }
  ErrnoRestorer(const ErrnoRestorer&) = delete;
  ErrnoRestorer& operator=(const ErrnoRestorer&) = delete;
  ErrnoRestorer(ErrnoRestorer&&) = delete;
  ErrnoRestorer& operator=(ErrnoRestorer&&) = delete;

 private:
  int saved_;
};

std::size_t PageSize() noexcept;

// The pinning operations, named after the ioctls they stand for.
enum class PinOp { kPin, kUnpin, kGetStatus };

// The names the device is looked up under, in order: Android's per-boot
// name, "/dev/ashmem" followed by /proc/sys/kernel/random/boot_id without
// its newline (left out if the boot id cannot be read), then "/dev/ashmem".
// The boot id is read once per process.
std::vector<std::string> DevicePaths();

// Opens a new area on the first of DevicePaths() that exists and checks
// that it answers as ashmem; remembers its device number for Identify().
// ENODEV if no name opens or the device does not answer as ashmem.
Result<UniqueFd> OpenDevice();

// The backend Region::Create uses when none is given (see DefaultBackend()).
// When that is ashmem, *device receives the area it opened to find out, so
// that a creation opens the device once.
Result<Backend> ChooseBackend(UniqueFd* device);

// Which backend fd belongs to: ENOTTY if none, EBADF if fd is not open.
Result<Backend> Identify(int fd);

// A new region's fd (close-on-exec), size set, pinned.  On ashmem, device
// is a fresh area from OpenDevice() to use, or invalid to open one.
Result<UniqueFd> CreateFd(Backend backend, std::string_view name, std::size_t size,
                          UniqueFd device = UniqueFd());

// A new fd for the memfd region fd, opened O_RDONLY through /proc/self/fd:
// no holder of it can map it writable, write, seal or resize it.  ENOTSUP on
// ashmem, where the mask belongs to the area and no fd can be narrower.
Result<UniqueFd> ReadOnlyFd(int fd, Backend backend);

// True if fd was opened O_RDONLY.
bool IsReadOnlyFd(int fd) noexcept;

Result<std::size_t> GetSize(int fd, Backend backend);
Result<int> GetProt(int fd, Backend backend);
Result<void> SetProt(int fd, Backend backend, int prot);
// Returns the ioctl's result: ASHMEM_NOT_PURGED/WAS_PURGED for kPin, 0 for
// kUnpin, ASHMEM_IS_PINNED/IS_UNPINNED for kGetStatus.  The memfd backend
// applies the kernel's range checks and reports "not purged" and "pinned".
Result<int> Pin(int fd, Backend backend, PinOp op, std::size_t offset, std::size_t length);
Result<std::uint64_t> GetFileId(int fd, Backend backend);
// The name as the backend reports it; "" when it cannot tell.
std::string GetName(int fd, Backend backend);

// The value for errno of an error_code from the functions above.
int ToErrno(std::error_code error) noexcept;

}  // namespace ashmem::internal

#endif  // LIBASHMEM_SRC_BACKEND_H_
