// SPDX-License-Identifier: Apache-2.0
//
// Mapping: a region's memory mapped into this process.
//
//   ashmem::Result<ashmem::Mapping> m = region.Map(PROT_READ | PROT_WRITE);
//   if (!m.ok()) return m.error();
//   std::span<std::byte> bytes = m->span();
//
// A mapping stays valid after the Region it came from is moved, closed or
// destroyed: the kernel keeps the memory alive for as long as it is mapped.
#ifndef LIBASHMEM_ASHMEM_MAPPING_H_
#define LIBASHMEM_ASHMEM_MAPPING_H_

#include <cstddef>
#include <span>
#include <utility>

#include <ashmem/result.h>

namespace ashmem {

class Region;

// Owns one mmap() of a region (MAP_SHARED) and unmaps it on destruction.
// Move-only.  Made by Region::Map().
//
// size() is the length that was asked for; mapped_size() is what the kernel
// mapped, a whole number of pages that also covers the slack before an
// offset that was not page-aligned.  Only [data(), data() + size()) is for
// the caller.
//
// Thread-safety: the object is not synchronised; the memory it maps is
// shared with every other mapping of the region, in this process and others,
// and callers coordinate access to it themselves (for example with
// ashmem::Channel).
class Mapping final {
 public:
  // An empty mapping: data() is nullptr and size() is 0.
  Mapping() = default;
  ~Mapping() { Reset(); }

  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t mapped_size() const noexcept { return mapped_size_; }
  bool empty() const noexcept { return data_ == nullptr; }
  // The protection the mapping has now (PROT_* bits).
  int prot() const noexcept { return prot_; }
  bool writable() const noexcept;

  std::span<std::byte> span() const noexcept { return {data_, size_}; }

  // Changes the protection of the whole mapping (mprotect); EINVAL for a
  // bit other than PROT_READ, PROT_WRITE and PROT_EXEC.  A mapping never
  // gains a right it was not made with: asking for one fails with EACCES,
  // whatever the region grants now (so a read-only mapping made before
  // Region::RestrictProt stays read-only), while a right it dropped may be
  // taken back.  The kernel also refuses with EACCES a right the region no
  // longer grants to new mappings where it tracks it.  On failure the
  // mapping keeps its old protection.
  Result<void> Protect(int prot);

  // Unmaps now; the object becomes empty.
  void Reset() noexcept;

 private:
  friend class Region;
  friend class ReadOnlyMapping;
  Mapping(void* base, std::size_t mapped_size, std::size_t slack, std::size_t size,
          int prot) noexcept;

  void* base_ = nullptr;         // what mmap() returned
  std::size_t mapped_size_ = 0;  // what munmap() needs
  std::byte* data_ = nullptr;    // base_ + slack before the requested offset
  std::size_t size_ = 0;         // requested length
  int prot_ = 0;
  int max_prot_ = 0;  // the protection it was made with: Protect() stays within it
};

// A mapping that can only be read: made by Region::MapReadOnly() (PROT_READ)
// and exposing const memory, so that the type says what the kernel
// enforces.  Move-only; unmaps on destruction; outlives its Region.
//
// Thread-safety: as Mapping.
class ReadOnlyMapping final {
 public:
  // An empty mapping: data() is nullptr and size() is 0.
  ReadOnlyMapping() = default;

  const std::byte* data() const noexcept { return mapping_.data(); }
  std::size_t size() const noexcept { return mapping_.size(); }
  std::size_t mapped_size() const noexcept { return mapping_.mapped_size(); }
  bool empty() const noexcept { return mapping_.empty(); }
  std::span<const std::byte> span() const noexcept { return {data(), size()}; }

  // Unmaps now; the object becomes empty.
  void Reset() noexcept { mapping_.Reset(); }

 private:
  friend class Region;
  explicit ReadOnlyMapping(Mapping mapping) noexcept : mapping_(std::move(mapping)) {}

  Mapping mapping_;
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_MAPPING_H_
