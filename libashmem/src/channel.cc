// SPDX-License-Identifier: Apache-2.0
//
// The channel protocol (see <ashmem/channel.h> for the header layout).
//
// Ordering.  The writer stores WRITING, issues a release fence, writes the
// payload and the length, checksum and sequence, and publishes with a
// release store of READY.  The reader loads the state with acquire, copies,
// issues an acquire fence and loads the state and sequence again: if either
// changed, the copy may be torn and is thrown away.  This is a sequence lock
// that the writer's "never touch a READY slot" rule makes almost never
// retry; the XXH3 checksum then catches corruption by anyone else.
#include <ashmem/channel.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstring>
#include <ctime>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "backend.h"

namespace ashmem {
namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as FUTEX_WAIT_BITSET expects
using State = Channel::State;

struct Header {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t header_size;
  std::uint32_t state;
  std::uint32_t reserved;
  std::uint64_t sequence;
  std::uint64_t payload_length;
  std::uint64_t checksum;
  std::uint8_t reserved2[24];
};
static_assert(sizeof(Header) == Channel::kHeaderSize);
static_assert(offsetof(Header, state) == 8);
static_assert(offsetof(Header, sequence) == 16);
static_assert(offsetof(Header, payload_length) == 24);
static_assert(offsetof(Header, checksum) == 32);

// Every access to the shared header goes through atomic_ref: the other side
// is another process that may write at any time.
template <typename T>
std::atomic_ref<T> Field(T& field) {
  return std::atomic_ref<T>(field);
}

Header& HeaderOf(const Mapping& mapping) {
  return *reinterpret_cast<Header*>(mapping.data());
}
std::byte* PayloadOf(const Mapping& mapping) {
  return mapping.data() + Channel::kHeaderSize;
}

std::uint64_t Checksum(const void* data, std::size_t length) {
  return XXH3_64bits(data, length);
}

Clock::time_point DeadlineAfter(std::chrono::nanoseconds timeout) {
  if (timeout <= std::chrono::nanoseconds::zero())
    return Clock::time_point::min();
  if (timeout > std::chrono::hours(24 * 365))
    return Clock::time_point::max();
  return Clock::now() + timeout;
}

// Sleeps while *word == expected, until woken or deadline.  Returns early on
// any wake-up or signal: callers re-check the state.
void FutexWait(std::uint32_t& word, std::uint32_t expected, Clock::time_point deadline) {
  timespec abs = {};
  timespec* timeout = nullptr;
  if (deadline != Clock::time_point::max()) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch());
    abs.tv_sec = static_cast<time_t>(ns.count() / 1000000000);
    abs.tv_nsec = static_cast<long>(ns.count() % 1000000000);
    timeout = &abs;
  }
  // Not FUTEX_PRIVATE_FLAG: the word is shared with other processes.
  syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, expected, timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
}

