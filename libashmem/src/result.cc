// SPDX-License-Identifier: Apache-2.0
#include <ashmem/result.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ashmem {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ashmem"; }

  std::string message(int value) const override {
    switch (static_cast<Error>(value)) {
      case Error::kPurged:
        return "the region was purged: its contents are gone";
      case Error::kWriteInProgress:
        return "the channel is being written (the producer stalled or died mid-write)";
      case Error::kNoMessage:
        return "the channel has no new message";
      case Error::kBadMagic:
        return "the memory does not hold a channel (bad magic)";
      case Error::kBadVersion:
        return "the channel has an unsupported version";
      case Error::kCorruptHeader:
        return "the channel header is corrupt";
      case Error::kChecksumMismatch:
        return "the channel payload does not match its checksum";
      case Error::kProtocol:
        return "the peer broke the region server protocol";
    }
    return "unknown ashmem error " + std::to_string(value);
  }
};

}  // namespace

namespace internal {

void DieOnValueOfError(std::error_code error) noexcept {
  // message() may allocate and so throw; a failure to describe the error
  // must not stop the process from ending.
  std::string text;
  try {
    text = error.message();
  } catch (...) {
    text = "(no description)";
  }
  std::fprintf(stderr, "value() of an ashmem::Result that holds an error: %s:%d %s\n",
               error.category().name(), error.value(), text.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal

const std::error_category& ErrorCategory() noexcept {
  static const Category category;
  return category;
}

}  // namespace ashmem
