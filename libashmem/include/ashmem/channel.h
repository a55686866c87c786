// SPDX-License-Identifier: Apache-2.0
//
// Channel: one producer hands messages to one consumer through a region,
// with no copy through the kernel and no way to read a torn message.
//
//   // producer (writable mapping): four messages in flight, no checksum
//   auto writer = ashmem::Channel::Writer::Create(
//       std::move(mapping), {.slots = 4, .integrity = ashmem::Channel::Integrity::kNone});
//   auto slot = writer->BeginWrite(size, std::chrono::seconds(1));
//   Fill(*slot);                       // build the message in place
//   writer->Commit();
//
//   // consumer, in another process
//   auto reader = ashmem::Channel::Reader::Attach(std::move(mapping));
//   auto view = reader->Acquire(std::chrono::seconds(1));
//   Use(view->payload);                // read it in place
//   reader->Release();                 // the slot goes back to the producer
//
// Write() and Read() do the same with one copy each, as a convenience.
//
// The region holds a 64-byte channel header, then one 64-byte descriptor per
// slot, then the slots' payloads (each a multiple of 64 bytes):
//
//   channel header                       slot descriptor (at 64 + 64 * i)
//   offset size field                    offset size field
//        0    4 magic        kMagic           0    4 state (futex word)
//        4    2 version      kVersion         4    4 reserved, 0
//        6    2 header_size  64               8    8 sequence of its message
//        8    4 integrity    Integrity       16    8 payload_length
//       12    4 slot_count   1..kMaxSlots    24    8 checksum (XXH3-64 or 0)
//       16    8 slot_size    bytes per slot  32   32 reserved, 0
//       24    8 payload_offset of slot 0
//       32    4 flags        kFlagWakeAlways
//       36   28 reserved     0
//
// Message n (from 1) lives in slot (n - 1) % slot_count.  A slot moves
// EMPTY or CONSUMED -> WRITING -> READY (the producer) -> CONSUMED (the
// consumer); the producer never touches a READY slot, so a message cannot
// change while the consumer reads it in place.  Bit 31 of the state says
// that someone sleeps on it; the side that changes the state calls
// FUTEX_WAKE only then, so a message costs no system call unless one side
// had to wait.  Fields are in the byte order of the machine: a channel is
// shared within one host.  Documentation/libashmem.rst has the full
// protocol.
#ifndef LIBASHMEM_ASHMEM_CHANNEL_H_
#define LIBASHMEM_ASHMEM_CHANNEL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
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
  static constexpr std::uint16_t kVersion = 2;
  static constexpr std::size_t kHeaderSize = 64;
  static constexpr std::size_t kSlotHeaderSize = 64;
  static constexpr std::size_t kAlignment = 64;  // of every slot's payload
  static constexpr std::uint32_t kMaxSlots = 1024;

  // Bits of the header's flags word.
  static constexpr std::uint32_t kFlagWakeAlways = 1;  // the writer wakes on every commit

  // Values of a slot's state word (bits 0-30).
  enum class State : std::uint32_t {
    kEmpty = 0,     // never written
    kWriting = 1,   // the producer is writing a message into it
    kReady = 2,     // a complete message waits for the consumer
    kConsumed = 3,  // the consumer is done with its message
  };

  // How a message is checked, chosen per channel by the writer.
  enum class Integrity : std::uint32_t {
    kNone = 0,  // trust the producer: no pass over the payload
    kXxh3 = 1,  // XXH3-64 of the payload: one pass on each side
  };

  // What Writer::Create sets up.
  struct Options {
    // Messages in flight: the producer may be this many messages ahead.
    std::uint32_t slots = 1;
    Integrity integrity = Integrity::kXxh3;
    // Readers with a read-only mapping cannot tell the writer that they
    // sleep, so the writer must wake on every commit (one system call per
    // message).  Reader::Attach refuses a read-only mapping without it.
    bool read_only_readers = false;
  };

  // The largest payload of each slot of a channel over memory_size bytes
  // (0 if slots is 0 or above kMaxSlots, or the memory is too small).
  static constexpr std::size_t Capacity(std::size_t memory_size, std::uint32_t slots = 1) noexcept {
    if (slots == 0 || slots > kMaxSlots)
      return 0;
    const std::size_t fixed = kHeaderSize + slots * kSlotHeaderSize;
    if (memory_size <= fixed)
      return 0;
    return (memory_size - fixed) / slots / kAlignment * kAlignment;
  }

  // The memory a channel of slots messages of up to capacity bytes needs.
  static constexpr std::size_t MemorySize(std::size_t capacity, std::uint32_t slots = 1) noexcept {
    const std::size_t slot = (capacity + kAlignment - 1) / kAlignment * kAlignment;
    return kHeaderSize + slots * (kSlotHeaderSize + slot);
  }

  // A message as Read returns it, owned by the caller.
  struct Message {
    std::uint64_t sequence = 0;
    std::vector<std::byte> payload;
  };

  // A message borrowed in place from the channel's memory (Reader::Acquire):
  // payload stays valid and unchanged until Reader::Release, or until the
  // Reader is moved or destroyed.
  struct View {
    std::uint64_t sequence = 0;
    std::span<const std::byte> payload;
  };

  class Writer;
  class Reader;
};

// The producer side.  Move-only; use from one thread at a time, and have one
// live Writer per channel.
class Channel::Writer final {
 public:
  // Takes mapping (writable, 8-byte aligned, large enough for the header
  // and options.slots descriptors; EINVAL otherwise, and for options out of
  // range; EACCES if it is not writable).
  //
  // Memory that already holds a channel of this version and this geometry
  // (slots, capacity, integrity) is resumed, so that a restarted producer
  // never wedges its reader: the sequence goes on from the last message,
  // unread messages stay, and a slot that a dead writer left WRITING is
  // taken back.  Any other memory is formatted afresh (sequence from 1);
  // a reader attached to the old layout then reports kCorruptHeader.
  static Result<Writer> Create(Mapping mapping, Options options = {});

