// SPDX-License-Identifier: Apache-2.0
//
// The channel protocol, version 2 (see <ashmem/channel.h> for the layout and
// Documentation/libashmem.rst for the whole protocol).
//
// Ordering.  The writer takes a free slot with an acquire compare-exchange
// (so its payload stores come after the reader's last loads of that slot),
// writes the payload, length, checksum and sequence, and publishes with a
// release exchange of READY.  The reader loads the state with acquire, so it
// sees everything the writer stored before READY, and gives the slot back
// with a release exchange of CONSUMED once it no longer reads it.  The writer
// never touches a READY slot, which is what makes reading in place safe; the
// copying reads still look at the sequence again after the copy and throw a
// changed copy away, against a producer that breaks that rule.
//
// Waiting.  A side that must wait spins briefly, then sets kWaiters in the
// state word and sleeps in FUTEX_WAIT_BITSET with the caller's absolute
// deadline; the side that changes the state exchanges it and calls
// FUTEX_WAKE only if kWaiters was set.  Every loop checks the deadline each
// time round, whatever made it go round.
#include <ashmem/channel.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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
using Integrity = Channel::Integrity;
using State = Channel::State;

struct Header {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t header_size;
  std::uint32_t integrity;
  std::uint32_t slot_count;
  std::uint64_t slot_size;
  std::uint64_t payload_offset;
  std::uint32_t flags;
  std::uint8_t reserved[28];
};
static_assert(sizeof(Header) == Channel::kHeaderSize);
static_assert(offsetof(Header, integrity) == 8);
static_assert(offsetof(Header, slot_size) == 16);
static_assert(offsetof(Header, flags) == 32);

struct Descriptor {
  std::uint32_t state;
  std::uint32_t reserved;
  std::uint64_t sequence;
  std::uint64_t payload_length;
  std::uint64_t checksum;
  std::uint8_t reserved2[32];
};
static_assert(sizeof(Descriptor) == Channel::kSlotHeaderSize);
static_assert(offsetof(Descriptor, sequence) == 8);
static_assert(offsetof(Descriptor, checksum) == 24);

constexpr std::uint32_t kWaiters = 1u << 31;  // someone sleeps on this state word
constexpr std::uint32_t kStateMask = ~kWaiters;

constexpr std::uint32_t Raw(State state) {
  return static_cast<std::uint32_t>(state);
}
constexpr bool IsFree(std::uint32_t state) {
  return state == Raw(State::kEmpty) || state == Raw(State::kConsumed);
}

// Copies and checksums in pieces that stay in the L1 cache, so that the
// checksum reads what the copy just wrote: one pass over memory.
constexpr std::size_t kPiece = std::size_t{16} * 1024;

// Rounds of polling before a wait goes to sleep.  Short on purpose: on a
// loaded machine the other side is often not running at all, and a long
// pause loop in a virtual machine also makes the hypervisor deschedule us.
constexpr int kSpins = 128;

// Every access to shared words goes through atomic_ref: the other side is
// another process that may write at any time.
template <typename T>
std::atomic_ref<T> Field(T& field) {
  return std::atomic_ref<T>(field);
}

Header& HeaderOf(const Mapping& mapping) {
  return *reinterpret_cast<Header*>(mapping.data());
}
Descriptor& DescriptorOf(const Mapping& mapping, std::uint32_t slot) {
  return reinterpret_cast<Descriptor*>(mapping.data() + Channel::kHeaderSize)[slot];
}
constexpr std::size_t PayloadOffset(std::uint32_t slots) {
  return Channel::kHeaderSize + slots * Channel::kSlotHeaderSize;
}
std::byte* PayloadOf(const Mapping& mapping, std::uint32_t slots, std::size_t slot_size,
                     std::uint32_t slot) {
  return mapping.data() + PayloadOffset(slots) + slot * slot_size;
}

std::uint32_t SlotOf(std::uint64_t sequence, std::uint32_t slots) {
  return static_cast<std::uint32_t>((sequence - 1) % slots);
}

Clock::time_point DeadlineAfter(std::chrono::nanoseconds timeout) {
  if (timeout <= std::chrono::nanoseconds::zero())
    return Clock::time_point::min();
  if (timeout > std::chrono::hours(24 * 365))
    return Clock::time_point::max();
  return Clock::now() + timeout;
}

