// SPDX-License-Identifier: Apache-2.0
#include <ashmem/memory_heap.h>

#include <sys/mman.h>

namespace ashmem {

MemoryHeap::MemoryHeap(Token, Region region, Mapping mapping, bool writable,
                       std::uint64_t id) noexcept
    : region_(std::move(region)), mapping_(std::move(mapping)), writable_(writable), id_(id) {}

Result<std::shared_ptr<MemoryHeap>> MemoryHeap::Create(std::string_view name, std::size_t size,
                                                       std::optional<Backend> backend) {
  if (size == 0)
    return ErrnoError(EINVAL);
  Result<Region> region = Region::Create(name, size, backend);
  if (!region.ok())
    return region.error();
  return Map(std::move(region).value());
}

Result<std::shared_ptr<MemoryHeap>> MemoryHeap::Map(Region region) {
  if (!region.valid() || region.size() == 0)
    return ErrnoError(EINVAL);
  Result<int> prot = region.Prot();
  if (!prot.ok())
    return prot.error();
  const bool writable = (*prot & PROT_WRITE) != 0;
  Result<Mapping> mapping = region.Map(writable ? PROT_READ | PROT_WRITE : PROT_READ);
  if (!mapping.ok())
    return mapping.error();
  // On ashmem the id exists once the region has been mapped: now.
  Result<std::uint64_t> id = region.FileId();
  if (!id.ok())
    return id.error();
  return std::make_shared<MemoryHeap>(Token{}, std::move(region), std::move(mapping).value(),
                                      writable, *id);
}

std::span<std::byte> MemoryHeap::mutable_span() const noexcept {
  if (!writable_)
    return {};
  return mapping_.span();
}

Result<Memory> MemoryHeap::Block(std::size_t offset, std::size_t size) const {
  if (size == 0 || offset > this->size() || size > this->size() - offset)
    return ErrnoError(EINVAL);
  return Memory(shared_from_this(), offset, size);
}

std::span<const std::byte> Memory::span() const noexcept {
  if (heap_ == nullptr)
    return {};
  return heap_->span().subspan(offset_, size_);
}

std::span<std::byte> Memory::mutable_span() const noexcept {
  if (heap_ == nullptr || !heap_->writable())
    return {};
  return heap_->mutable_span().subspan(offset_, size_);
}

void WriteHeap(Parcel& parcel, const MemoryHeap& heap) {
  parcel.WriteUint64(heap.id());
  parcel.WriteUint64(heap.size());
  parcel.WriteFd(heap.region().fd());
}

Result<void> WriteMemory(Parcel& parcel, const Memory& block) {
  if (block.empty())
    return ErrnoError(EINVAL);
  parcel.WriteUint64(block.heap()->id());
  parcel.WriteUint64(block.offset());
  parcel.WriteUint64(block.size());
  return {};
}

Result<std::shared_ptr<MemoryHeap>> HeapCache::ReadHeap(Parcel& parcel) {
  Result<std::uint64_t> id = parcel.ReadUint64();
  if (!id.ok())
    return id.error();
  Result<std::uint64_t> size = parcel.ReadUint64();
  if (!size.ok())
    return size.error();
  Result<UniqueFd> fd = parcel.ReadFd();
  if (!fd.ok())
    return fd.error();
  if (auto it = heaps_.find(*id); it != heaps_.end()) {
    // Mapped already: the new fd goes (closed with fd).
    if (it->second->size() != *size)
      return Error::kProtocol;
    return it->second;
  }
  Result<Region> region = Region::Adopt(std::move(fd).value());
  if (!region.ok())
    return region.error();
  if (region->size() != *size)
    return Error::kProtocol;
  Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Map(std::move(region).value());
  if (!heap.ok())
    return heap.error();
  if ((*heap)->id() != *id)
    return Error::kProtocol;
  heaps_.emplace(*id, *heap);
  return heap;
}

Result<Memory> HeapCache::ReadMemory(Parcel& parcel) {
  Result<std::uint64_t> id = parcel.ReadUint64();
  if (!id.ok())
    return id.error();
  Result<std::uint64_t> offset = parcel.ReadUint64();
  if (!offset.ok())
    return offset.error();
  Result<std::uint64_t> size = parcel.ReadUint64();
  if (!size.ok())
    return size.error();
  auto it = heaps_.find(*id);
  if (it == heaps_.end())
    return ErrnoError(ENOENT);
  Result<Memory> block = it->second->Block(*offset, *size);
  if (!block.ok())
    return Error::kProtocol;
  return block;
}

}  // namespace ashmem
