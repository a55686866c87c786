// SPDX-License-Identifier: Apache-2.0
#include <ashmem/channel.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <vector>

#include <ashmem/fd_passing.h>
#include <ashmem/region.h>

#include "test_util.h"

namespace ashmem {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)
using testing::BackendTest;
using testing::PageSize;

// A recognisable payload: byte i of message n is (n * 31 + i) mod 251.
std::vector<std::byte> Pattern(std::size_t size, std::uint64_t n) {
  std::vector<std::byte> v(size);
  for (std::size_t i = 0; i < size; ++i)
    v[i] = std::byte((n * 31 + i) % 251);
  return v;
}

// Offsets into the header, as documented in channel.h.
constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kStateOffset = 8;
constexpr std::size_t kSequenceOffset = 16;
constexpr std::size_t kLengthOffset = 24;

class ChannelTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    Result<Region> region = Region::Create("channel-test", 4 * PageSize(), backend());
    ASSERT_TRUE(region.ok()) << region.error().message();
    region_ = std::move(region).value();
    Result<Writer> writer = Channel::Writer::Create(MapOrDie(PROT_READ | PROT_WRITE));
    ASSERT_TRUE(writer.ok()) << writer.error().message();
    writer_.emplace(std::move(writer).value());
  }
  using Writer = Channel::Writer;
  using Reader = Channel::Reader;

  Mapping MapOrDie(int prot) {
    Result<Mapping> mapping = region_.Map(prot);
    EXPECT_TRUE(mapping.ok()) << mapping.error().message();
    return mapping.ok() ? std::move(mapping).value() : Mapping();
  }
  void Attach(int prot, std::optional<Reader>* out) {
    Result<Reader> reader = Reader::Attach(MapOrDie(prot));
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    out->emplace(std::move(reader).value());
  }
  // A separate writable view of the header, to corrupt it.
  template <typename T>
  void Poke(std::size_t offset, T value) {
    Mapping raw = MapOrDie(PROT_READ | PROT_WRITE);
    std::memcpy(raw.data() + offset, &value, sizeof(value));
  }

  Region region_;
  std::optional<Writer> writer_;
};

TEST_P(ChannelTest, RoundTripsPayloadsOfManySizes) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  const std::size_t capacity = writer_->capacity();
  ASSERT_EQ(region_.size() - Channel::kHeaderSize, capacity);
  const std::size_t sizes[] = {0, 1, 7, 63, 64, 65, 4095, 4096, 4097, capacity - 1, capacity};
  std::uint64_t n = 0;
  for (std::size_t size : sizes) {
    ++n;
    std::vector<std::byte> payload = Pattern(size, n);
    Result<std::uint64_t> seq = writer_->Write(payload, 0s);
    ASSERT_TRUE(seq.ok()) << "size " << size << ": " << seq.error().message();
    EXPECT_EQ(n, *seq);
    Result<Channel::Message> got = reader->TryRead();
    ASSERT_TRUE(got.ok()) << "size " << size << ": " << got.error().message();
    EXPECT_EQ(n, got->sequence);
    EXPECT_EQ(payload, got->payload) << "size " << size;
  }
}

TEST_P(ChannelTest, RejectsPayloadLargerThanCapacity) {
  std::vector<std::byte> big(writer_->capacity() + 1);
  EXPECT_EQ(std::errc::message_size, writer_->Write(big, 0s).error());
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  EXPECT_EQ(Error::kNoMessage, reader->TryRead().error()) << "nothing may have been written";
}

TEST_P(ChannelTest, PollWithoutMessageSaysSo) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  EXPECT_EQ(Error::kNoMessage, reader->TryRead().error());
}

TEST_P(ChannelTest, BlockingReadTimesOut) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(std::errc::timed_out, reader->Read(30ms).error());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST_P(ChannelTest, WriterWaitsUntilTheMessageIsConsumed) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  ASSERT_TRUE(writer_->Write(AsBytes("one"), 0s).ok());
  EXPECT_EQ(std::errc::resource_unavailable_try_again, writer_->Write(AsBytes("two"), 0s).error());
  EXPECT_EQ(std::errc::timed_out, writer_->Write(AsBytes("two"), 20ms).error());
  ASSERT_TRUE(reader->TryRead().ok());
  EXPECT_TRUE(writer_->Write(AsBytes("two"), 0s).ok());
}