// Sleeps while word == expected, until woken or deadline.  Returns early on
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

// Moves a state word to state and wakes whoever said it sleeps on it (or
// anyone, with wake_always).  Release: what we wrote before is visible to
// whoever sees the new state.
void SetState(std::uint32_t& word, State state, bool wake_always) noexcept {
  const std::uint32_t old = Field(word).exchange(Raw(state), std::memory_order_acq_rel);
  if ((old & kWaiters) != 0 || wake_always)
    FutexWake(word);
}

// Waits, at most until deadline, for word to differ from seen: polls a
// little, then (if allowed to write the word) sets kWaiters and sleeps.
void WaitForChange(std::uint32_t& word, std::uint32_t seen, Clock::time_point deadline,
                   bool can_flag) {
  for (int i = 0; i < kSpins; ++i) {
    if (Field(word).load(std::memory_order_relaxed) != seen)
      return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  if (Clock::now() >= deadline)
    return;
  std::uint32_t expected = seen;
  if (can_flag && (seen & kWaiters) == 0) {
    if (!Field(word).compare_exchange_strong(expected, seen | kWaiters,
                                             std::memory_order_relaxed)) {
      return;  // it changed: the caller looks again
    }
    expected = seen | kWaiters;
  }
  FutexWait(word, expected, deadline);
}

Result<void> CheckMemory(const Mapping& mapping) {
  if (mapping.empty() || mapping.size() < Channel::kHeaderSize)
    return ErrnoError(EINVAL);
  if (reinterpret_cast<std::uintptr_t>(mapping.data()) % alignof(Header) != 0)
    return ErrnoError(EINVAL);
  return {};
}

// The geometry a header promises, as both sides keep it.
struct Geometry {
  Integrity integrity;
  std::uint32_t slots;
  std::size_t slot_size;
  std::uint32_t flags;
};

// Checks magic and version, and that the geometry fits memory_size bytes.
Result<Geometry> ReadHeader(Header& header, std::size_t memory_size) {
  if (Field(header.magic).load(std::memory_order_acquire) != Channel::kMagic)
    return Error::kBadMagic;
  if (Field(header.version).load(std::memory_order_relaxed) != Channel::kVersion)
    return Error::kBadVersion;
  const std::uint32_t integrity = Field(header.integrity).load(std::memory_order_relaxed);
  const std::uint32_t slots = Field(header.slot_count).load(std::memory_order_relaxed);
  const std::uint64_t slot_size = Field(header.slot_size).load(std::memory_order_relaxed);
  const std::uint64_t payload_offset = Field(header.payload_offset).load(std::memory_order_relaxed);
  const std::uint32_t flags = Field(header.flags).load(std::memory_order_relaxed);
  if (Field(header.header_size).load(std::memory_order_relaxed) != Channel::kHeaderSize ||
      integrity > static_cast<std::uint32_t>(Integrity::kXxh3) || slots == 0 ||
      slots > Channel::kMaxSlots || payload_offset != PayloadOffset(slots) ||
      slot_size % Channel::kAlignment != 0 || slot_size > Channel::Capacity(memory_size, slots) ||
      (flags & ~Channel::kFlagWakeAlways) != 0) {
    return Error::kCorruptHeader;
  }
  return Geometry{static_cast<Integrity>(integrity), slots, static_cast<std::size_t>(slot_size),
                  flags};
}

// The header still describes the channel this side attached to.
Result<void> CheckHeader(Header& header, std::size_t memory_size, const Geometry& expected) {
  Result<Geometry> now = ReadHeader(header, memory_size);
  if (!now.ok())
    return now.error();
  if (now->integrity != expected.integrity || now->slots != expected.slots ||
      now->slot_size != expected.slot_size || now->flags != expected.flags) {
    return Error::kCorruptHeader;
  }
  return {};
}

void Format(const Mapping& mapping, const Geometry& geometry) {
  Header& header = HeaderOf(mapping);
  // The magic goes last, so that a reader that sees it sees the rest.
  Field(header.magic).store(0, std::memory_order_release);
  Field(header.version).store(Channel::kVersion, std::memory_order_relaxed);
  Field(header.header_size)
      .store(static_cast<std::uint16_t>(Channel::kHeaderSize), std::memory_order_relaxed);
  Field(header.integrity)
      .store(static_cast<std::uint32_t>(geometry.integrity), std::memory_order_relaxed);
  Field(header.slot_count).store(geometry.slots, std::memory_order_relaxed);
  Field(header.slot_size).store(geometry.slot_size, std::memory_order_relaxed);
  Field(header.payload_offset).store(PayloadOffset(geometry.slots), std::memory_order_relaxed);
  Field(header.flags).store(geometry.flags, std::memory_order_relaxed);
  std::memset(header.reserved, 0, sizeof(header.reserved));
  for (std::uint32_t i = 0; i < geometry.slots; ++i) {
    Descriptor& d = DescriptorOf(mapping, i);
    Field(d.state).store(Raw(State::kEmpty), std::memory_order_relaxed);
    Field(d.reserved).store(0, std::memory_order_relaxed);
    Field(d.sequence).store(0, std::memory_order_relaxed);
    Field(d.payload_length).store(0, std::memory_order_relaxed);
    Field(d.checksum).store(0, std::memory_order_relaxed);
    std::memset(d.reserved2, 0, sizeof(d.reserved2));
  }
  Field(header.magic).store(Channel::kMagic, std::memory_order_release);
}

// Copies length bytes from src to the end of *out (whose capacity the
// caller has made room for), checksumming what it copied if state is given.
void CopyOut(const std::byte* src, std::size_t length, std::vector<std::byte>* out,
             XXH3_state_t* state) {
  for (std::size_t done = 0; done < length;) {
    const std::size_t piece = std::min(kPiece, length - done);
    const std::size_t at = out->size();
    out->insert(out->end(), src + done, src + done + piece);
    if (state != nullptr)
      XXH3_64bits_update(state, out->data() + at, piece);
    done += piece;
  }
}

}  // namespace

