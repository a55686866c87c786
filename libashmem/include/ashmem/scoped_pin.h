// SPDX-License-Identifier: Apache-2.0
//
// ScopedPin: keeps a range of a purgeable region pinned for a scope.
//
//   region.Unpin();                        // cache content, may be purged
//   ...
//   auto pin = ashmem::ScopedPin::Create(region);
//   if (!pin.ok()) return pin.error();
//   if (pin->state() == ashmem::PinState::kPurged) Regenerate(mapping);
//   Use(mapping);                          // cannot be purged here
//   // unpinned again when pin goes out of scope
#ifndef LIBASHMEM_ASHMEM_SCOPED_PIN_H_
#define LIBASHMEM_ASHMEM_SCOPED_PIN_H_

#include <cstddef>

#include <ashmem/region.h>
#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem {

// Pins a range on creation and unpins it on destruction.  Move-only.
//
// It holds its own fd for the region (a close-on-exec dup), so it may
// outlive the Region it was made from: the unpin always reaches the region
// that was pinned, never whatever file later takes over the Region's fd
// number.  The dup also keeps the region's memory alive until the pin ends.
// Pins do not nest in the kernel, so two overlapping ScopedPins unpin the
// overlap when the first one ends.
// Thread-safety: none of its own; see Region.
class ScopedPin final {
 public:
  // Pins [offset, offset + length) of region (length 0: to the end).  Fails
  // as Region::Pin does, and with EMFILE (or another error of dup) if no fd
  // is left for the pin to own; nothing is pinned then.
  static Result<ScopedPin> Create(Region& region, std::size_t offset = 0, std::size_t length = 0);

  ScopedPin(ScopedPin&& other) noexcept;
  ScopedPin& operator=(ScopedPin&& other) noexcept;
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;
  // Unpins the range; an error there is ignored (errno is preserved).
  ~ScopedPin();

  // What pinning found: kPurged means the range must be refilled.
  PinState state() const noexcept { return state_; }

 private:
  ScopedPin(UniqueFd fd, Backend backend, std::size_t offset, std::size_t length,
            PinState state) noexcept;

  UniqueFd fd_;  // the pin's own fd for the region
  Backend backend_ = Backend::kMemfd;
  std::size_t offset_ = 0;
  std::size_t length_ = 0;
  PinState state_ = PinState::kRetained;
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_SCOPED_PIN_H_
