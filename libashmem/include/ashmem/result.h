// SPDX-License-Identifier: Apache-2.0
//
// Result<T>: a value or the reason there is none, for an API that throws
// nothing.
//
//   ashmem::Result<ashmem::Region> region = ashmem::Region::Create("frames", 1 << 20);
//   if (!region.ok()) {
//     fprintf(stderr, "create: %s\n", region.error().message().c_str());
//     return -1;
//   }
//   ashmem::Region r = std::move(region).value();
//
// Errors are std::error_code: errno values in std::generic_category() (so
// they compare equal to std::errc constants), and the library's own
// conditions, ashmem::Error, in ashmem::ErrorCategory().
#ifndef LIBASHMEM_ASHMEM_RESULT_H_
#define LIBASHMEM_ASHMEM_RESULT_H_

#include <cassert>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace ashmem {

// Failures that are not an errno.  Append only: the values are stable.
enum class Error {
  // A purgeable region was purged by the kernel: its contents are gone.
  kPurged = 1,
  // A channel slot is still being written: the producer is slow, or died
  // in the middle of a write.
  kWriteInProgress,
  // A channel has no message that the reader has not seen yet.
  kNoMessage,
  // The memory does not start with a channel header (wrong magic).
  kBadMagic,
  // The channel header has a version this library does not speak.
  kBadVersion,
  // The channel header is inconsistent (unknown state, impossible length).
  kCorruptHeader,
  // The payload does not match the checksum in the channel header.
  kChecksumMismatch,
  // A peer sent a message that does not follow the region server protocol.
  kProtocol,
};

// The category of ashmem::Error; its name() is "ashmem".
const std::error_category& ErrorCategory() noexcept;

inline std::error_code make_error_code(Error e) noexcept {
  return {static_cast<int>(e), ErrorCategory()};
}

// The error_code for an errno value, e.g. ErrnoError(errno).
inline std::error_code ErrnoError(int errnum) noexcept {
  return {errnum, std::generic_category()};
}

namespace internal {
// Writes "value() of an ashmem::Result that holds an error: <category>:<value>
// <message>" to stderr and calls std::abort().  The one place the library
// ends the process: a caller that reads the value of an error has a bug, and
// there is no value to give it.
[[noreturn]] void DieOnValueOfError(std::error_code error) noexcept;
}  // namespace internal

// Holds either a T or a non-zero std::error_code.  Move it out with
// std::move(result).value() once ok() is true.  Calling value() (or *, ->)
// on an error is a precondition violation with a defined outcome in every
// build type: the process prints the error to stderr and aborts (see
// internal::DieOnValueOfError).  Check ok() first; bad input to the library
// is always reported as an error, never by aborting.
//
// Thread-safety: like T; a Result is a plain value.
template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_reference_v<T>, "Result holds values");

  Result(T value) : value_(std::move(value)) {}    // NOLINT(google-explicit-constructor)
  Result(std::error_code error) : error_(error) {  // NOLINT(google-explicit-constructor)
    assert(error_ && "a Result error must be non-zero");
  }
  Result(Error error) : Result(make_error_code(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  // The error; a default (zero) error_code when ok().
  std::error_code error() const noexcept { return error_; }

  T& value() & {
    CheckOk();
    return *value_;
  }
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void CheckOk() const noexcept {
    if (!value_.has_value()) [[unlikely]]
      internal::DieOnValueOfError(error_);
  }

  std::optional<T> value_;
  std::error_code error_;
};

// Success or an error, with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(std::error_code error) : error_(error) {  // NOLINT(google-explicit-constructor)
    assert(error_ && "a Result error must be non-zero");
  }
  Result(Error error) : Result(make_error_code(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return ok(); }
  std::error_code error() const noexcept { return error_; }

 private:
  std::error_code error_;
};

}  // namespace ashmem

namespace std {
template <>
struct is_error_code_enum<ashmem::Error> : true_type {};
}  // namespace std

#endif  // LIBASHMEM_ASHMEM_RESULT_H_