// ---- Writer ---------------------------------------------------------------

Channel::Writer::Writer(Mapping mapping, Integrity integrity, std::uint32_t slots,
                        std::size_t slot_size, std::uint64_t next_sequence) noexcept
    : mapping_(std::move(mapping)),
      integrity_(integrity),
      slots_(slots),
      slot_size_(slot_size),
      next_sequence_(next_sequence) {
  wake_always_ =
      (Field(HeaderOf(mapping_).flags).load(std::memory_order_relaxed) & kFlagWakeAlways) != 0;
}

Result<Channel::Writer> Channel::Writer::Create(Mapping mapping, Options options) {
  if (Result<void> ok = CheckMemory(mapping); !ok.ok())
    return ok.error();
  if (!mapping.writable())
    return ErrnoError(EACCES);
  if (options.slots == 0 || options.slots > kMaxSlots || options.integrity > Integrity::kXxh3 ||
      mapping.size() < PayloadOffset(options.slots)) {
    return ErrnoError(EINVAL);
  }
  const Geometry wanted{options.integrity, options.slots, Capacity(mapping.size(), options.slots),
                        options.read_only_readers ? kFlagWakeAlways : 0};

  // A restarted producer resumes what it finds, if it is the same channel:
  // the next message is the one after the highest sequence in any slot,
  // and the slot it goes to may be WRITING only because a writer died
  // there.  Anything else is formatted afresh.
  Header& header = HeaderOf(mapping);
  if (CheckHeader(header, mapping.size(), wanted).ok()) {
    std::uint64_t last = 0;
    bool consistent = true;
    for (std::uint32_t i = 0; i < wanted.slots; ++i) {
      Descriptor& d = DescriptorOf(mapping, i);
      const std::uint32_t state = Field(d.state).load(std::memory_order_acquire) & kStateMask;
      consistent = consistent && state <= Raw(State::kConsumed);
      last = std::max(last, Field(d.sequence).load(std::memory_order_relaxed));
    }
    if (consistent) {
      for (std::uint32_t i = 0; i < wanted.slots; ++i) {
        Descriptor& d = DescriptorOf(mapping, i);
        if ((Field(d.state).load(std::memory_order_acquire) & kStateMask) == Raw(State::kWriting))
          SetState(d.state, State::kConsumed, true);
      }
      return Writer(std::move(mapping), wanted.integrity, wanted.slots, wanted.slot_size, last + 1);
    }
  }
  Format(mapping, wanted);
  return Writer(std::move(mapping), wanted.integrity, wanted.slots, wanted.slot_size, 1);
}