void FutexWake(std::uint32_t& word) {
  syscall(SYS_futex, &word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

Result<void> CheckMemory(const Mapping& mapping) {
  if (mapping.empty() || mapping.size() < Channel::kHeaderSize)
    return ErrnoError(EINVAL);
  if (reinterpret_cast<std::uintptr_t>(mapping.data()) % alignof(Header) != 0) {
    return ErrnoError(EINVAL);
  }
  return {};
}

Result<void> CheckHeader(Header& header) {
  if (Field(header.magic).load(std::memory_order_acquire) != Channel::kMagic) {
    return Error::kBadMagic;
  }
  if (Field(header.version).load(std::memory_order_relaxed) != Channel::kVersion) {
    return Error::kBadVersion;
  }
  if (Field(header.header_size).load(std::memory_order_relaxed) != Channel::kHeaderSize) {
    return Error::kCorruptHeader;
  }
  return {};
}

}  // namespace

// ---- Writer ---------------------------------------------------------------

Result<Channel::Writer> Channel::Writer::Create(Mapping mapping) {
  if (Result<void> ok = CheckMemory(mapping); !ok.ok())
    return ok.error();
  if (!mapping.writable())
    return ErrnoError(EACCES);
  Header& header = HeaderOf(mapping);
  // A restarted producer resumes the channel it finds: the sequence goes on
  // from the last message (a reader that returned it waits for the next
  // number, not for 1 again), an unread message stays, and a write that a
  // dead writer left half done is dropped.
  const std::uint32_t state = Field(header.state).load(std::memory_order_acquire);
  if (CheckHeader(header).ok() && state <= static_cast<std::uint32_t>(State::kConsumed)) {
    if (state == static_cast<std::uint32_t>(State::kWriting)) {
      Field(header.state)
          .store(static_cast<std::uint32_t>(State::kConsumed), std::memory_order_release);
      FutexWake(header.state);
    }
    return Writer(std::move(mapping));
  }
  // The magic goes last, so that a reader that sees it sees the rest.
  Field(header.magic).store(0, std::memory_order_relaxed);
  Field(header.version).store(kVersion, std::memory_order_relaxed);
  Field(header.header_size)
      .store(static_cast<std::uint16_t>(kHeaderSize), std::memory_order_relaxed);
  Field(header.state).store(static_cast<std::uint32_t>(State::kEmpty), std::memory_order_relaxed);
  Field(header.reserved).store(0, std::memory_order_relaxed);
  Field(header.sequence).store(0, std::memory_order_relaxed);
  Field(header.payload_length).store(0, std::memory_order_relaxed);
  Field(header.checksum).store(0, std::memory_order_relaxed);
  std::memset(header.reserved2, 0, sizeof(header.reserved2));
  Field(header.magic).store(kMagic, std::memory_order_release);
  return Writer(std::move(mapping));
}

Result<std::span<std::byte>> Channel::Writer::BeginWrite(std::size_t length,
                                                         std::chrono::nanoseconds timeout) {
  if (pending_length_)
    return ErrnoError(EBUSY);
  if (length > capacity())
    return ErrnoError(EMSGSIZE);
  Header& header = HeaderOf(mapping_);
  const Clock::time_point deadline = DeadlineAfter(timeout);
  for (;;) {
    if (Result<void> ok = CheckHeader(header); !ok.ok())
      return ok.error();
    std::uint32_t state = Field(header.state).load(std::memory_order_acquire);
    if (state > static_cast<std::uint32_t>(State::kConsumed))
      return Error::kCorruptHeader;
    if (state == static_cast<std::uint32_t>(State::kEmpty) ||
        state == static_cast<std::uint32_t>(State::kConsumed)) {
      if (Field(header.state)
              .compare_exchange_strong(state, static_cast<std::uint32_t>(State::kWriting),
                                       std::memory_order_relaxed)) {
        break;
      }
      // The state changed between the load and the exchange: look again,
      // but within the deadline like any other wait.
      if (Clock::now() >= deadline)
        return ErrnoError(timeout <= std::chrono::nanoseconds::zero() ? EAGAIN : ETIMEDOUT);
      continue;
    }
    if (Clock::now() >= deadline) {
      return ErrnoError(timeout <= std::chrono::nanoseconds::zero() ? EAGAIN : ETIMEDOUT);
    }
    FutexWait(header.state, state, deadline);
  }
  // Payload writes must not become visible before WRITING does.
  std::atomic_thread_fence(std::memory_order_release);
  pending_length_ = length;
  return std::span<std::byte>(PayloadOf(mapping_), length);
}

Result<std::uint64_t> Channel::Writer::Commit() {
  if (!pending_length_)
    return ErrnoError(EINVAL);
  const std::size_t length = *pending_length_;
  pending_length_.reset();
  Header& header = HeaderOf(mapping_);
  const std::uint64_t sequence = Field(header.sequence).load(std::memory_order_relaxed) + 1;
  Field(header.payload_length).store(length, std::memory_order_relaxed);
  Field(header.checksum).store(Checksum(PayloadOf(mapping_), length), std::memory_order_relaxed);
  Field(header.sequence).store(sequence, std::memory_order_relaxed);
  Field(header.state).store(static_cast<std::uint32_t>(State::kReady), std::memory_order_release);
  FutexWake(header.state);
  sequence_ = sequence;
  return sequence;
}

Result<std::uint64_t> Channel::Writer::Write(std::span<const std::byte> payload,
                                             std::chrono::nanoseconds timeout) {
  Result<std::span<std::byte>> slot = BeginWrite(payload.size(), timeout);
  if (!slot.ok())
    return slot.error();
  if (!payload.empty())
    std::memcpy(slot->data(), payload.data(), payload.size());
  return Commit();
}

// ---- Reader ---------------------------------------------------------------

Result<Channel::Reader> Channel::Reader::Attach(Mapping mapping) {
  if (Result<void> ok = CheckMemory(mapping); !ok.ok())
    return ok.error();
  if (Result<void> ok = CheckHeader(HeaderOf(mapping)); !ok.ok())
    return ok.error();
  return Reader(std::move(mapping));
}

Result<Channel::Message> Channel::Reader::TryRead() {
  return Read(std::chrono::nanoseconds(0));
}

Result<Channel::Message> Channel::Reader::Read(std::chrono::nanoseconds timeout) {
  Header& header = HeaderOf(mapping_);
  const std::size_t capacity = Capacity(mapping_.size());
  const Clock::time_point deadline = DeadlineAfter(timeout);
  for (;;) {
    bool torn = false;
    if (Result<void> ok = CheckHeader(header); !ok.ok())
      return ok.error();
    const std::uint32_t state = Field(header.state).load(std::memory_order_acquire);
    if (state > static_cast<std::uint32_t>(State::kConsumed))
      return Error::kCorruptHeader;
    if (state == static_cast<std::uint32_t>(State::kReady)) {
      const std::uint64_t sequence = Field(header.sequence).load(std::memory_order_relaxed);
      if (sequence != last_sequence_) {
        const std::uint64_t length = Field(header.payload_length).load(std::memory_order_relaxed);
        const std::uint64_t checksum = Field(header.checksum).load(std::memory_order_relaxed);
        if (length > capacity)
          return Error::kCorruptHeader;
        Message message{sequence, std::vector<std::byte>(length)};
        if (length != 0)
          std::memcpy(message.payload.data(), PayloadOf(mapping_), length);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (Field(header.state).load(std::memory_order_relaxed) == state &&
            Field(header.sequence).load(std::memory_order_relaxed) == sequence) {
          if (Checksum(message.payload.data(), length) != checksum)
            return Error::kChecksumMismatch;
          if (acknowledges()) {
            std::uint32_t expected = state;
            Field(header.state)
                .compare_exchange_strong(expected, static_cast<std::uint32_t>(State::kConsumed),
                                         std::memory_order_acq_rel);
            FutexWake(header.state);
          }
          last_sequence_ = sequence;
          return message;
        }
        // The slot changed under the copy: look again, but only until the
        // deadline, or a producer that keeps rewriting it holds us forever.
        torn = true;
      }
    }
    if (Clock::now() >= deadline) {
      if (torn || state == static_cast<std::uint32_t>(State::kWriting))
        return Error::kWriteInProgress;
      if (timeout <= std::chrono::nanoseconds::zero())
        return Error::kNoMessage;
      return ErrnoError(ETIMEDOUT);
    }
    FutexWait(header.state, state, deadline);
  }
}

}  // namespace ashmem
