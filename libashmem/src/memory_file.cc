// SPDX-License-Identifier: Apache-2.0
#include <ashmem/memory_file.h>

#include <sys/mman.h>

#include <cstring>

namespace ashmem {

MemoryFile::MemoryFile(Region region, Mapping mapping) noexcept
    : region_(std::move(region)), mapping_(std::move(mapping)) {}

Result<MemoryFile> MemoryFile::Create(std::string_view name, std::size_t size,
                                      std::optional<Backend> backend) {
  if (size == 0)
    return ErrnoError(EINVAL);
  Result<Region> region = Region::Create(name, size, backend);
  if (!region.ok())
    return region.error();
  Result<Mapping> mapping = region->Map(PROT_READ | PROT_WRITE);
  if (!mapping.ok())
    return mapping.error();
  return MemoryFile(std::move(region).value(), std::move(mapping).value());
}

Result<PinState> MemoryFile::AllowPurging(bool allow) {
  if (allow == purging_allowed_) {
    if (!allow && purged_) {
      purged_ = false;
      return PinState::kPurged;
    }
    return PinState::kRetained;
  }
  if (allow) {
    if (Result<void> ret = region_.Unpin(); !ret.ok())
      return ret.error();
    purging_allowed_ = true;
    return PinState::kRetained;
  }
  Result<PinState> state = region_.Pin();
  if (!state.ok())
    return state.error();
  purging_allowed_ = false;
  const bool lost = purged_ || *state == PinState::kPurged;
  purged_ = false;
  return lost ? PinState::kPurged : PinState::kRetained;
}

Result<std::size_t> MemoryFile::ReadBytes(std::span<std::byte> dest, std::size_t offset) {
  return Access(offset, dest.size(), dest.data(), nullptr);
}

Result<std::size_t> MemoryFile::WriteBytes(std::span<const std::byte> src, std::size_t offset) {
  return Access(offset, src.size(), nullptr, src.data());
}

Result<std::size_t> MemoryFile::Access(std::size_t offset, std::size_t length, std::byte* read_into,
                                       const std::byte* write_from) {
  if (offset > size() || length > size() - offset)
    return ErrnoError(EINVAL);
  if (purged_)
    return Error::kPurged;
  if (purging_allowed_) {
    // Pin for the copy, so the kernel cannot purge the range under it; if it
    // already has, report that rather than hand out zeros.
    Result<PinState> state = region_.Pin();
    if (!state.ok())
      return state.error();
    if (*state == PinState::kPurged) {
      purged_ = true;
      (void)region_.Unpin();
      return Error::kPurged;
    }
  }
  if (length != 0) {
    if (read_into != nullptr) {
      std::memcpy(read_into, mapping_.data() + offset, length);
    } else {
      std::memcpy(mapping_.data() + offset, write_from, length);
    }
  }
  if (purging_allowed_) {
    if (Result<void> ret = region_.Unpin(); !ret.ok())
      return ret.error();
  }
  return length;
}

}  // namespace ashmem