  Writer(Writer&&) noexcept = default;
  Writer& operator=(Writer&&) noexcept = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() = default;

  // The largest payload of one message.
  std::size_t capacity() const noexcept { return slot_size_; }
  std::uint32_t slots() const noexcept { return slots_; }
  Integrity integrity() const noexcept { return integrity_; }
  const Mapping& mapping() const noexcept { return mapping_; }

  // Waits up to timeout for the next slot to be free (facing a full ring
  // of four slots or more, until half of it is free, or the deadline),
  // marks it WRITING and returns its first length bytes, to build the
  // message in place; they are the writer's until Commit publishes them.
  // A writer that never commits leaves the slot WRITING, which readers
  // report as Error::kWriteInProgress until a new Writer takes over.
  // Failures: EMSGSIZE if length > capacity(); EAGAIN if timeout is zero
  // and the slot is busy, ETIMEDOUT if the consumer did not free it in
  // time; EBUSY if a write is already begun; kBadMagic, kBadVersion or
  // kCorruptHeader if the header was overwritten.
  Result<std::span<std::byte>> BeginWrite(std::size_t length, std::chrono::nanoseconds timeout);

  // Publishes the begun write (with its checksum, if the channel has one)
  // and returns its sequence number.  EINVAL if no write is begun.
  Result<std::uint64_t> Commit();

  // BeginWrite, one copy of payload (checksummed in the same pass), Commit.
  Result<std::uint64_t> Write(std::span<const std::byte> payload, std::chrono::nanoseconds timeout);

 private:
  Writer(Mapping mapping, Integrity integrity, std::uint32_t slots, std::size_t slot_size,
         std::uint64_t next_sequence) noexcept;
  std::uint32_t HalfRing() const noexcept;
  std::byte* PendingPayload() const noexcept;
  std::uint64_t Publish(std::uint64_t checksum) noexcept;

  Mapping mapping_;
  Integrity integrity_ = Integrity::kNone;
  bool wake_always_ = false;
  bool pending_ = false;
  std::uint32_t slots_ = 0;
  std::size_t slot_size_ = 0;
  std::size_t pending_length_ = 0;
  std::uint64_t next_sequence_ = 1;
};

// The consumer side.  Move-only; use from one thread at a time, and have one
// live Reader per channel.
class Channel::Reader final {
 public:
  // Takes mapping (8-byte aligned) and checks the header: Error::kBadMagic
  // if it is not a channel, kBadVersion if it is one of another version,
  // kCorruptHeader if its geometry does not fit the mapping.  A read-only
  // mapping needs a channel created with Options::read_only_readers
  // (EACCES otherwise); it cannot free slots, so its writer can publish
  // slots() messages in all.  The reader starts at the oldest message not
  // yet consumed, or at the next one to be written.
  static Result<Reader> Attach(Mapping mapping);

  Reader(Reader&&) noexcept = default;
  Reader& operator=(Reader&&) noexcept = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() = default;

  // Whether Release frees the slot for the writer (a writable mapping).
  bool acknowledges() const noexcept { return mapping_.writable(); }
  std::size_t capacity() const noexcept { return slot_size_; }
  std::uint32_t slots() const noexcept { return slots_; }
  Integrity integrity() const noexcept { return integrity_; }
  const Mapping& mapping() const noexcept { return mapping_; }

  // Waits up to timeout (a futex wait on the slot's state) for the next
  // message, verifies it and lends it in place until Release.  Failures:
  // ETIMEDOUT if none came; Error::kWriteInProgress if the slot was still
  // WRITING at the deadline (the producer stalled or died mid-write);
  // kNoMessage instead of either for a zero timeout; kBadMagic, kBadVersion
  // or kCorruptHeader if the header was overwritten; kChecksumMismatch if
  // the payload does not match its checksum (the message is not released
  // and stays next); EBUSY if a view is already lent.
  Result<Channel::View> Acquire(std::chrono::nanoseconds timeout);
  Result<Channel::View> TryAcquire() { return Acquire(std::chrono::nanoseconds(0)); }

  // Ends the loan of the last Acquire: the view is invalid from here on,
  // and the slot goes back to the writer.  EINVAL if nothing is lent.
  Result<void> Release();

  // Waits as Acquire does and copies the next message into *message,
  // reusing its buffer (no allocation once it is large enough), checking
  // the checksum in the same pass.  Failures as for Acquire.
  Result<void> ReadInto(Channel::Message* message, std::chrono::nanoseconds timeout);

  // ReadInto a new Message.
  Result<Channel::Message> Read(std::chrono::nanoseconds timeout);
  Result<Channel::Message> TryRead() { return Read(std::chrono::nanoseconds(0)); }

 private:
  struct Slot;
  Reader(Mapping mapping, Integrity integrity, std::uint32_t slots, std::size_t slot_size,
         std::uint64_t next_sequence) noexcept;
  // Waits until deadline for the next message; poll and torn choose what a
  // miss is reported as.
  Result<Slot> WaitForNext(std::chrono::steady_clock::time_point deadline, bool poll, bool torn);
  // Frees the next message's slot (if acknowledges()) and moves past it.
  void Advance() noexcept;

  Mapping mapping_;
  Integrity integrity_ = Integrity::kNone;
  bool lent_ = false;
  std::uint32_t flags_ = 0;
  std::uint32_t slots_ = 0;
  std::size_t slot_size_ = 0;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_CHANNEL_H_