// How far beyond the next slot a writer facing a full ring sleeps: the
// message that frees half the ring (none below four slots).
std::uint32_t Channel::Writer::HalfRing() const noexcept {
  return slots_ >= 4 ? slots_ / 2 - 1 : 0;
}

Result<std::span<std::byte>> Channel::Writer::BeginWrite(std::size_t length,
                                                         std::chrono::nanoseconds timeout) {
  if (pending_)
    return ErrnoError(EBUSY);
  if (length > capacity())
    return ErrnoError(EMSGSIZE);
  Header& header = HeaderOf(mapping_);
  const Geometry geometry{integrity_, slots_, slot_size_, wake_always_ ? kFlagWakeAlways : 0};
  if (Result<void> ok = CheckHeader(header, mapping_.size(), geometry); !ok.ok())
    return ok.error();
  const std::uint32_t slot = SlotOf(next_sequence_, slots_);
  std::uint32_t& word = DescriptorOf(mapping_, slot).state;
  const Clock::time_point deadline = DeadlineAfter(timeout);
  for (;;) {
    std::uint32_t seen = Field(word).load(std::memory_order_acquire);
    const std::uint32_t state = seen & kStateMask;
    if (state > Raw(State::kConsumed))
      return Error::kCorruptHeader;
    // Keep kWaiters: a reader sleeping until this slot is READY must be
    // woken by the Commit.
    if (IsFree(state) &&
        Field(word).compare_exchange_strong(seen, Raw(State::kWriting) | (seen & kWaiters),
                                            std::memory_order_acquire)) {
      break;
    }
    if (Clock::now() >= deadline)
      return ErrnoError(timeout <= std::chrono::nanoseconds::zero() ? EAGAIN : ETIMEDOUT);
    if (IsFree(state))
      continue;  // lost a race with the reader: look again
    // The ring is full.  Sleep until half of it is free: the reader frees
    // slots in order, so the slot of the message half a ring ahead is freed
    // last.  A consumer that is the slower side then wakes the producer
    // once per half ring, not once per message (a socket wakes a blocked
    // writer when half its buffer is free, for the same reason).  At the
    // deadline the loop looks at the next slot itself again.
    std::uint32_t& half = DescriptorOf(mapping_, SlotOf(next_sequence_ + HalfRing(), slots_)).state;
    const std::uint32_t half_seen = Field(half).load(std::memory_order_acquire);
    // Freed since we looked (the same word, with fewer than four slots),
    // or half the ring is free already: take the next slot.  Sleeping on
    // a free slot would wait for a change that only we can make.
    if (IsFree(half_seen & kStateMask))
      continue;
    WaitForChange(half, half_seen, deadline, true);
  }
  pending_ = true;
  pending_length_ = length;
  return std::span<std::byte>(PayloadOf(mapping_, slots_, slot_size_, slot), length);
}

std::byte* Channel::Writer::PendingPayload() const noexcept {
  return PayloadOf(mapping_, slots_, slot_size_, SlotOf(next_sequence_, slots_));
}

std::uint64_t Channel::Writer::Publish(std::uint64_t checksum) noexcept {
  Descriptor& d = DescriptorOf(mapping_, SlotOf(next_sequence_, slots_));
  Field(d.payload_length).store(pending_length_, std::memory_order_relaxed);
  Field(d.checksum).store(checksum, std::memory_order_relaxed);
  Field(d.sequence).store(next_sequence_, std::memory_order_relaxed);
  SetState(d.state, State::kReady, wake_always_);
  pending_ = false;
  return next_sequence_++;
}

Result<std::uint64_t> Channel::Writer::Commit() {
  if (!pending_)
    return ErrnoError(EINVAL);
  std::uint64_t checksum = 0;
  if (integrity_ == Integrity::kXxh3)
    checksum = XXH3_64bits(PendingPayload(), pending_length_);
  return Publish(checksum);
}

