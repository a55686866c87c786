// SPDX-License-Identifier: Apache-2.0
//
// The Binder transport over a real Binder device: the QEMU guest loads
// binder_linux (or has binderfs) next to ashmem_linux, and runs this
// program from /libashmem.  It is built apart from the host's tests
// (tests/guest/) because a host without Binder can only fail it: it never
// skips.  Each test forks a service that becomes the context manager of
// /dev/binder and talks to it from the test process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ashmem.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ashmem/binder.h>
#include <ashmem/channel.h>
#include <ashmem/fd_passing.h>
#include <ashmem/memory_file.h>
#include <ashmem/memory_heap.h>
#include <ashmem/region.h>
#include <ashmem/region_server.h>

namespace ashmem {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint32_t kEcho = 1;
constexpr std::uint32_t kMapAndAnswer = 2;
constexpr std::uint32_t kQuit = 3;

std::size_t PageSize() {
  return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// A pipe, both ends close-on-exec.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  static Pipe Make() {
    int fds[2] = {-1, -1};
    if (pipe2(fds, O_CLOEXEC) != 0)
      return {};
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
};

bool Signal(const UniqueFd& fd) {
  char c = 1;
  return write(fd.get(), &c, 1) == 1;
}

bool Await(const UniqueFd& fd) {
  char c;
  ssize_t n;
  do {
    n = read(fd.get(), &c, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

// The exit status of pid as one number: the code, or 128 + the signal.
int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int DeleteModule(const char* name) {
  return static_cast<int>(syscall(SYS_delete_module, name, O_NONBLOCK));
}

// Each test's service: a child process that becomes the context manager,
// says so, and runs its serve function; its return value is the child's
// exit code (0: everything it checked held).  The test process then holds
// a reference to the manager and watches its death, so that TearDown can
// wait until the kernel has released it (the next test's service could not
// become the manager before).
class BinderTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (service_ > 0) {
      kill(service_, SIGKILL);
      Reap(service_);
    }
    if (client_) {
      EXPECT_TRUE(client_->WaitForDeath(kContextManager, seconds(10)).ok());
    }
  }

  // Forks a service that runs setup (which must become the manager and
  // return true) and then, once this process watches it (a manager that is
  // gone before could not be watched), serve.
  void StartChild(std::function<bool()> setup, std::function<int()> serve) {
    Pipe ready = Pipe::Make();
    Pipe watched = Pipe::Make();
    ASSERT_TRUE(ready.read.valid() && watched.read.valid());
    service_ = fork();
    ASSERT_GE(service_, 0);
    if (service_ == 0) {
      ready.read.reset();
      watched.write.reset();
      if (!setup())
        _exit(100);
      Signal(ready.write);
      if (!Await(watched.read))
        _exit(101);
      _exit(serve());
    }
    ready.write.reset();
    watched.read.reset();
    ASSERT_TRUE(Await(ready.read)) << "the service did not become the context manager";
    Result<Binder> client = Binder::Open();
    ASSERT_TRUE(client.ok()) << client.error().message();
    client_ = std::move(client).value();
    Result<void> watch = client_->WatchDeath(kContextManager);
    ASSERT_TRUE(watch.ok()) << watch.error().message();
    ASSERT_TRUE(Signal(watched.write));
  }

  // A service on a Binder of its own.
  void StartService(std::function<int(Binder&)> serve, std::size_t map_size = kBinderMapSize) {
    auto binder = std::make_shared<std::optional<Binder>>();
    StartChild(
        [binder, map_size] {
          Result<Binder> opened = Binder::Open(kBinderDevice, map_size);
          if (!opened.ok() || !opened->BecomeContextManager().ok())
            return false;
          binder->emplace(std::move(opened).value());
          return true;
        },
        [binder, serve] { return serve(**binder); });
  }

  // The service's exit code, once it has ended by itself.
  int ServiceExit() {
    const int code = Reap(service_);
    service_ = -1;
    return code;
  }

  Binder& client() { return *client_; }

  pid_t service_ = -1;
  std::optional<Binder> client_;
};

// Fills memory with a pattern that depends on seed.
void Fill(std::span<std::byte> bytes, unsigned seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
}

bool Holds(std::span<const std::byte> bytes, unsigned seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != static_cast<std::byte>((i * 31 + seed) & 0xff))
      return false;
  }
  return true;
}

