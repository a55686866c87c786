// SPDX-License-Identifier: Apache-2.0
#include <ashmem/scoped_pin.h>

#include <utility>

#include "backend.h"

namespace ashmem {

ScopedPin::ScopedPin(UniqueFd fd, Backend backend, std::size_t offset, std::size_t length,
                     PinState state) noexcept
    : fd_(std::move(fd)), backend_(backend), offset_(offset), length_(length), state_(state) {}

Result<ScopedPin> ScopedPin::Create(Region& region, std::size_t offset, std::size_t length) {
  Result<UniqueFd> fd = region.DupFd();
  if (!fd.ok())
    return fd.error();
  Result<PinState> state = region.Pin(offset, length);
  if (!state.ok())
    return state.error();
  return ScopedPin(std::move(fd).value(), region.backend(), offset, length, *state);
}

ScopedPin::ScopedPin(ScopedPin&& other) noexcept
    : fd_(std::move(other.fd_)),
      backend_(other.backend_),
      offset_(other.offset_),
      length_(other.length_),
      state_(other.state_) {}

ScopedPin& ScopedPin::operator=(ScopedPin&& other) noexcept {
  if (this != &other) {
    ScopedPin old(std::move(*this));  // unpins what this held
    fd_ = std::move(other.fd_);
    backend_ = other.backend_;
    offset_ = other.offset_;
    length_ = other.length_;
    state_ = other.state_;
  }
  return *this;
}

ScopedPin::~ScopedPin() {
  if (!fd_.valid())
    return;
  internal::ErrnoRestorer keep_errno;
  (void)internal::Pin(fd_.get(), backend_, internal::PinOp::kUnpin, offset_, length_);
}

}  // namespace ashmem