TEST_P(ChannelTest, BlockedReaderWakesOnWrite) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  auto got = std::async(std::launch::async, [&] { return reader->Read(10s); });
  ASSERT_TRUE(writer_->Write(AsBytes("wake up"), 10s).ok());
  Result<Channel::Message> message = got.get();
  ASSERT_TRUE(message.ok()) << message.error().message();
  EXPECT_EQ(7u, message->payload.size());
}

TEST_P(ChannelTest, ReadOnlyReaderReadsEachMessageOnceAndDoesNotAcknowledge) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ, &reader));
  EXPECT_FALSE(reader->acknowledges());
  ASSERT_TRUE(writer_->Write(AsBytes("snapshot"), 0s).ok());
  Result<Channel::Message> got = reader->TryRead();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(Error::kNoMessage, reader->TryRead().error()) << "each message is returned once";
  EXPECT_EQ(std::errc::resource_unavailable_try_again, writer_->Write(AsBytes("next"), 0s).error())
      << "a read-only reader cannot free the slot";
}

TEST_P(ChannelTest, ProducerKilledMidWriteIsReported) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  int ready[2];
  ASSERT_EQ(0, pipe(ready));
  pid_t child = fork();
  ASSERT_NE(-1, child);
  if (child == 0) {
    Result<std::span<std::byte>> slot = writer_->BeginWrite(1000, 0s);
    if (!slot.ok())
      _exit(1);
    std::memset(slot->data(), 'h', 500);  // half a message, then death
    char c = 1;
    if (write(ready[1], &c, 1) != 1)
      _exit(2);
    for (;;)
      pause();
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(1, read(ready[0], &c, 1)) << "the child never began its write";
  close(ready[0]);
  ASSERT_EQ(0, kill(child, SIGKILL));
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  EXPECT_EQ(Error::kWriteInProgress, reader->TryRead().error());
  EXPECT_EQ(Error::kWriteInProgress, reader->Read(20ms).error())
      << "a blocking read gives up with the same report";
}

TEST_P(ChannelTest, RestartedWriterContinuesTheSequence) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  ASSERT_TRUE(writer_->Write(AsBytes("before"), 0s).ok());
  Result<Channel::Message> first = reader->TryRead();
  ASSERT_TRUE(first.ok()) << first.error().message();
  // The producer restarts: a new Writer over the same region.
  writer_.reset();
  Result<Writer> restarted = Writer::Create(MapOrDie(PROT_READ | PROT_WRITE));
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  Result<std::uint64_t> seq = restarted->Write(AsBytes("after"), 0s);
  ASSERT_TRUE(seq.ok()) << seq.error().message();
  EXPECT_GT(*seq, first->sequence);
  Result<Channel::Message> second = reader->TryRead();
  ASSERT_TRUE(second.ok()) << "the reader must see the new writer's message: "
                           << second.error().message();
  EXPECT_EQ(*seq, second->sequence);
  EXPECT_EQ(0, std::memcmp("after", second->payload.data(), 5));
}

TEST_P(ChannelTest, RestartedWriterKeepsAnUnreadMessage) {
  ASSERT_TRUE(writer_->Write(AsBytes("unread"), 0s).ok());
  writer_.reset();
  Result<Writer> restarted = Writer::Create(MapOrDie(PROT_READ | PROT_WRITE));
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  Result<Channel::Message> got = reader->TryRead();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(0, std::memcmp("unread", got->payload.data(), 6));
}

// Makes every copy of the payload that a reader makes look torn: page 1 of
// the reader's mapping is PROT_NONE; touching it bumps the sequence (as a
// producer that keeps rewriting a READY slot would) and moves the trap to
// page 2, and touching page 2 moves it back, so each pass over the payload
// changes the sequence exactly once.  After kMaxBumps the trap stops
// bumping and lets the copy through.
class SequenceBumper {
 public:
  static constexpr int kMaxBumps = 1000;

