// SPDX-License-Identifier: Apache-2.0
//
// Region: one area of shared memory, from /dev/ashmem or from memfd.
//
//   auto made = ashmem::Region::CreateMappedReadOnly("camera-frames", 4 << 20);
//   if (!made.ok()) return made.error();
//   ...fill made->mapping (writable, the producer's own)...
//   int fds[] = {made->region.fd()};     // read-only for whoever receives it
//   ashmem::SendFds(socket, payload, fds);
//
// Region::Create and Map give a region that every holder may write, until
// RestrictProt narrows it for all of them.
//
// A region is shared by sharing its fd: fork, dup, or SCM_RIGHTS (see
// <ashmem/fd_passing.h> and <ashmem/region_server.h>).  Every holder sees
// the same memory, size, protection mask and pins.
//
// Backends.  With /dev/ashmem (the Android driver), unpinned ranges may be
// purged by the kernel under memory pressure and Pin() then reports
// PinState::kPurged.  With memfd (memfd_create with sealing), the size is
// fixed by F_SEAL_GROW|F_SEAL_SHRINK, removing PROT_WRITE is
// F_SEAL_FUTURE_WRITE, and nothing is ever purged: Pin() reports kRetained.
// ASHMEM_BACKEND=ashmem|memfd in the environment forces the default choice.
#ifndef LIBASHMEM_ASHMEM_REGION_H_
#define LIBASHMEM_ASHMEM_REGION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ashmem/mapping.h>
#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem {

enum class Backend {
  kAshmem,  // /dev/ashmem
  kMemfd,   // memfd_create() with seals
};

// "ashmem" or "memfd".
std::string_view BackendName(Backend backend) noexcept;

// The longest region name backend stores, in bytes: 255 for ashmem
// (ASHMEM_NAME_LEN less the NUL), 249 for memfd (NAME_MAX less the kernel's
// "memfd:" prefix).  Region::Create cuts longer names to this length.
constexpr std::size_t MaxNameLength(Backend backend) noexcept {
  return backend == Backend::kAshmem ? 255 : 249;
}

// What Pin() found.
enum class PinState {
  kRetained,  // the contents are as they were left
  kPurged,    // the kernel dropped (part of) the range while it was unpinned; it reads as zeros
};

// The backend Region::Create() uses when none is given: ASHMEM_BACKEND if
// set ("ashmem" or "memfd"), else /dev/ashmem if it is present and answers
// as an ashmem device, else memfd.  Fails with ENODEV if ASHMEM_BACKEND is
// "ashmem" and the device is missing or not ashmem, and with EINVAL for any
// other value of ASHMEM_BACKEND.  Read anew on every call.
Result<Backend> DefaultBackend();

// True if the ashmem device opens and answers as ashmem.  It is looked up
// as libcutils looks it up: /dev/ashmem<boot_id> (the text of
// /proc/sys/kernel/random/boot_id without its newline), then /dev/ashmem.
// Opening it also teaches the library the device number by which it
// recognises ashmem fds from then on.
bool AshmemDeviceAvailable();

// Asks the kernel to purge every unpinned range of every ashmem region
// (ASHMEM_PURGE_ALL_CACHES) and returns how many pages were unpinned.
// Needs CAP_SYS_ADMIN (EPERM otherwise) and /dev/ashmem (ENODEV otherwise):
// memfd regions are never purged.
Result<std::size_t> PurgeAllCaches();

class Region;
struct MappedReadOnlyRegion;

// Owns the fd of one region.  Move-only; destroying it closes the fd, which
// frees the memory once no other fd or mapping refers to it.
//
// Offsets and lengths of Pin, Unpin and IsPinned must be multiples of the
// page size and lie inside the region rounded up to a page (EINVAL
// otherwise); a length of 0 means "to the end".  On the ashmem backend they
// also fail with EINVAL until the region has been mapped once, because the
// kernel only creates the memory then.
//
// Thread-safety: the methods only issue system calls and read immutable
// members, so const and non-const calls from several threads are safe; the
// kernel orders them.  Moving or destroying the object races with any call.
class Region final {
 public:
  // An invalid region (valid() is false).
  Region() = default;
  Region(Region&&) noexcept = default;
  Region& operator=(Region&&) noexcept = default;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region() = default;

  // Creates a region of size bytes called name (cut to
  // MaxNameLength(backend) bytes, so that name() here and in every adopter
  // agree) on backend, or on DefaultBackend() if none is given.  The fd is
  // close-on-exec; the memory reads as zeros and is pinned.  A memfd is made
  // with MFD_NOEXEC_SEAL where the kernel has it.  Fails with EINVAL for a
  // name with an embedded NUL or a size larger than the largest off_t,
  // ENODEV if the ashmem
  // backend is asked for and /dev/ashmem is missing, or the error of the
  // system call that failed.
  static Result<Region> Create(std::string_view name, std::size_t size,
                               std::optional<Backend> backend = std::nullopt);

