// SPDX-License-Identifier: Apache-2.0
//
// MemoryHeap and Memory: Android's MemoryHeapBase/IMemoryHeap and
// MemoryBase/IMemory.  A heap is one region, mapped once per process; a
// Memory is a block of it, (heap, offset, size), that travels without an fd
// of its own once the receiver has the heap.
//
//   // sender
//   auto heap = ashmem::MemoryHeap::Create("frames", 1 << 20);
//   auto block = (*heap)->Block(4096, 1024);
//   ashmem::Parcel p;
//   ashmem::WriteHeap(p, **heap);          // once: the fd
//   ashmem::WriteMemory(p, *block);        // any number: 24 bytes each
//
//   // receiver
//   ashmem::HeapCache heaps;
//   auto got = heaps.ReadHeap(p);          // maps it (only the first time)
//   auto mem = heaps.ReadMemory(p);        // bounds-checked against the heap
//   Use(mem->span());
#ifndef LIBASHMEM_ASHMEM_MEMORY_HEAP_H_
#define LIBASHMEM_ASHMEM_MEMORY_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include <ashmem/binder.h>
#include <ashmem/mapping.h>
#include <ashmem/region.h>
#include <ashmem/result.h>

namespace ashmem {

class Memory;

// One region and its one mapping in this process.  Shared (std::shared_ptr):
// every Memory in it keeps it, and so its mapping, alive.
//
// Thread-safety: immutable after creation; the memory it maps is shared and
// callers coordinate access to it.
class MemoryHeap final : public std::enable_shared_from_this<MemoryHeap> {
 public:
  // Creates a region of size bytes (size > 0, else EINVAL) and maps all of
  // it read-write.  Fails as Region::Create and Region::Map do.
  static Result<std::shared_ptr<MemoryHeap>> Create(std::string_view name, std::size_t size,
                                                    std::optional<Backend> backend = std::nullopt);
  // Maps all of region, read-write if it still grants PROT_WRITE, else
  // read-only, and takes it over.  Fails as Region::Map does, EINVAL for an
  // invalid or empty region.
  static Result<std::shared_ptr<MemoryHeap>> Map(Region region);

  MemoryHeap(const MemoryHeap&) = delete;
  MemoryHeap& operator=(const MemoryHeap&) = delete;
  MemoryHeap(MemoryHeap&&) = delete;
  MemoryHeap& operator=(MemoryHeap&&) = delete;
  ~MemoryHeap() = default;

  const Region& region() const noexcept { return region_; }
  std::size_t size() const noexcept { return region_.size(); }
  bool writable() const noexcept { return writable_; }
  // What identifies the heap to a receiver: Region::FileId(), the same in
  // every process that holds the region.
  std::uint64_t id() const noexcept { return id_; }
  // All of the heap's memory; const when the heap is read-only.
  std::span<const std::byte> span() const noexcept { return mapping_.span(); }
  // Empty when the heap is read-only.
  std::span<std::byte> mutable_span() const noexcept;

  // The block [offset, offset + size) of this heap.  EINVAL if size is 0 or
  // the block does not lie inside the heap.
  Result<Memory> Block(std::size_t offset, std::size_t size) const;

 private:
  struct Token {};

 public:
  // For std::make_shared only: use Create or Map.
  MemoryHeap(Token, Region region, Mapping mapping, bool writable, std::uint64_t id) noexcept;

 private:
  Region region_;
  Mapping mapping_;
  bool writable_ = false;
  std::uint64_t id_ = 0;
};

// A block of a heap.  Copyable (it shares the heap); an empty Memory has no
// heap.  Thread-safety: as MemoryHeap.
class Memory final {
 public:
  Memory() = default;

  const std::shared_ptr<const MemoryHeap>& heap() const noexcept { return heap_; }
  std::size_t offset() const noexcept { return offset_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return heap_ == nullptr; }

  std::span<const std::byte> span() const noexcept;
  // Empty when the heap is read-only.
  std::span<std::byte> mutable_span() const noexcept;

 private:
  friend class MemoryHeap;
  Memory(std::shared_ptr<const MemoryHeap> heap, std::size_t offset, std::size_t size) noexcept
      : heap_(std::move(heap)), offset_(offset), size_(size) {}

  std::shared_ptr<const MemoryHeap> heap_;
  std::size_t offset_ = 0;
  std::size_t size_ = 0;
};

// Writes heap to parcel: its id, its size, and its fd as an fd object (the
// fd is borrowed, see Parcel).
void WriteHeap(Parcel& parcel, const MemoryHeap& heap);
// Writes block to parcel as its heap's id, offset and size: no fd.  A
// receiver must have had the heap (WriteHeap) first.  EINVAL for an empty
// block.
Result<void> WriteMemory(Parcel& parcel, const Memory& block);

// The heaps a receiver has been sent, each mapped once however many blocks
// of it arrive.  Not thread-safe.
class HeapCache final {
 public:
  // Reads what WriteHeap wrote.  A heap already known (the same id) is
  // returned as it is and the new fd closed, so it is never mapped twice.
  // Error::kProtocol if the parcel does not hold a heap, or the fd's region
  // is not the size or the id the sender said; errors of Region::Adopt and
  // MemoryHeap::Map.
  Result<std::shared_ptr<MemoryHeap>> ReadHeap(Parcel& parcel);
  // Reads what WriteMemory wrote.  ENOENT for a heap this cache has not been
  // sent; Error::kProtocol if the block is empty or does not lie inside its
  // heap (checked here, whatever the sender checked).
  Result<Memory> ReadMemory(Parcel& parcel);
  // How many heaps are mapped.
  std::size_t size() const noexcept { return heaps_.size(); }

 private:
  std::map<std::uint64_t, std::shared_ptr<MemoryHeap>> heaps_;
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_MEMORY_HEAP_H_