bool AllZero(std::span<const std::byte> bytes) {
  for (std::byte b : bytes) {
    if (b != std::byte{0})
      return false;
  }
  return true;
}

// ---- the transport, case by case --------------------------------------------

TEST_F(BinderTest, TransactionAndReplyCarryData) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok() || txn->code != kEcho || txn->one_way)
      return 1;
    Result<std::string> text = txn->data.ReadString();
    Result<std::uint64_t> number = txn->data.ReadUint64();
    if (!text.ok() || !number.ok())
      return 2;
    Parcel reply;
    reply.WriteString(*text + " back");
    reply.WriteUint64(*number + 1);
    return b.Reply(reply).ok() ? 0 : 3;
  });
  Parcel data;
  data.WriteString("hello");
  data.WriteUint64(41);
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, data);
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  Result<std::string> text = reply->ReadString();
  ASSERT_TRUE(text.ok());
  EXPECT_EQ("hello back", *text);
  Result<std::uint64_t> number = reply->ReadUint64();
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(42u, *number);
  EXPECT_EQ(0u, reply->remaining());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, OneWayTransactionArrivesWithoutReply) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok() || !txn->one_way || txn->code != kEcho)
      return 1;
    Result<std::uint32_t> value = txn->data.ReadUint32();
    // Nobody waits: a reply is refused.
    if (!value.ok() || *value != 7 || b.Reply(Parcel()).error() != std::errc::invalid_argument)
      return 2;
    return 0;
  });
  Parcel data;
  data.WriteUint32(7);
  Result<void> sent = client().TransactOneWay(kContextManager, kEcho, data);
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, ReplyErrorReachesTheClientAsItsErrno) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    return txn.ok() && b.ReplyError(ENOENT).ok() ? 0 : 1;
  });
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, Parcel());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::no_such_file_or_directory, reply.error());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, ReceiveTimesOutWithoutTransactions) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(milliseconds(50));
    return !txn.ok() && txn.error() == std::errc::timed_out ? 0 : 1;
  });
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, SecondContextManagerIsRefused) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    return txn.ok() && b.Reply(Parcel()).ok() ? 0 : 1;
  });
  Result<Binder> other = Binder::Open();
  ASSERT_TRUE(other.ok());
  Result<void> manager = other->BecomeContextManager(milliseconds(0));
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(std::errc::device_or_resource_busy, manager.error());
  ASSERT_TRUE(client().Transact(kContextManager, kQuit, Parcel()).ok());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, BadFdIsRefusedByTheKernelWithEbadf) {
  StartService([](Binder& b) {
    // Only the good transaction arrives.
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok() || txn->code != kQuit)
      return 1;
    return b.Reply(Parcel()).ok() ? 0 : 2;
  });
  Parcel data;
  data.WriteFd(-1);
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, data);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::bad_file_descriptor, reply.error());
  ASSERT_TRUE(client().Transact(kContextManager, kQuit, Parcel()).ok());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, TooLargeTransactionFailsWithEmsgsize) {
  // The service's receive buffer is 64 KiB; a 128 KiB transaction cannot
  // fit, and the service never sees it.
  StartService(
      [](Binder& b) {
        Result<Transaction> txn = b.Receive(seconds(10));
        if (!txn.ok() || txn->code != kQuit)
          return 1;
        return b.Reply(Parcel()).ok() ? 0 : 2;
      },
      64 * 1024);
  std::vector<std::byte> big(128 * 1024, std::byte{0x5a});
  Parcel data;
  data.WriteBytes(big);
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, data);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::message_size, reply.error());
  ASSERT_TRUE(client().Transact(kContextManager, kQuit, Parcel()).ok());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, TooLargeReplyFailsTheSendersCallNotTheReply) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok())
      return 1;
    Parcel big;
    big.WriteBytes(std::vector<std::byte>(64 * 1024));
    // The kernel refuses it to the sender; the replier is not told.
    if (!b.Reply(big).ok())
      return 2;
    txn = b.Receive(seconds(10));
    return txn.ok() && txn->code == kQuit && b.Reply(Parcel()).ok() ? 0 : 3;
  });
  Result<Binder> small = Binder::Open(kBinderDevice, 16 * 1024);
  ASSERT_TRUE(small.ok()) << small.error().message();
  Result<Parcel> reply = small->Transact(kContextManager, kEcho, Parcel());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::message_size, reply.error());
  ASSERT_TRUE(client().Transact(kContextManager, kQuit, Parcel()).ok());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, ReplyThatDoesNotParseIsAProtocolError) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    Parcel reply;
    reply.WriteUint32(1);  // a u32 where the client reads a string's bytes
    return txn.ok() && b.Reply(reply).ok() ? 0 : 1;
  });
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, Parcel());
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  Result<std::string> text = reply->ReadString();
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(make_error_code(Error::kProtocol), text.error());
  Result<UniqueFd> fd = reply->ReadFd();
  EXPECT_EQ(make_error_code(Error::kProtocol), fd.error());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, TransactTimesOutAndTheConnectionIsThenClosed) {
  Pipe go = Pipe::Make();
  StartService([&go](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok())
      return 1;
    Await(go.read);
    // The sender gave up on it; the kernel still takes the reply.
    return b.Reply(Parcel()).ok() ? 0 : 2;
  });
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, Parcel(), milliseconds(100));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::timed_out, reply.error());
  Result<Parcel> again = client().Transact(kContextManager, kEcho, Parcel());
  EXPECT_EQ(std::errc::not_connected, again.error());
  ASSERT_TRUE(Signal(go.write));
  EXPECT_EQ(0, ServiceExit());
  // Death is still watched on it (TearDown waits for it).
}

