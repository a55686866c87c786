// SPDX-License-Identifier: Apache-2.0
#include <ashmem/region.h>

#include <linux/ashmem.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cstdlib>
#include <string_view>

#include "backend.h"

namespace ashmem {

using internal::ErrnoRestorer;
using internal::PinOp;

std::string_view BackendName(Backend backend) noexcept {
  return backend == Backend::kAshmem ? "ashmem" : "memfd";
}

bool AshmemDeviceAvailable() {
  ErrnoRestorer keep_errno;
  return internal::OpenDevice().ok();
}

Result<Backend> DefaultBackend() {
  UniqueFd device;
  return internal::ChooseBackend(&device);
}

Result<std::size_t> PurgeAllCaches() {
  Result<UniqueFd> fd = internal::OpenDevice();
  if (!fd.ok())
    return fd.error();
  int pages = internal::RetryOnEintr([&] { return ioctl(fd->get(), ASHMEM_PURGE_ALL_CACHES); });
  if (pages < 0)
    return ErrnoError(errno);
  return static_cast<std::size_t>(pages);
}

Region::Region(UniqueFd fd, Backend backend, std::size_t size, std::string name,
               bool read_only) noexcept
    : fd_(std::move(fd)),
      backend_(backend),
      size_(size),
      name_(std::move(name)),
      read_only_(read_only) {}

Result<Region> Region::Create(std::string_view name, std::size_t size,
                              std::optional<Backend> backend) {
  // The area opened to choose the backend is the region's: the device is
  // opened once per creation.
  UniqueFd device;
  if (!backend) {
    Result<Backend> chosen = internal::ChooseBackend(&device);
    if (!chosen.ok())
      return chosen.error();
    backend = *chosen;
  }
  // Both kernels take the name as a C string: a NUL inside would cut it
  // without telling anyone.
  if (name.find('\0') != std::string_view::npos)
    return ErrnoError(EINVAL);
  name = name.substr(0, MaxNameLength(*backend));
  Result<UniqueFd> fd = internal::CreateFd(*backend, name, size, std::move(device));
  if (!fd.ok())
    return fd.error();
  return Region(std::move(fd).value(), *backend, size, std::string(name), false);
}

Result<MappedReadOnlyRegion> Region::CreateMappedReadOnly(std::string_view name, std::size_t size,
                                                          std::optional<Backend> backend) {
  if (size == 0)
    return ErrnoError(EINVAL);
  Result<Region> region = Create(name, size, backend);
  if (!region.ok())
    return region.error();
  Result<Mapping> mapping = region->Map(PROT_READ | PROT_WRITE);
  if (!mapping.ok())
    return mapping.error();
  if (region->backend_ == Backend::kAshmem) {
    // The mask is the area's: every fd of it is read-only from now on,
    // while the mapping just made keeps writing.
    if (Result<void> ret = region->RestrictProt(PROT_READ); !ret.ok())
      return ret.error();
    region->read_only_ = true;
    return MappedReadOnlyRegion{std::move(region).value(), std::move(mapping).value()};
  }
  Result<UniqueFd> ro = internal::ReadOnlyFd(region->fd(), Backend::kMemfd);
  if (!ro.ok())
    return ro.error();
  // Sealed too, so that a writable reopen of the O_RDONLY fd through /proc
  // can neither map writable nor write; the producer's mapping predates the
  // seal and keeps writing.
  if (Result<void> ret = region->RestrictProt(PROT_READ | PROT_EXEC); !ret.ok())
    return ret.error();
  Region read_only(std::move(ro).value(), Backend::kMemfd, region->size_, std::move(region->name_),
                   true);
  return MappedReadOnlyRegion{std::move(read_only), std::move(mapping).value()};
}

Result<Region> Region::Adopt(UniqueFd fd) {
  Result<Backend> backend = internal::Identify(fd.get());
  if (!backend.ok())
    return backend.error();
  Result<std::size_t> size = internal::GetSize(fd.get(), *backend);
  if (!size.ok())
    return size.error();
  std::string name = internal::GetName(fd.get(), *backend);
  const bool read_only = internal::IsReadOnlyFd(fd.get());
  return Region(std::move(fd), *backend, *size, std::move(name), read_only);
}

Result<UniqueFd> Region::DupFd() const {
  return ashmem::DupFd(fd_.get());
}

Result<int> Region::Prot() const {
  return internal::GetProt(fd_.get(), backend_);
}

Result<void> Region::RestrictProt(int prot) {
  return internal::SetProt(fd_.get(), backend_, prot);
}

Result<Mapping> Region::Map(int prot, std::size_t offset, std::size_t length) const {
  if (!valid())
    return ErrnoError(EBADF);
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0)
    return ErrnoError(EINVAL);
  // The kernel says EACCES for an O_RDONLY fd; EPERM, as for a mask or a
  // seal, is what "the region does not grant it" means here.
  if (read_only_ && (prot & PROT_WRITE) != 0)
    return ErrnoError(EPERM);
  if (offset >= size_)
    return ErrnoError(EINVAL);
  if (length == 0)
    length = size_ - offset;
  if (length > size_ - offset)
    return ErrnoError(EINVAL);
  const std::size_t page = internal::PageSize();
  const std::size_t start = offset / page * page;
  const std::size_t slack = offset - start;
  const std::size_t mapped = (slack + length + page - 1) / page * page;
  void* base = mmap(nullptr, mapped, prot, MAP_SHARED, fd_.get(), static_cast<off_t>(start));
  if (base == MAP_FAILED)
    return ErrnoError(errno);
  return Mapping(base, mapped, slack, length, prot);
}

Result<ReadOnlyMapping> Region::MapReadOnly(std::size_t offset, std::size_t length) const {
  Result<Mapping> mapping = Map(PROT_READ, offset, length);
  if (!mapping.ok())
    return mapping.error();
  return ReadOnlyMapping(std::move(mapping).value());
}

Result<PinState> Region::Pin(std::size_t offset, std::size_t length) {
  Result<int> ret = internal::Pin(fd_.get(), backend_, PinOp::kPin, offset, length);
  if (!ret.ok())
    return ret.error();
  return *ret == ASHMEM_WAS_PURGED ? PinState::kPurged : PinState::kRetained;
}

Result<void> Region::Unpin(std::size_t offset, std::size_t length) {
  Result<int> ret = internal::Pin(fd_.get(), backend_, PinOp::kUnpin, offset, length);
  if (!ret.ok())
    return ret.error();
  return {};
}

Result<bool> Region::IsPinned(std::size_t offset, std::size_t length) const {
  Result<int> ret = internal::Pin(fd_.get(), backend_, PinOp::kGetStatus, offset, length);
  if (!ret.ok())
    return ret.error();
  return *ret == ASHMEM_IS_PINNED;
}

Result<std::uint64_t> Region::FileId() const {
  return internal::GetFileId(fd_.get(), backend_);
}

}  // namespace ashmem
