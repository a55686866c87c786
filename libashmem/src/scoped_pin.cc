// SPDX-License-Identifier: Apache-2.0
#include <ashmem/scoped_pin.h>

#include <utility>

#include "backend.h"

namespace ashmem {

ScopedPin::ScopedPin(int fd, Backend backend, std::size_t offset, std::size_t length,
                     PinState state) noexcept
    : fd_(fd), backend_(backend), offset_(offset), length_(length), state_(state) {}

Result<ScopedPin> ScopedPin::Create(Region& region, std::size_t offset, std::size_t length) {
  Result<PinState> state = region.Pin(offset, length);
  if (!state.ok())
    return state.error();
  return ScopedPin(region.fd(), region.backend(), offset, length, *state);
}

ScopedPin::ScopedPin(ScopedPin&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      backend_(other.backend_),
      offset_(other.offset_),
      length_(other.length_),
      state_(other.state_) {}

ScopedPin& ScopedPin::operator=(ScopedPin&& other) noexcept {
  if (this != &other) {
    ScopedPin old(std::move(*this));  // unpins what this held
    fd_ = std::exchange(other.fd_, -1);
    backend_ = other.backend_;
    offset_ = other.offset_;
    length_ = other.length_;
    state_ = other.state_;
  }
  return *this;
}

ScopedPin::~ScopedPin() {
  if (fd_ < 0)
    return;
  internal::ErrnoRestorer keep_errno;
  (void)internal::Pin(fd_, backend_, internal::PinOp::kUnpin, offset_, length_);
}

}  // namespace ashmem
