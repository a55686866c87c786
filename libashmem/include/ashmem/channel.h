// SPDX-License-Identifier: Apache-2.0
//
// Channel: one producer hands messages to one consumer through a region,
// with no copy through the kernel and no way to read a torn message.
//
//   // producer (writable mapping)
//   auto writer = ashmem::Channel::Writer::Create(std::move(mapping));
//   writer->Write(ashmem::AsBytes("hello"), std::chrono::seconds(1));
//
//   // consumer, in another process (writable or read-only mapping)
//   auto reader = ashmem::Channel::Reader::Attach(std::move(mapping));
//   auto message = reader->Read(std::chrono::seconds(1));
//
// The region starts with a 64-byte header; the payload follows it.
//
//   offset  size  field
//        0     4  magic           kMagic
//        4     2  version         kVersion
//        6     2  header_size     kHeaderSize
//        8     4  state           kEmpty, kWriting, kReady, kConsumed (the futex word)
//       12     4  reserved        0
//       16     8  sequence        number of the last message, from 1
//       24     8  payload_length  bytes of payload after the header
//       32     8  checksum        XXH3-64 of the payload
//       40    24  reserved        0
//
// A write moves the slot EMPTY or CONSUMED -> WRITING -> READY, a
// writable reader moves it READY -> CONSUMED; both wake the other side
// with FUTEX_WAKE on the state word.  The writer never touches a READY slot,
// so a message cannot change under a reader, and the reader still checks
// the state, sequence and checksum again after copying.  Fields are in the
// byte order of the machine: a channel is shared within one host.
#ifndef LIBASHMEM_ASHMEM_CHANNEL_H_
#define LIBASHMEM_ASHMEM_CHANNEL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <ashmem/mapping.h>
#include <ashmem/result.h>

namespace ashmem {

// Names and constants of the protocol; the work is done by Writer and Reader.
class Channel final {
 public:
  Channel() = delete;

  static constexpr std::uint32_t kMagic = 0x4c484341;  // "ACHL" in memory on little-endian
  static constexpr std::uint16_t kVersion = 1;
  static constexpr std::size_t kHeaderSize = 64;

  // Values of the state word.
  enum class State : std::uint32_t {
    kEmpty = 0,     // no message was ever written
    kWriting = 1,   // the producer is writing a message
    kReady = 2,     // a complete message waits for the consumer
    kConsumed = 3,  // the consumer took the last message
  };

  // The largest payload a channel over memory_size bytes can carry.
  static constexpr std::size_t Capacity(std::size_t memory_size) noexcept {
    return memory_size > kHeaderSize ? memory_size - kHeaderSize : 0;
  }

  // A message as the reader returns it, owned by the caller.
  struct Message {
    std::uint64_t sequence = 0;
    std::vector<std::byte> payload;
  };

  class Writer;
  class Reader;
};

// The producer side.  Move-only; use from one thread at a time, and have one
// Writer per channel.
class Channel::Writer final {
 public:
  // Takes mapping (writable, at least kHeaderSize bytes, 8-byte aligned;
  // EINVAL otherwise, EACCES if it is not writable).  Memory that already
  // holds a channel of this version is resumed, so that a restarted
  // producer does not wedge its reader: the sequence goes on from the last
  // message, an unread message stays, and a write left half done by a dead
  // writer is dropped.  Other memory gets a fresh header: state EMPTY,
  // sequence 0.
  static Result<Writer> Create(Mapping mapping);

  Writer(Writer&&) noexcept = default;
  Writer& operator=(Writer&&) noexcept = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() = default;

  std::size_t capacity() const noexcept { return Capacity(mapping_.size()); }
  const Mapping& mapping() const noexcept { return mapping_; }

  // Waits up to timeout for the slot to be free (EMPTY or CONSUMED), copies
  // payload in and publishes it.  Returns the message's sequence number.
  // EMSGSIZE if payload is larger than capacity() (nothing is written);
  // ETIMEDOUT if the consumer did not take the previous message in time
  // (a read-only reader never does: such a channel carries one message);
  // EAGAIN if timeout is zero and the slot is busy.
  Result<std::uint64_t> Write(std::span<const std::byte> payload, std::chrono::nanoseconds timeout);

  // The same in two steps, to build a message in place: BeginWrite waits as
  // Write does, marks the slot WRITING and returns the first length bytes of
  // the payload area; Commit publishes them.  A writer that never commits
  // leaves the slot WRITING, which readers report as Error::kWriteInProgress.
  // BeginWrite fails with EBUSY if a write is already begun; Commit with
  // EINVAL if none is.
  Result<std::span<std::byte>> BeginWrite(std::size_t length, std::chrono::nanoseconds timeout);
  Result<std::uint64_t> Commit();

 private:
  explicit Writer(Mapping mapping) noexcept : mapping_(std::move(mapping)) {}

  Mapping mapping_;
  std::optional<std::size_t> pending_length_;
  std::uint64_t sequence_ = 0;
};

// The consumer side.  Move-only; use from one thread at a time, and have one
// Reader per channel.
class Channel::Reader final {
 public:
  // Takes mapping (at least kHeaderSize bytes, 8-byte aligned) and checks
  // the header: Error::kBadMagic or kBadVersion if it is not a channel this
  // library speaks.  A writable mapping acknowledges each message (the slot
  // becomes CONSUMED and the writer may write the next); a read-only one
  // only reads, and returns each message once.
  static Result<Reader> Attach(Mapping mapping);

  Reader(Reader&&) noexcept = default;
  Reader& operator=(Reader&&) noexcept = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() = default;

  bool acknowledges() const noexcept { return mapping_.writable(); }
  const Mapping& mapping() const noexcept { return mapping_; }

  // Waits up to timeout (a futex wait on the state word) for a message this
  // reader has not returned yet, verifies it and returns a copy.
  // Failures: ETIMEDOUT if none came; Error::kWriteInProgress if the slot
  // was still WRITING at the deadline (the producer stalled or died
  // mid-write); kBadMagic, kBadVersion or kCorruptHeader if the header was
  // overwritten; kChecksumMismatch if the payload does not match its
  // checksum.  A corrupt message is not acknowledged.
  Result<Channel::Message> Read(std::chrono::nanoseconds timeout);

  // Does not wait: Error::kNoMessage if there is nothing new,
  // kWriteInProgress if a write is under way; otherwise as Read.
  Result<Channel::Message> TryRead();

 private:
  explicit Reader(Mapping mapping) noexcept : mapping_(std::move(mapping)) {}

  Mapping mapping_;
  std::uint64_t last_sequence_ = 0;
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_CHANNEL_H_