TEST_F(BinderTest, ServiceDyingMidTransactionFailsTheCallWithEpipe) {
  StartService([](Binder& b) -> int {
    Result<Transaction> txn = b.Receive(seconds(10));
    _exit(txn.ok() ? 0 : 1);  // dies holding the transaction
  });
  Result<Parcel> reply = client().Transact(kContextManager, kEcho, Parcel());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(std::errc::broken_pipe, reply.error());
  EXPECT_EQ(0, ServiceExit());
  // And its death is reported to whoever watches it.
  ASSERT_TRUE(client().WaitForDeath(kContextManager, seconds(10)).ok());
  EXPECT_TRUE(client().IsDead(kContextManager));
  // With no manager at all, a call fails alike.
  Result<Parcel> none = client().Transact(kContextManager, kEcho, Parcel());
  EXPECT_EQ(std::errc::broken_pipe, none.error());
}

TEST_F(BinderTest, ClientDyingMidTransactionLeavesTheServiceServing) {
  Pipe got = Pipe::Make();
  Pipe go = Pipe::Make();
  StartService([&](Binder& b) {
    Result<Transaction> first = b.Receive(seconds(10));
    if (!first.ok() || first->code != kEcho)
      return 1;
    Signal(got.write);
    Await(go.read);
    // The sender is dead by now.  The kernel drops such a reply (with its
    // fd, which must not leak) or refuses it; either way serving goes on.
    Result<Region> region = Region::Create("orphan-reply", PageSize());
    if (!region.ok())
      return 2;
    Parcel orphan;
    orphan.WriteFd(region->fd());
    Result<void> replied = b.Reply(orphan);
    if (!replied.ok() && replied.error() != std::errc::broken_pipe)
      return 3;
    Result<Transaction> second = b.Receive(seconds(10));
    if (!second.ok() || second->code != kQuit)
      return 4;
    Parcel alive;
    alive.WriteString("still serving");
    return b.Reply(alive).ok() ? 0 : 5;
  });
  const pid_t doomed = fork();
  ASSERT_GE(doomed, 0);
  if (doomed == 0) {
    Result<Binder> b = Binder::Open();
    if (b.ok())
      (void)b->Transact(kContextManager, kEcho, Parcel(), seconds(30));
    _exit(0);
  }
  ASSERT_TRUE(Await(got.read));
  kill(doomed, SIGKILL);
  EXPECT_EQ(128 + SIGKILL, Reap(doomed));
  ASSERT_TRUE(Signal(go.write));
  Result<Parcel> reply = client().Transact(kContextManager, kQuit, Parcel());
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  Result<std::string> text = reply->ReadString();
  ASSERT_TRUE(text.ok());
  EXPECT_EQ("still serving", *text);
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, DeathOfTheManagerIsNotified) {
  StartService([](Binder&) { return 0; });
  EXPECT_EQ(0, ServiceExit());
  ASSERT_TRUE(client().WaitForDeath(kContextManager, seconds(10)).ok());
  EXPECT_TRUE(client().IsDead(kContextManager));
}

// ---- regions over Binder ----------------------------------------------------