  SequenceBumper(std::byte* reader_memory, std::uint64_t* sequence) {
    page1_ = reader_memory + PageSize();
    page2_ = reader_memory + 2 * PageSize();
    sequence_ = sequence;
    bumps_.store(0);
    struct sigaction action = {};
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    installed_ = sigaction(SIGSEGV, &action, &old_) == 0;
    armed_ = installed_ && mprotect(page1_, PageSize(), PROT_NONE) == 0;
  }
  ~SequenceBumper() {
    mprotect(page1_, 2 * PageSize(), PROT_READ);
    if (installed_)
      sigaction(SIGSEGV, &old_, nullptr);
  }
  SequenceBumper(const SequenceBumper&) = delete;
  SequenceBumper& operator=(const SequenceBumper&) = delete;

  bool armed() const { return armed_; }
  int bumps() const { return bumps_; }

 private:
  static void OnFault(int, siginfo_t* info, void*) {
    auto* addr = static_cast<std::byte*>(info->si_addr);
    const std::size_t page = PageSize();
    if (addr >= page1_ && addr < page1_ + page) {
      if (bumps_ < kMaxBumps) {
        bumps_.fetch_add(1);
        std::atomic_ref<std::uint64_t>(*sequence_).fetch_add(1);
        mprotect(page2_, page, PROT_NONE);
      }
      mprotect(page1_, page, PROT_READ);
    } else if (addr >= page2_ && addr < page2_ + page) {
      mprotect(page1_, page, PROT_NONE);
      mprotect(page2_, page, PROT_READ);
    } else {
      signal(SIGSEGV, SIG_DFL);  // a real crash: let it happen
    }
  }

  static inline std::byte* page1_;
  static inline std::byte* page2_;
  static inline std::uint64_t* sequence_;
  static inline std::atomic<int> bumps_;
  bool installed_ = false;
  bool armed_ = false;
  struct sigaction old_ = {};
};

// A producer that keeps changing the sequence while the slot stays READY
// must not keep a reader past its timeout: each read gives up after at most
// a few torn copies, not after the producer stops.
TEST_P(ChannelTest, ReadIsBoundedWhileTheSequenceKeepsChanging) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ, &reader));
  ASSERT_GE(writer_->capacity(), 3 * PageSize());
  ASSERT_TRUE(writer_->Write(Pattern(writer_->capacity(), 1), 0s).ok());
  Mapping raw = MapOrDie(PROT_READ | PROT_WRITE);
  auto* sequence = reinterpret_cast<std::uint64_t*>(raw.data() + kSequenceOffset);
  for (auto read :
       {+[](Reader& r) { return r.TryRead(); }, +[](Reader& r) { return r.Read(20ms); }}) {
    Result<Channel::Message> got = Error::kNoMessage;
    int bumps = 0;
    {
      SequenceBumper bumper(reader->mapping().data(), sequence);
      ASSERT_TRUE(bumper.armed());
      got = read(*reader);
      bumps = bumper.bumps();
    }
    EXPECT_GE(bumps, 1) << "the read never copied the payload";
    EXPECT_LT(bumps, SequenceBumper::kMaxBumps) << "the read outlasted the producer";
    ASSERT_FALSE(got.ok()) << "the read retried until the producer stopped";
    EXPECT_EQ(Error::kWriteInProgress, got.error()) << got.error().message();
  }
}

TEST_P(ChannelTest, BadMagicIsReported) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  Poke<std::uint32_t>(0, 0xdeadbeef);
  EXPECT_EQ(Error::kBadMagic, reader->TryRead().error());
  EXPECT_EQ(Error::kBadMagic, Reader::Attach(MapOrDie(PROT_READ)).error());
  EXPECT_EQ(Error::kBadMagic, writer_->Write(AsBytes("x"), 0s).error());
}

TEST_P(ChannelTest, UnknownVersionIsReported) {
  Poke<std::uint16_t>(kVersionOffset, Channel::kVersion + 1);
  EXPECT_EQ(Error::kBadVersion, Reader::Attach(MapOrDie(PROT_READ)).error());
}