  // Creates a region as Create() does, maps all of it writable for the
  // producer, then makes the region read-only for good: the returned region
  // is an fd through which no holder can map writable, write, seal or
  // resize, ready to be sent; the mapping stays writable.  "Map, then
  // restrict, then send" cannot be done in the wrong order with it.
  //   memfd:  the region is an O_RDONLY reopen of the memfd (through
  //           /proc/self/fd), and the memory is sealed with
  //           F_SEAL_FUTURE_WRITE|F_SEAL_SEAL, so that even a writable
  //           reopen through /proc cannot map writable or write; the
  //           writable fd is closed.
  //   ashmem: the area's mask is narrowed to PROT_READ.  The mask belongs to
  //           the area, not to an fd, as on Android.
  // Fails as Create() does, with EINVAL for size 0, as Map() does, and with
  // the error of the reopen (ENOENT without /proc) on memfd.
  static Result<MappedReadOnlyRegion> CreateMappedReadOnly(
      std::string_view name, std::size_t size, std::optional<Backend> backend = std::nullopt);

  // Takes ownership of fd, a region made by this library, libcutils or
  // another process (for example received with ReceiveFds).  Fails with
  // ENOTTY if fd is neither an ashmem fd (by device number) nor a memfd
  // whose size is sealed (F_SEAL_GROW and F_SEAL_SHRINK; other seals may be
  // present), EBADF if it is not open; fd is closed on failure.
  static Result<Region> Adopt(UniqueFd fd);

  bool valid() const noexcept { return fd_.valid(); }
  // The fd, still owned by the region: borrow it to send it or to pass it to
  // the C API.
  int fd() const noexcept { return fd_.get(); }
  // Gives up the fd; the region becomes invalid.
  [[nodiscard]] UniqueFd Release() && noexcept { return std::move(fd_); }
  // A second fd for the same region (close-on-exec), owned by the caller.
  Result<UniqueFd> DupFd() const;

  Backend backend() const noexcept { return backend_; }
  std::size_t size() const noexcept { return size_; }
  // The name given at creation, or what the backend reports for an adopted
  // fd (ASHMEM_GET_NAME, or the memfd name from /proc/self/fd; empty if
  // /proc is not mounted).
  const std::string& name() const noexcept { return name_; }

  // The protections the region may still be mapped with (PROT_* bits).  On
  // memfd: PROT_READ|PROT_EXEC, plus PROT_WRITE until it is removed.  An fd
  // opened O_RDONLY (a read-only region from CreateMappedReadOnly or a
  // RegionClient) never grants PROT_WRITE, on either backend.
  Result<int> Prot() const;

  // Narrows those protections to prot for every holder of the region, from
  // now on; existing mappings keep theirs.  EINVAL if prot asks for a bit
  // that is already gone or is not a PROT_* bit.  Only PROT_WRITE can be
  // removed on memfd; the other bits are accepted and not enforced.
  Result<void> RestrictProt(int prot);

  // Maps [offset, offset + length) of the region, shared, with prot; length
  // 0 means "to the end".  offset need not be page-aligned.  The mapping is
  // owned by the caller and outlives the region.  Fails with EINVAL for an
  // empty or out-of-bounds range or a prot bit other than PROT_READ,
  // PROT_WRITE and PROT_EXEC, EPERM if prot asks for more than Prot().
  Result<Mapping> Map(int prot, std::size_t offset = 0, std::size_t length = 0) const;

  // Maps [offset, offset + length) read-only, as Map(PROT_READ, ...) does,
  // and hands out const memory.
  Result<ReadOnlyMapping> MapReadOnly(std::size_t offset = 0, std::size_t length = 0) const;

  // Pins the range again: the kernel may no longer purge it.  Reports
  // kPurged if any part was purged while unpinned (it then reads as zeros).
  Result<PinState> Pin(std::size_t offset = 0, std::size_t length = 0);
  // Unpins the range: under memory pressure the kernel may drop it.  Pins
  // and unpins do not nest: one Pin undoes any number of Unpins.
  Result<void> Unpin(std::size_t offset = 0, std::size_t length = 0);
  // False if any page of the range is unpinned.  Always true on memfd.
  Result<bool> IsPinned(std::size_t offset = 0, std::size_t length = 0) const;

  // A number that identifies the region's memory: the same for every fd of
  // one region, different for two live regions (the inode number of the
  // backing file).  On ashmem: EINVAL until the region is first mapped.
  Result<std::uint64_t> FileId() const;

 private:
  Region(UniqueFd fd, Backend backend, std::size_t size, std::string name, bool read_only) noexcept;

  UniqueFd fd_;
  Backend backend_ = Backend::kMemfd;
  std::size_t size_ = 0;
  std::string name_;
  bool read_only_ = false;  // the fd is O_RDONLY: nothing maps it writable
};

// What Region::CreateMappedReadOnly returns.
struct MappedReadOnlyRegion {
  Region region;    // read-only for every holder; send it
  Mapping mapping;  // the producer's writable mapping of the whole region
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_REGION_H_