// The region in the first fd object of the next transaction b receives.
Result<Region> ReceiveRegion(Binder& b, bool* one_way = nullptr) {
  Result<Transaction> txn = b.Receive(seconds(10));
  if (!txn.ok())
    return txn.error();
  if (one_way != nullptr)
    *one_way = txn->one_way;
  Result<UniqueFd> fd = txn->data.ReadFd();
  if (!fd.ok())
    return fd.error();
  return Region::Adopt(std::move(fd).value());
}

// The service maps the region it is sent, checks the client's pattern,
// writes its own, and answers what it found.
TEST_F(BinderTest, SharedAreaWritesAreSeenBothWays) {
  StartService([](Binder& b) {
    Result<Region> region = ReceiveRegion(b);
    if (!region.ok() || region->backend() != Backend::kAshmem)
      return 3;
    Result<Mapping> m = region->Map(PROT_READ | PROT_WRITE);
    if (!m.ok() || !Holds(m->span(), 1))
      return 4;
    Fill(m->span(), 2);
    return b.Reply(Parcel()).ok() ? 0 : 5;
  });
  Result<Region> region = Region::Create("both-ways", 4 * PageSize());
  ASSERT_TRUE(region.ok()) << region.error().message();
  ASSERT_EQ(Backend::kAshmem, region->backend()) << "the guest has /dev/ashmem";
  Result<Mapping> m = region->Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(m.ok());
  Fill(m->span(), 1);
  Parcel data;
  data.WriteFd(region->fd());
  ASSERT_TRUE(client().Transact(kContextManager, kMapAndAnswer, data).ok());
  EXPECT_TRUE(Holds(m->span(), 2)) << "the service's writes are not visible here";
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, MaskNarrowedByTheReceiverHoldsForTheSender) {
  StartService([](Binder& b) {
    Result<Region> region = ReceiveRegion(b);
    if (!region.ok() || !region->RestrictProt(PROT_READ).ok())
      return 3;
    return b.Reply(Parcel()).ok() ? 0 : 4;
  });
  Result<Region> region = Region::Create("mask", PageSize());
  ASSERT_TRUE(region.ok());
  Parcel data;
  data.WriteFd(region->fd());
  ASSERT_TRUE(client().Transact(kContextManager, kMapAndAnswer, data).ok());
  Result<int> prot = region->Prot();
  ASSERT_TRUE(prot.ok());
  EXPECT_EQ(PROT_READ, *prot);
  Result<Mapping> writable = region->Map(PROT_READ | PROT_WRITE);
  ASSERT_FALSE(writable.ok());
  EXPECT_EQ(std::errc::operation_not_permitted, writable.error());
  EXPECT_TRUE(region->Map(PROT_READ).ok());
  EXPECT_EQ(0, ServiceExit());
}