TEST_P(ChannelTest, UnknownStateIsReported) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  Poke<std::uint32_t>(kStateOffset, 77);
  EXPECT_EQ(Error::kCorruptHeader, reader->TryRead().error());
}

TEST_P(ChannelTest, ImpossibleLengthIsReported) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  ASSERT_TRUE(writer_->Write(AsBytes("fine"), 0s).ok());
  Poke<std::uint64_t>(kLengthOffset, writer_->capacity() + 1);
  EXPECT_EQ(Error::kCorruptHeader, reader->TryRead().error());
}

TEST_P(ChannelTest, CorruptPayloadFailsTheChecksum) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  ASSERT_TRUE(writer_->Write(AsBytes("checksummed"), 0s).ok());
  Poke<char>(Channel::kHeaderSize + 3, 'X');
  EXPECT_EQ(Error::kChecksumMismatch, reader->TryRead().error());
  EXPECT_EQ(std::errc::resource_unavailable_try_again, writer_->Write(AsBytes("x"), 0s).error())
      << "a corrupt message is not acknowledged";
}

TEST_P(ChannelTest, TwoStepWriteBuildsInPlace) {
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  EXPECT_EQ(std::errc::invalid_argument, writer_->Commit().error());
  Result<std::span<std::byte>> slot = writer_->BeginWrite(5, 0s);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(std::errc::device_or_resource_busy, writer_->BeginWrite(5, 0s).error());
  EXPECT_EQ(Error::kWriteInProgress, reader->TryRead().error());
  std::memcpy(slot->data(), "built", 5);
  ASSERT_TRUE(writer_->Commit().ok());
  Result<Channel::Message> got = reader->TryRead();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(0, std::memcmp("built", got->payload.data(), 5));
}

TEST_P(ChannelTest, RoundTripsAcrossProcesses) {
  constexpr int kMessages = 200;
  std::optional<Reader> reader;
  ASSERT_NO_FATAL_FAILURE(Attach(PROT_READ | PROT_WRITE, &reader));
  const std::size_t capacity = writer_->capacity();
  pid_t child = fork();
  ASSERT_NE(-1, child);
  if (child == 0) {
    for (int n = 1; n <= kMessages; ++n) {
      std::vector<std::byte> payload = Pattern((n * 97) % (capacity + 1), n);
      if (!writer_->Write(payload, 10s).ok())
        _exit(1);
    }
    _exit(0);
  }
  for (int n = 1; n <= kMessages; ++n) {
    Result<Channel::Message> got = reader->Read(10s);
    ASSERT_TRUE(got.ok()) << "message " << n << ": " << got.error().message();
    ASSERT_EQ(static_cast<std::uint64_t>(n), got->sequence);
    ASSERT_EQ(Pattern((n * 97) % (capacity + 1), n), got->payload) << "message " << n;
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChannelTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

TEST(ChannelSetupTest, RejectsUnusableMemory) {
  Result<Region> region = Region::Create("small", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  Result<Mapping> small = region->Map(PROT_READ | PROT_WRITE, 0, Channel::kHeaderSize - 1);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(std::errc::invalid_argument, Channel::Writer::Create(std::move(small).value()).error());
  Result<Mapping> read_only = region->Map(PROT_READ);
  ASSERT_TRUE(read_only.ok());
  EXPECT_EQ(std::errc::permission_denied,
            Channel::Writer::Create(std::move(read_only).value()).error());
  Result<Mapping> unaligned = region->Map(PROT_READ | PROT_WRITE, 4);
  ASSERT_TRUE(unaligned.ok());
  EXPECT_EQ(std::errc::invalid_argument,
            Channel::Writer::Create(std::move(unaligned).value()).error());
  EXPECT_EQ(std::errc::invalid_argument, Channel::Reader::Attach(Mapping()).error());
}

TEST(ChannelSetupTest, CapacityIsRegionMinusHeader) {
  EXPECT_EQ(0u, Channel::Capacity(0));
  EXPECT_EQ(0u, Channel::Capacity(Channel::kHeaderSize));
  EXPECT_EQ(1u, Channel::Capacity(Channel::kHeaderSize + 1));
}

}  // namespace
}  // namespace ashmem