Result<std::uint64_t> Channel::Writer::Write(std::span<const std::byte> payload,
                                             std::chrono::nanoseconds timeout) {
  Result<std::span<std::byte>> slot = BeginWrite(payload.size(), timeout);
  if (!slot.ok())
    return slot.error();
  if (integrity_ == Integrity::kNone) {
    if (!payload.empty())
      std::memcpy(slot->data(), payload.data(), payload.size());
    return Publish(0);
  }
  XXH3_state_t hash;
  XXH3_INITSTATE(&hash);
  XXH3_64bits_reset(&hash);
  for (std::size_t done = 0; done < payload.size();) {
    const std::size_t piece = std::min(kPiece, payload.size() - done);
    std::memcpy(slot->data() + done, payload.data() + done, piece);
    XXH3_64bits_update(&hash, slot->data() + done, piece);
    done += piece;
  }
  return Publish(XXH3_64bits_digest(&hash));
}

// ---- Reader ---------------------------------------------------------------

// The next message, found READY in its slot.
struct Channel::Reader::Slot {
  std::uint32_t index;
  const std::byte* payload;
  std::size_t length;
  std::uint64_t checksum;
};

Channel::Reader::Reader(Mapping mapping, Integrity integrity, std::uint32_t slots,
                        std::size_t slot_size, std::uint64_t next_sequence) noexcept
    : mapping_(std::move(mapping)),
      integrity_(integrity),
      slots_(slots),
      slot_size_(slot_size),
      next_sequence_(next_sequence) {
  flags_ = Field(HeaderOf(mapping_).flags).load(std::memory_order_relaxed);
}

Result<Channel::Reader> Channel::Reader::Attach(Mapping mapping) {
  if (Result<void> ok = CheckMemory(mapping); !ok.ok())
    return ok.error();
  Result<Geometry> geometry = ReadHeader(HeaderOf(mapping), mapping.size());
  if (!geometry.ok())
    return geometry.error();
  if (!mapping.writable() && (geometry->flags & kFlagWakeAlways) == 0)
    return ErrnoError(EACCES);
  // Start at the oldest message still READY, or else after the newest one.
  // The writer may be publishing while we look, so one pass over the ring
  // is not a snapshot: a slot seen before its message was READY, and a
  // later one seen after, would make us start past that message.  The
  // unread messages are consecutive and stay READY until this reader
  // consumes them, so the start is found by going back from any of them
  // while the message before is READY in its slot.
  std::uint64_t oldest_ready = 0;
  std::uint64_t newest = 0;
  for (std::uint32_t i = 0; i < geometry->slots; ++i) {
    Descriptor& d = DescriptorOf(mapping, i);
    const std::uint32_t state = Field(d.state).load(std::memory_order_acquire) & kStateMask;
    const std::uint64_t sequence = Field(d.sequence).load(std::memory_order_relaxed);
    // The writer stores a slot's new sequence while it is WRITING, and
    // only READY and CONSUMED slots keep theirs: a sequence counts only if
    // the state is the same after it was read.
    std::atomic_thread_fence(std::memory_order_acquire);
    if ((state != Raw(State::kReady) && state != Raw(State::kConsumed)) ||
        (Field(d.state).load(std::memory_order_relaxed) & kStateMask) != state) {
      continue;
    }
    newest = std::max(newest, sequence);
    if (state == Raw(State::kReady) && sequence != 0 &&
        (oldest_ready == 0 || sequence < oldest_ready)) {
      oldest_ready = sequence;
    }
  }
  std::uint64_t start = oldest_ready != 0 ? oldest_ready : newest + 1;
  for (std::uint32_t back = 1; back < geometry->slots && start > 1; ++back) {
    Descriptor& d = DescriptorOf(mapping, SlotOf(start - 1, geometry->slots));
    if ((Field(d.state).load(std::memory_order_acquire) & kStateMask) != Raw(State::kReady) ||
        Field(d.sequence).load(std::memory_order_relaxed) != start - 1) {
      break;
    }
    --start;
  }
  return Reader(std::move(mapping), geometry->integrity, geometry->slots, geometry->slot_size,
                start);
}