// What the service tried on a read-only fd, bit by bit (0: all refused).
TEST_F(BinderTest, ReadOnlyFdCannotBeMadeWritable) {
  StartService([](Binder& b) {
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok())
      return 1;
    Result<UniqueFd> fd = txn->data.ReadFd();
    if (!fd.ok())
      return 2;
    int got = 0;
    const int raw = fd->get();
    const std::size_t len = PageSize();
    // a writable shared mapping
    void* w = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, raw, 0);
    if (w != MAP_FAILED || errno != EPERM)
      got |= 4;
    // widening the mask back
    if (ioctl(raw, ASHMEM_SET_PROT_MASK, PROT_READ | PROT_WRITE) != -1 || errno != EINVAL)
      got |= 8;
    // a read-only mapping made writable
    void* r = mmap(nullptr, len, PROT_READ, MAP_SHARED, raw, 0);
    if (r == MAP_FAILED)
      return 16;
    if (mprotect(r, len, PROT_READ | PROT_WRITE) != -1 || errno != EACCES)
      got |= 32;
    if (!Holds({static_cast<const std::byte*>(r), len}, 3))
      got |= 64;
    munmap(r, len);
    Parcel reply;
    reply.WriteInt32(got);
    return b.Reply(reply).ok() ? 0 : 3;
  });
  Result<MappedReadOnlyRegion> made = Region::CreateMappedReadOnly("read-only", PageSize());
  ASSERT_TRUE(made.ok()) << made.error().message();
  Fill(made->mapping.span(), 3);
  Parcel data;
  data.WriteFd(made->region.fd());
  Result<Parcel> reply = client().Transact(kContextManager, kMapAndAnswer, data);
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  Result<std::int32_t> got = reply->ReadInt32();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(0, *got) << "bits: 4 writable mmap, 8 mask widened, 32 mprotect, 64 content";
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, PinStateAndPurgeAreSharedOverBinder) {
  const std::size_t len = 2 * PageSize();
  StartService([len](Binder& b) {
    // First: unpin what the client sent, and keep the region.
    Result<Region> region = ReceiveRegion(b);
    if (!region.ok())
      return 3;
    Result<Mapping> m = region->Map(PROT_READ);
    if (!m.ok() || !Holds(m->span(), 4) || !region->Unpin().ok())
      return 4;
    if (!b.Reply(Parcel()).ok())
      return 5;
    // Second, after the client purged: pinning reports the loss, and the
    // memory reads as zeros here too.
    if (!b.Receive(seconds(10)).ok())
      return 6;
    Result<PinState> state = region->Pin();
    Parcel reply;
    reply.WriteInt32(state.ok() && *state == PinState::kPurged ? 1 : 0);
    reply.WriteInt32(AllZero(m->span().first(len)) ? 1 : 0);
    return b.Reply(reply).ok() ? 0 : 7;
  });
  Result<Region> region = Region::Create("pins", len);
  ASSERT_TRUE(region.ok());
  Result<Mapping> m = region->Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(m.ok());
  Fill(m->span(), 4);
  Parcel data;
  data.WriteFd(region->fd());
  ASSERT_TRUE(client().Transact(kContextManager, kMapAndAnswer, data).ok());
  Result<bool> pinned = region->IsPinned();
  ASSERT_TRUE(pinned.ok());
  EXPECT_FALSE(*pinned) << "the service's unpin is not seen here";
  Result<std::size_t> purged = PurgeAllCaches();
  ASSERT_TRUE(purged.ok()) << purged.error().message();
  EXPECT_GE(*purged, len / PageSize());
  Result<Parcel> reply = client().Transact(kContextManager, kMapAndAnswer, Parcel());
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  EXPECT_EQ(1, reply->ReadInt32().value()) << "the service's pin did not report the purge";
  EXPECT_EQ(1, reply->ReadInt32().value()) << "the service still sees the old contents";
  EXPECT_TRUE(AllZero(m->span())) << "the purge is not seen here";
  pinned = region->IsPinned();
  ASSERT_TRUE(pinned.ok());
  EXPECT_TRUE(*pinned) << "the service's pin is not seen here";
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, ModuleRefusesUnloadWhileATransactionHoldsItsFd) {
  Pipe go = Pipe::Make();
  StartService([&go](Binder& b) {
    // Reads the transaction only when told: until then the kernel's
    // transaction is the only holder of the region.
    Await(go.read);
    bool one_way = false;
    Result<Region> region = ReceiveRegion(b, &one_way);
    if (!one_way)
      return 1;
    if (!region.ok())
      return 3;
    Result<ReadOnlyMapping> m = region->MapReadOnly();
    return m.ok() && Holds(m->span(), 5) ? 0 : 4;
  });
  {
    Result<Region> region = Region::Create("in-flight", PageSize());
    ASSERT_TRUE(region.ok());
    {
      Result<Mapping> m = region->Map(PROT_READ | PROT_WRITE);
      ASSERT_TRUE(m.ok());
      Fill(m->span(), 5);
    }
    Parcel data;
    data.WriteFd(region->fd());
    ASSERT_TRUE(client().TransactOneWay(kContextManager, kMapAndAnswer, data).ok());
  }
  // This process holds no area now, the service none yet.
  EXPECT_EQ(-1, DeleteModule("ashmem_linux")) << "ashmem_linux unloaded with an fd in flight";
  EXPECT_EQ(EAGAIN, errno);
  ASSERT_TRUE(Signal(go.write));
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, RegionServerServesOverBinderWithTheReadOnlyRules) {
  auto server = std::make_shared<std::optional<RegionServer>>();
  auto made = std::make_shared<std::optional<MappedReadOnlyRegion>>();
  StartChild(
      [server, made] {
        Result<RegionServer> listening = RegionServer::ListenBinder();
        Result<MappedReadOnlyRegion> frames = Region::CreateMappedReadOnly("frames", PageSize());
        if (!listening.ok() || !frames.ok())
          return false;
        Fill(frames->mapping.span(), 6);
        if (!listening->Publish("frames", frames->region, Access::kReadOnly).ok())
          return false;
        server->emplace(std::move(listening).value());
        made->emplace(std::move(frames).value());
        return true;
      },
      [server] {
        // a read-only Get, a read-write Get (refused), an unknown name
        for (int i = 0; i < 3; ++i) {
          if (!(*server)->ServeClient(seconds(10)).ok())
            return 1 + i;
        }
        // and a transaction that is no request at all
        Result<void> bad = (*server)->ServeClient(seconds(10));
        return bad.error() == make_error_code(Error::kProtocol) ? 0 : 5;
      });
  Result<RegionClient> rc = RegionClient::ConnectBinder();
  ASSERT_TRUE(rc.ok()) << rc.error().message();
  Result<Region> frames = rc->Get("frames");
  ASSERT_TRUE(frames.ok()) << frames.error().message();
  EXPECT_EQ(PageSize(), frames->size());
  Result<int> prot = frames->Prot();
  ASSERT_TRUE(prot.ok());
  EXPECT_EQ(0, *prot & PROT_WRITE);
  Result<ReadOnlyMapping> view = frames->MapReadOnly();
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(Holds(view->span(), 6));
  EXPECT_EQ(std::errc::operation_not_permitted, frames->Map(PROT_READ | PROT_WRITE).error());
  EXPECT_EQ(std::errc::permission_denied, rc->Get("frames", Access::kReadWrite).error());
  EXPECT_EQ(std::errc::no_such_file_or_directory, rc->Get("nothing").error());
  Result<Parcel> bad = client().Transact(kContextManager, 12345, Parcel());
  EXPECT_EQ(std::errc::bad_message, bad.error());
  EXPECT_EQ(0, ServiceExit());
}

