// SPDX-License-Identifier: Apache-2.0
//
// MemoryFile: a purgeable region with bounds-checked reads and writes, the
// class Android applications know as android.os.MemoryFile.
//
//   auto file = ashmem::MemoryFile::Create("thumbnail-cache", 1 << 20);
//   file->WriteBytes(pixels, 0);
//   file->AllowPurging(true);           // the kernel may drop it now
//   ...
//   auto n = file->ReadBytes(out, 0);
//   if (n.error() == ashmem::Error::kPurged) Regenerate();
#ifndef LIBASHMEM_ASHMEM_MEMORY_FILE_H_
#define LIBASHMEM_ASHMEM_MEMORY_FILE_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include <ashmem/mapping.h>
#include <ashmem/region.h>
#include <ashmem/result.h>

namespace ashmem {

// A region mapped read-write for its whole life, read and written at byte
// offsets.  Move-only.
//
// While purging is allowed the region is unpinned; each read or write pins
// it for the duration of the copy.  If the kernel purged it in between, the
// call fails with Error::kPurged instead of returning zeros, and keeps
// failing so until AllowPurging(false) acknowledges the loss.
//
// Thread-safety: not thread-safe; callers synchronise.  Other processes may
// map region() as well.
class MemoryFile final {
 public:
  // Creates a region of size bytes (size > 0, else EINVAL) and maps it.
  // Purging starts disallowed.  Fails as Region::Create and Region::Map do.
  static Result<MemoryFile> Create(std::string_view name, std::size_t size,
                                   std::optional<Backend> backend = std::nullopt);

  MemoryFile(MemoryFile&&) noexcept = default;
  MemoryFile& operator=(MemoryFile&&) noexcept = default;
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() = default;

  std::size_t size() const noexcept { return region_.size(); }
  // The region, to share its fd; the MemoryFile keeps owning it.
  const Region& region() const noexcept { return region_; }
  bool IsPurgingAllowed() const noexcept { return purging_allowed_; }

  // true: unpins the region, so the kernel may purge it; returns kRetained.
  // false: pins it again and returns kPurged if its contents were lost while
  // purging was allowed (now or as reported by an earlier read or write);
  // the contents then read as zeros, and reads and writes work again.
  Result<PinState> AllowPurging(bool allow);

  // Copies dest.size() bytes from offset into dest and returns that count.
  // EINVAL if [offset, offset + dest.size()) is not inside the file;
  // Error::kPurged as described above.
  Result<std::size_t> ReadBytes(std::span<std::byte> dest, std::size_t offset);
  // Copies src to offset and returns src.size(); fails as ReadBytes does.
  Result<std::size_t> WriteBytes(std::span<const std::byte> src, std::size_t offset);

 private:
  MemoryFile(Region region, Mapping mapping) noexcept;
  // Checks bounds, pins around the copy when purging is allowed.
  Result<std::size_t> Access(std::size_t offset, std::size_t length, std::byte* read_into,
                             const std::byte* write_from);

  Region region_;
  Mapping mapping_;
  bool purging_allowed_ = false;
  bool purged_ = false;  // a purge was seen and not yet acknowledged
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_MEMORY_FILE_H_
