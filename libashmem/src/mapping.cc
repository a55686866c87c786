// SPDX-License-Identifier: Apache-2.0
#include <ashmem/mapping.h>

#include <sys/mman.h>

#include <cerrno>
#include <utility>

namespace ashmem {

Mapping::Mapping(void* base, std::size_t mapped_size, std::size_t slack, std::size_t size,
                 int prot) noexcept
    : base_(base),
      mapped_size_(mapped_size),
      data_(static_cast<std::byte*>(base) + slack),
      size_(size),
      prot_(prot),
      max_prot_(prot) {}

Mapping::Mapping(Mapping&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_size_(std::exchange(other.mapped_size_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      prot_(std::exchange(other.prot_, 0)),
      max_prot_(std::exchange(other.max_prot_, 0)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    Reset();
    base_ = std::exchange(other.base_, nullptr);
    mapped_size_ = std::exchange(other.mapped_size_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    prot_ = std::exchange(other.prot_, 0);
    max_prot_ = std::exchange(other.max_prot_, 0);
  }
  return *this;
}

bool Mapping::writable() const noexcept {
  return (prot_ & PROT_WRITE) != 0;
}

Result<void> Mapping::Protect(int prot) {
  if (base_ == nullptr || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0)
    return ErrnoError(EINVAL);
  // The kernel would let a mapping made read-only before the region lost
  // PROT_WRITE become writable: it only clamps mappings made after.
  if ((prot & ~max_prot_) != 0)
    return ErrnoError(EACCES);
  if (mprotect(base_, mapped_size_, prot) < 0)
    return ErrnoError(errno);
  prot_ = prot;
  return {};
}

void Mapping::Reset() noexcept {
  if (base_ != nullptr) {
    int saved = errno;
    munmap(base_, mapped_size_);
    errno = saved;
  }
  base_ = nullptr;
  mapped_size_ = 0;
  data_ = nullptr;
  size_ = 0;
  prot_ = 0;
  max_prot_ = 0;
}

}  // namespace ashmem