TEST_F(BinderTest, HeapIsMappedOnceHoweverManyBlocksArrive) {
  constexpr std::size_t kHeapSize = 64 * 1024;
  StartService([](Binder& b) {
    Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Create("heap", kHeapSize);
    if (!heap.ok())
      return 1;
    std::uint32_t* counter = reinterpret_cast<std::uint32_t*>((*heap)->mutable_span().data());
    *counter = 100;
    // Three requests: a block each time, with the heap; then a block that
    // lies outside it (written by hand: Block() refuses to make one).
    for (std::uint32_t i = 0; i < 3; ++i) {
      Result<Transaction> txn = b.Receive(seconds(10));
      if (!txn.ok())
        return 2;
      Result<Memory> block = (*heap)->Block(4096 * i, 4096);
      if (!block.ok())
        return 3;
      Parcel reply;
      WriteHeap(reply, **heap);
      if (!WriteMemory(reply, *block).ok() || !b.Reply(reply).ok())
        return 4;
    }
    Result<Transaction> txn = b.Receive(seconds(10));
    if (!txn.ok())
      return 5;
    Parcel reply;
    reply.WriteUint64((*heap)->id());
    reply.WriteUint64(kHeapSize - 16);
    reply.WriteUint64(32);
    if (!b.Reply(reply).ok())
      return 6;
    // The client incremented the counter through its own mapping.
    txn = b.Receive(seconds(10));
    if (!txn.ok())
      return 7;
    Parcel seen;
    seen.WriteUint32(*counter);
    return b.Reply(seen).ok() ? 0 : 8;
  });
  HeapCache heaps;
  std::vector<Memory> blocks;
  for (int i = 0; i < 3; ++i) {
    Result<Parcel> reply = client().Transact(kContextManager, kEcho, Parcel());
    ASSERT_TRUE(reply.ok()) << reply.error().message();
    Result<std::shared_ptr<MemoryHeap>> heap = heaps.ReadHeap(*reply);
    ASSERT_TRUE(heap.ok()) << heap.error().message();
    Result<Memory> block = heaps.ReadMemory(*reply);
    ASSERT_TRUE(block.ok()) << block.error().message();
    EXPECT_EQ(4096u * i, block->offset());
    blocks.push_back(*block);
  }
  EXPECT_EQ(1u, heaps.size());
  EXPECT_EQ(blocks[0].heap(), blocks[2].heap()) << "the heap was mapped more than once";
  Result<Parcel> outside = client().Transact(kContextManager, kEcho, Parcel());
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(make_error_code(Error::kProtocol), heaps.ReadMemory(*outside).error());
  auto* counter = reinterpret_cast<std::uint32_t*>(blocks[0].mutable_span().data());
  ASSERT_NE(nullptr, counter);
  EXPECT_EQ(100u, *counter);
  ++*counter;
  Result<Parcel> seen = client().Transact(kContextManager, kEcho, Parcel());
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(101u, seen->ReadUint32().value());
  EXPECT_EQ(0, ServiceExit());
}

