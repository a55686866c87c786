// SPDX-License-Identifier: Apache-2.0
//
// /dev/ashmem and memfd behind one interface.
//
// Why memfd looks like ashmem here: an ashmem region has a size that is
// fixed once it is mapped, a protection mask that can only shrink, and pins.
// A memfd gets its size from ftruncate() and then F_SEAL_GROW|F_SEAL_SHRINK,
// so that no holder can resize it under another's mapping (which would turn
// accesses into SIGBUS); dropping PROT_WRITE becomes F_SEAL_FUTURE_WRITE,
// which refuses new writable mappings, write() and mprotect() to writable,
// while mappings that exist keep working, exactly as the mask does.  A memfd
// is never purged, so pins only check their arguments.
#include "backend.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/ashmem.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

// Newer than the uapi headers of some build hosts (Linux 6.3).
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

namespace ashmem::internal {
namespace {

constexpr int kAllProt = PROT_READ | PROT_WRITE | PROT_EXEC;
// The seals that fix a memfd region's size.
constexpr int kSizeSeals = F_SEAL_GROW | F_SEAL_SHRINK;
// memfd_create() refuses longer names: NAME_MAX minus the "memfd:" prefix.
constexpr std::size_t kMemfdNameMax = NAME_MAX - 6;
static_assert(kMemfdNameMax == MaxNameLength(Backend::kMemfd));
static_assert(ASHMEM_NAME_LEN - 1 == MaxNameLength(Backend::kAshmem));

// ioctl() through syscall(), which returns a long: ASHMEM_GET_SIZE returns
// the size itself, and glibc's int-returning ioctl() would cut sizes above
// 2 GiB.
long Ioctl(int fd, unsigned long request, unsigned long arg) {
  return RetryOnEintr([&] { return syscall(SYS_ioctl, fd, request, arg); });
}
long Ioctl(int fd, unsigned long request, void* arg) {
  return Ioctl(fd, request, reinterpret_cast<unsigned long>(arg));
}

// The device number of ashmem once known (0: not yet).  It is learnt from
// the first device node that opens or matches and kept for the life of the
// process, as libcutils keeps it: both device names are the same device,
// and its number only changes if the module is reloaded, which it refuses
// while any area is open.
std::atomic<dev_t> known_rdev{0};

std::string ReadBootId() {
  ErrnoRestorer keep_errno;
  UniqueFd fd(
      RetryOnEintr([] { return open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC); }));
  if (!fd.valid())
    return {};
  char buf[64];
  ssize_t n = RetryOnEintr([&] { return read(fd.get(), buf, sizeof(buf)); });
  if (n <= 0)
    return {};
  std::string_view id(buf, static_cast<std::size_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
    id.remove_suffix(1);
  return std::string(id);
}

// True if rdev is ashmem's device number; looks the device up only while
// the number is not known or does not match (a char device that is not
// ashmem costs a lookup each time, so a device that appears later is found).
bool IsAshmemDevice(dev_t rdev) {
  if (rdev == 0)
    return false;
  if (known_rdev.load(std::memory_order_relaxed) == rdev)
    return true;
  ErrnoRestorer keep_errno;
  for (const std::string& path : DevicePaths()) {
    struct stat device = {};
    if (stat(path.c_str(), &device) == 0 && S_ISCHR(device.st_mode) && device.st_rdev == rdev) {
      known_rdev.store(rdev, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

Result<UniqueFd> CreateAshmem(std::string_view name, std::size_t size, UniqueFd device) {
  Result<UniqueFd> fd = device.valid() ? Result<UniqueFd>(std::move(device)) : OpenDevice();
  if (!fd.ok())
    return fd.error();
  if (!name.empty()) {
    char buf[ASHMEM_NAME_LEN] = {};
    std::memcpy(buf, name.data(), std::min(name.size(), sizeof(buf) - 1));
    if (Ioctl(fd->get(), ASHMEM_SET_NAME, buf) < 0)
      return LastError();
  }
  if (Ioctl(fd->get(), ASHMEM_SET_SIZE, static_cast<unsigned long>(size)) < 0)
    return LastError();
  return fd;
}

// Set once memfd_create() has refused MFD_NOEXEC_SEAL (kernels before 6.3),
// so that later creations ask only once.
std::atomic<bool> no_noexec_seal{false};

Result<UniqueFd> CreateMemfd(std::string_view name, std::size_t size) {
  std::string truncated(name.substr(0, kMemfdNameMax));
  constexpr unsigned int kFlags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  UniqueFd fd;
  if (!no_noexec_seal.load(std::memory_order_relaxed)) {
    // As libcutils: the memory can never be made executable by chmod, and
    // the fd is accepted where vm.memfd_noexec demands it.
    fd.reset(memfd_create(truncated.c_str(), kFlags | MFD_NOEXEC_SEAL));
    if (!fd.valid() && errno == EINVAL)
      no_noexec_seal.store(true, std::memory_order_relaxed);
  }
  if (!fd.valid() && no_noexec_seal.load(std::memory_order_relaxed))
    fd.reset(memfd_create(truncated.c_str(), kFlags));
  if (!fd.valid())
    return LastError();
  if (RetryOnEintr([&] { return ftruncate(fd.get(), static_cast<off_t>(size)); }) < 0) {
    return LastError();
  }
  if (fcntl(fd.get(), F_ADD_SEALS, kSizeSeals) < 0)
    return LastError();
  return fd;
}

// The kernel's checks on a pin range, for the memfd backend.
Result<void> CheckPinRange(std::size_t size, std::size_t offset, std::size_t length) {
  const std::size_t page = PageSize();
  const std::size_t end = (size + page - 1) / page * page;
  if (offset % page != 0 || length % page != 0)
    return ErrnoError(EINVAL);
  if (length == 0) {
    if (offset > end)
      return ErrnoError(EINVAL);
    length = end - offset;
  }
  if (offset > std::numeric_limits<std::uint32_t>::max() - length)
    return ErrnoError(EINVAL);
  if (offset + length > end)
    return ErrnoError(EINVAL);
  return {};
}

}  // namespace

std::size_t PageSize() noexcept {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

std::vector<std::string> DevicePaths() {
  static const std::string boot_id = ReadBootId();
  std::vector<std::string> paths;
  if (!boot_id.empty())
    paths.push_back(kDevicePath + boot_id);
  paths.emplace_back(kDevicePath);
  return paths;
}

Result<UniqueFd> OpenDevice() {
  UniqueFd fd;
  int open_errno = ENOENT;
  for (const std::string& path : DevicePaths()) {
    fd.reset(RetryOnEintr([&] { return open(path.c_str(), O_RDWR | O_CLOEXEC); }));
    if (fd.valid())
      break;
    // A name that is not there: try the next.  Any other failure (EACCES on
    // the per-boot node) is kept, unless a later name opens.
    if (errno != ENOENT || open_errno == ENOENT)
      open_errno = errno;
  }
  if (!fd.valid()) {
    if (open_errno == ENOENT || open_errno == ENXIO || open_errno == ENODEV)
      return ErrnoError(ENODEV);
    return ErrnoError(open_errno);
  }
  struct stat st = {};
  if (fstat(fd.get(), &st) < 0)
    return LastError();
  // A new area answers GET_SIZE with 0; anything else is not ashmem.
  if (!S_ISCHR(st.st_mode) || st.st_rdev == 0 || Ioctl(fd.get(), ASHMEM_GET_SIZE, 0UL) != 0) {
    return ErrnoError(ENODEV);
  }
  known_rdev.store(st.st_rdev, std::memory_order_relaxed);
  return fd;
}

Result<Backend> ChooseBackend(UniqueFd* device) {
  const char* forced = std::getenv("ASHMEM_BACKEND");
  const std::string_view choice = forced != nullptr ? forced : "";
  if (choice == "memfd")
    return Backend::kMemfd;
  if (!choice.empty() && choice != "ashmem")
    return ErrnoError(EINVAL);
  ErrnoRestorer keep_errno;
  Result<UniqueFd> fd = OpenDevice();
  if (!fd.ok()) {
    // Forcing a backend that is not there is an error, not a fallback.
    if (choice == "ashmem")
      return ErrnoError(ENODEV);
    return Backend::kMemfd;
  }
  *device = std::move(fd).value();
  return Backend::kAshmem;
}

Result<Backend> Identify(int fd) {
  struct stat st = {};
  if (fd < 0)
    return ErrnoError(EBADF);
  if (fstat(fd, &st) < 0)
    return LastError();
  if (S_ISCHR(st.st_mode)) {
    if (IsAshmemDevice(st.st_rdev))
      return Backend::kAshmem;
    return ErrnoError(ENOTTY);
  }
  if (S_ISREG(st.st_mode)) {
    // A region's size is sealed: without F_SEAL_GROW|F_SEAL_SHRINK the
    // sender could ftruncate() it under a receiver's mapping (SIGBUS), so
    // such a memfd is refused, as libcutils refuses it.  Only a memfd made
    // with MFD_ALLOW_SEALING can carry those seals; other shmem files report
    // just F_SEAL_SEAL and other files do not support seals at all.  Any
    // further seal (F_SEAL_SEAL added by a holder, libcutils' read-only
    // F_SEAL_FUTURE_WRITE|F_SEAL_SEAL, MFD_NOEXEC_SEAL's F_SEAL_EXEC) keeps
    // it a region.
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals >= 0 && (seals & kSizeSeals) == kSizeSeals)
      return Backend::kMemfd;
  }
  return ErrnoError(ENOTTY);
}

Result<UniqueFd> CreateFd(Backend backend, std::string_view name, std::size_t size,
                          UniqueFd device) {
  if (size > static_cast<std::size_t>(std::numeric_limits<off_t>::max())) {
    return ErrnoError(EINVAL);
  }
  return backend == Backend::kAshmem ? CreateAshmem(name, size, std::move(device))
                                     : CreateMemfd(name, size);
}

Result<std::size_t> GetSize(int fd, Backend backend) {
  if (backend == Backend::kAshmem) {
    long size = Ioctl(fd, ASHMEM_GET_SIZE, 0UL);
    if (size < 0)
      return LastError();
    return static_cast<std::size_t>(size);
  }
  struct stat st = {};
  if (fstat(fd, &st) < 0)
    return LastError();
  return static_cast<std::size_t>(st.st_size);
}

Result<UniqueFd> ReadOnlyFd(int fd, Backend backend) {
  if (backend != Backend::kMemfd)
    return ErrnoError(ENOTSUP);
  char link[32];
  (void)std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  UniqueFd ro(RetryOnEintr([&] { return open(link, O_RDONLY | O_CLOEXEC); }));
  if (!ro.valid())
    return LastError();
  return ro;
}

bool IsReadOnlyFd(int fd) noexcept {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_ACCMODE) == O_RDONLY;
}

Result<int> GetProt(int fd, Backend backend) {
  int prot = kAllProt;
  if (backend == Backend::kAshmem) {
    long mask = Ioctl(fd, ASHMEM_GET_PROT_MASK, 0UL);
    if (mask < 0)
      return LastError();
    prot = static_cast<int>(mask);
  } else {
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
      return LastError();
    if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
      prot &= ~PROT_WRITE;
  }
  // Whatever the region grants, an O_RDONLY fd cannot map it writable.
  if (IsReadOnlyFd(fd))
    prot &= ~PROT_WRITE;
  return prot;
}

Result<void> SetProt(int fd, Backend backend, int prot) {
  if (backend == Backend::kAshmem) {
    if (Ioctl(fd, ASHMEM_SET_PROT_MASK, static_cast<unsigned long>(prot)) < 0)
      return LastError();
    return {};
  }
  if ((prot & ~kAllProt) != 0)
    return ErrnoError(EINVAL);
  Result<int> current = GetProt(fd, backend);
  if (!current.ok())
    return current.error();
  if ((prot & ~*current) != 0)
    return ErrnoError(EINVAL);  // the set only shrinks
  if ((prot & PROT_WRITE) == 0 && (*current & PROT_WRITE) != 0) {
    // As libcutils does: read-only for good, and no holder may add seals
    // (F_SEAL_WRITE) after this.
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0)
      return LastError();
  }
  return {};
}

Result<int> Pin(int fd, Backend backend, PinOp op, std::size_t offset, std::size_t length) {
  // struct ashmem_pin has 32-bit fields: refuse what they cannot hold
  // rather than let it wrap.
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  if (offset > kMax || length > kMax)
    return ErrnoError(EINVAL);
  if (backend == Backend::kAshmem) {
    struct ashmem_pin pin = {static_cast<__u32>(offset), static_cast<__u32>(length)};
    unsigned long cmd = op == PinOp::kPin     ? ASHMEM_PIN
                        : op == PinOp::kUnpin ? ASHMEM_UNPIN
                                              : ASHMEM_GET_PIN_STATUS;
    long ret = Ioctl(fd, cmd, &pin);
    if (ret < 0)
      return LastError();
    return static_cast<int>(ret);
  }
  Result<std::size_t> size = GetSize(fd, backend);
  if (!size.ok())
    return size.error();
  if (Result<void> ok = CheckPinRange(*size, offset, length); !ok.ok())
    return ok.error();
  // Nothing is ever purged or unpinned: PIN reports ASHMEM_NOT_PURGED (0),
  // UNPIN succeeds (0), and every range counts as pinned.
  return op == PinOp::kGetStatus ? ASHMEM_IS_PINNED : 0;
}

Result<std::uint64_t> GetFileId(int fd, Backend backend) {
  if (backend == Backend::kAshmem) {
    unsigned long id = 0;
    if (Ioctl(fd, ASHMEM_GET_FILE_ID, &id) < 0)
      return LastError();
    return static_cast<std::uint64_t>(id);
  }
  struct stat st = {};
  if (fstat(fd, &st) < 0)
    return LastError();
  return static_cast<std::uint64_t>(st.st_ino);
}

std::string GetName(int fd, Backend backend) {
  ErrnoRestorer keep_errno;
  if (backend == Backend::kAshmem) {
    char buf[ASHMEM_NAME_LEN] = {};
    if (Ioctl(fd, ASHMEM_GET_NAME, buf) < 0)
      return {};
    buf[sizeof(buf) - 1] = '\0';
    if (std::strcmp(buf, ASHMEM_NAME_DEF) == 0)
      return {};
    return buf;
  }
  // A memfd's link reads "/memfd:<name> (deleted)".
  char link[32];
  char target[PATH_MAX];
  (void)std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof(target));
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof(target))
    return {};
  std::string_view name(target, static_cast<std::size_t>(n));
  constexpr std::string_view kPrefix = "/memfd:";
  constexpr std::string_view kSuffix = " (deleted)";
  if (!name.starts_with(kPrefix))
    return {};
  name.remove_prefix(kPrefix.size());
  if (name.ends_with(kSuffix))
    name.remove_suffix(kSuffix.size());
  return std::string(name);
}

int ToErrno(std::error_code error) noexcept {
  if (error.category() == std::generic_category() || error.category() == std::system_category()) {
    return error.value();
  }
  return EIO;
}

}  // namespace ashmem::internal