Result<Channel::Reader::Slot> Channel::Reader::WaitForNext(Clock::time_point deadline, bool poll,
                                                           bool torn) {
  Header& header = HeaderOf(mapping_);
  const Geometry geometry{integrity_, slots_, slot_size_, flags_};
  const std::uint32_t index = SlotOf(next_sequence_, slots_);
  Descriptor& d = DescriptorOf(mapping_, index);
  for (;;) {
    if (Result<void> ok = CheckHeader(header, mapping_.size(), geometry); !ok.ok())
      return ok.error();
    const std::uint32_t seen = Field(d.state).load(std::memory_order_acquire);
    const std::uint32_t state = seen & kStateMask;
    if (state > Raw(State::kConsumed))
      return Error::kCorruptHeader;
    if (state == Raw(State::kReady)) {
      const std::uint64_t sequence = Field(d.sequence).load(std::memory_order_relaxed);
      if (sequence == next_sequence_) {
        const std::uint64_t length = Field(d.payload_length).load(std::memory_order_relaxed);
        if (length > slot_size_)
          return Error::kCorruptHeader;
        return Slot{index, PayloadOf(mapping_, slots_, slot_size_, index),
                    static_cast<std::size_t>(length),
                    Field(d.checksum).load(std::memory_order_relaxed)};
      }
      // A READY slot holds this message or one already returned (a
      // read-only reader leaves them READY); a later one means the slots
      // were overwritten out of order.
      if (sequence > next_sequence_)
        return Error::kCorruptHeader;
    }
    if (Clock::now() >= deadline) {
      if (torn || state == Raw(State::kWriting))
        return Error::kWriteInProgress;
      if (poll)
        return Error::kNoMessage;
      return ErrnoError(ETIMEDOUT);
    }
    WaitForChange(d.state, seen, deadline, acknowledges());
  }
}

void Channel::Reader::Advance() noexcept {
  if (acknowledges()) {
    Descriptor& d = DescriptorOf(mapping_, SlotOf(next_sequence_, slots_));
    SetState(d.state, State::kConsumed, false);
  }
  ++next_sequence_;
}

Result<Channel::View> Channel::Reader::Acquire(std::chrono::nanoseconds timeout) {
  if (lent_)
    return ErrnoError(EBUSY);
  Result<Slot> slot = WaitForNext(DeadlineAfter(timeout), timeout <= timeout.zero(), false);
  if (!slot.ok())
    return slot.error();
  if (integrity_ == Integrity::kXxh3 && XXH3_64bits(slot->payload, slot->length) != slot->checksum)
    return Error::kChecksumMismatch;
  lent_ = true;
  return View{next_sequence_, std::span<const std::byte>(slot->payload, slot->length)};
}

Result<void> Channel::Reader::Release() {
  if (!lent_)
    return ErrnoError(EINVAL);
  lent_ = false;
  Advance();
  return {};
}

Result<void> Channel::Reader::ReadInto(Message* message, std::chrono::nanoseconds timeout) {
  if (lent_)
    return ErrnoError(EBUSY);
  const Clock::time_point deadline = DeadlineAfter(timeout);
  const bool poll = timeout <= timeout.zero();
  Descriptor& d = DescriptorOf(mapping_, SlotOf(next_sequence_, slots_));
  for (bool torn = false;; torn = true) {
    Result<Slot> slot = WaitForNext(deadline, poll, torn);
    if (!slot.ok())
      return slot.error();
    XXH3_state_t hash;
    XXH3_state_t* hashing = nullptr;
    if (integrity_ == Integrity::kXxh3) {
      XXH3_INITSTATE(&hash);
      XXH3_64bits_reset(&hash);
      hashing = &hash;
    }
    message->payload.clear();
    message->payload.reserve(slot->length);
    CopyOut(slot->payload, slot->length, &message->payload, hashing);
    // A writer keeping to the protocol never changes a READY slot; one
    // that does gets its message read again, within the deadline.
    std::atomic_thread_fence(std::memory_order_acquire);
    if ((Field(d.state).load(std::memory_order_relaxed) & kStateMask) != Raw(State::kReady) ||
        Field(d.sequence).load(std::memory_order_relaxed) != next_sequence_) {
      if (Clock::now() >= deadline)
        return Error::kWriteInProgress;
      continue;
    }
    if (hashing != nullptr && XXH3_64bits_digest(hashing) != slot->checksum)
      return Error::kChecksumMismatch;
    message->sequence = next_sequence_;
    Advance();
    return {};
  }
}

Result<Channel::Message> Channel::Reader::Read(std::chrono::nanoseconds timeout) {
  Message message;
  if (Result<void> ok = ReadInto(&message, timeout); !ok.ok())
    return ok.error();
  return message;
}

}  // namespace ashmem