// Binderfs, where the kernel has it (the debug lane): a device made on
// request is a context of its own.  Elsewhere the mount is refused.
TEST(BinderfsTest, DeviceMadeOnRequestWorks) {
  char dir[] = "/tmp/binderfs.XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(dir));
  std::ifstream filesystems("/proc/filesystems");
  std::string all((std::istreambuf_iterator<char>(filesystems)), std::istreambuf_iterator<char>());
  const bool has_binderfs = all.find("\tbinder\n") != std::string::npos;
  const int mounted = mount("binder", dir, "binder", 0, nullptr);
  if (!has_binderfs) {
    EXPECT_EQ(-1, mounted);
    EXPECT_EQ(ENODEV, errno);
    EXPECT_EQ(std::errc::no_such_device, AddBinderfsDevice(dir, "ashmem-test").error());
    rmdir(dir);
    return;
  }
  ASSERT_EQ(0, mounted) << strerror(errno);
  Result<std::string> device = AddBinderfsDevice(dir, "ashmem-test");
  ASSERT_TRUE(device.ok()) << device.error().message();
  EXPECT_EQ(std::errc::file_exists, AddBinderfsDevice(dir, "ashmem-test").error());
  {
    Result<Binder> manager = Binder::Open(*device);
    ASSERT_TRUE(manager.ok()) << manager.error().message();
    // Its own context: becoming its manager does not touch /dev/binder's.
    EXPECT_TRUE(manager->BecomeContextManager(milliseconds(0)).ok());
  }
  EXPECT_EQ(0, umount2(dir, MNT_DETACH));
  rmdir(dir);
}

// ---- the documentation's examples ---------------------------------------------

}  // namespace

// Documentation/libashmem.rst's "// example:" blocks, as they are written.
namespace doc {
#include "doc_examples.inc"
}  // namespace doc

namespace {

struct DocExample {
  const char* name;
  int (*serve)(Binder&);
  int (*use)(Binder&);
};

class BinderDocExampleTest : public BinderTest, public ::testing::WithParamInterface<DocExample> {};

TEST_P(BinderDocExampleTest, WorksAsDocumented) {
  StartService(GetParam().serve);
  EXPECT_EQ(0, GetParam().use(client()));
  EXPECT_EQ(0, ServiceExit());
}

INSTANTIATE_TEST_SUITE_P(
    Documentation, BinderDocExampleTest,
    ::testing::Values(DocExample{"MemoryFile", doc::ServeMemoryFile, doc::SendMemoryFile},
                      DocExample{"MemoryService", doc::ServeMemory, doc::UseMemoryService},
                      DocExample{"BufferService", doc::ServeBuffer, doc::IncrementBuffer},
                      DocExample{"Channel", doc::ServeFrames, doc::ConsumeFrames}),
    [](const ::testing::TestParamInfo<DocExample>& param) {
      return std::string(param.param.name);
    });

// ---- the examples -----------------------------------------------------------

// Runs one of the Binder examples (examples/, in the guest's /examples, or
// ASHMEM_EXAMPLES) and checks that it says it succeeded.
class BinderExampleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BinderExampleTest, RunsToItsEnd) {
  const char* env = getenv("ASHMEM_EXAMPLES");
  const std::string path = std::string(env != nullptr ? env : "/examples") + "/" + GetParam();
  ASSERT_EQ(0, access(path.c_str(), X_OK)) << path << ": " << strerror(errno);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_EQ(0, Reap(pid));
}

// "ashmem-binder-memory-file" -> "MemoryFile"
std::string ExampleName(const ::testing::TestParamInfo<const char*>& param) {
  std::string out;
  bool upper = true;
  for (char c : std::string(param.param).substr(std::strlen("ashmem-binder-"))) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Examples, BinderExampleTest,
                         ::testing::Values("ashmem-binder-memory-file",
                                           "ashmem-binder-memory-service",
                                           "ashmem-binder-buffer-service", "ashmem-binder-channel"),
                         ExampleName);

}  // namespace
}  // namespace ashmem
