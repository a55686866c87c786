// SPDX-License-Identifier: Apache-2.0
#include <ashmem/region_server.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "test_util.h"

namespace ashmem {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)
using testing::BackendTest;
using testing::PageSize;

// A fresh directory for socket paths, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/ashmem-server-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr)
      path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) {
      unlink(Sock().c_str());
      rmdir(path_.c_str());
    }
  }
  std::string Sock() const { return path_ + "/sock"; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

// A socket of type connected to path, or an invalid fd.
UniqueFd RawConnect(const std::string& path, int type = SOCK_SEQPACKET) {
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (!fd.valid() || connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return UniqueFd();
  return fd;
}

// A well-formed read-only request for name, as RegionClient sends it.
std::array<char, 264> RawRequest(std::string_view name) {
  std::array<char, 264> request = {};
  const std::uint32_t magic = 0x51525341;  // "ASRQ"
  const std::uint16_t version = 1;
  std::memcpy(request.data(), &magic, 4);
  std::memcpy(request.data() + 4, &version, 2);
  std::memcpy(request.data() + 8, name.data(), name.size());
  return request;
}

class RegionServerTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    ASSERT_TRUE(dir_.ok());
    Result<Region> region = Region::Create("served", 2 * PageSize(), backend());
    ASSERT_TRUE(region.ok()) << region.error().message();
    region_ = std::move(region).value();
    Result<Mapping> mapping = region_.Map(PROT_READ | PROT_WRITE);
    ASSERT_TRUE(mapping.ok()) << mapping.error().message();
    mapping_ = std::move(mapping).value();
    std::memcpy(mapping_.data(), "served content", 15);
    Result<RegionServer> server = RegionServer::Listen(dir_.Sock());
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_.emplace(std::move(server).value());
  }
  // Serves one client on another thread; the result is in the future.
  std::future<Result<void>> ServeInBackground() {
    return std::async(std::launch::async, [this] { return server_->ServeClient(10s); });
  }
  void Connect(std::optional<RegionClient>* out) {
    Result<RegionClient> client = RegionClient::Connect(dir_.Sock(), 10s);
    ASSERT_TRUE(client.ok()) << client.error().message();
    out->emplace(std::move(client).value());
  }

  TempDir dir_;
  Region region_;
  Mapping mapping_;
  std::optional<RegionServer> server_;
};

TEST_P(RegionServerTest, ClientGetsReadOnlyRegion) {
  ASSERT_TRUE(server_->Publish("demo", region_, Access::kReadOnly).ok());
  auto served = ServeInBackground();
  {
    std::optional<RegionClient> client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    Result<Region> got = client->Get("demo");
    ASSERT_TRUE(got.ok()) << got.error().message();
    EXPECT_EQ(backend(), got->backend());
    EXPECT_EQ(region_.size(), got->size());
    Result<Mapping> view = got->Map(PROT_READ);
    ASSERT_TRUE(view.ok());
    EXPECT_STREQ("served content", reinterpret_cast<const char*>(view->data()));
    EXPECT_EQ(std::errc::operation_not_permitted, got->Map(PROT_READ | PROT_WRITE).error());
    EXPECT_EQ(std::errc::permission_denied, view->Protect(PROT_READ | PROT_WRITE).error());
    // The service's own earlier mapping keeps writing, and the client sees it.
    std::memcpy(mapping_.data(), "updated", 8);
    EXPECT_STREQ("updated", reinterpret_cast<const char*>(view->data()));
  }
  Result<void> result = served.get();
  EXPECT_TRUE(result.ok()) << result.error().message();
}

// Asking for read-only access must give read-only access, even to a region
// published read-write.  On memfd the server hands out an O_RDONLY fd; on
// ashmem the mask belongs to the area, so no read-only fd of a writable
// region can exist, and the server says so instead of sending a writable one.
TEST_P(RegionServerTest, ReadOnlyRequestOfAReadWriteRegionGetsNoWriteAccess) {
  ASSERT_TRUE(server_->Publish("shared", region_, Access::kReadWrite).ok());
  auto served = ServeInBackground();
  {
    std::optional<RegionClient> client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    Result<Region> got = client->Get("shared", Access::kReadOnly);
    if (backend() == Backend::kAshmem) {
      EXPECT_EQ(std::errc::not_supported, got.error());
    } else {
      ASSERT_TRUE(got.ok()) << got.error().message();
      EXPECT_EQ(0, *got->Prot() & PROT_WRITE);
      EXPECT_EQ(std::errc::operation_not_permitted, got->Map(PROT_READ | PROT_WRITE).error());
      EXPECT_EQ(MAP_FAILED,
                mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, got->fd(), 0));
      EXPECT_EQ(-1, write(got->fd(), "x", 1));
      EXPECT_EQ(-1, fcntl(got->fd(), F_ADD_SEALS, F_SEAL_SEAL));
      Result<ReadOnlyMapping> view = got->MapReadOnly();
      ASSERT_TRUE(view.ok()) << view.error().message();
      EXPECT_STREQ("served content", reinterpret_cast<const char*>(view->data()));
    }
    // The region itself stays writable for those who were given that.
    Result<Region> rw = client->Get("shared", Access::kReadWrite);
    ASSERT_TRUE(rw.ok()) << rw.error().message();
    EXPECT_TRUE(rw->Map(PROT_READ | PROT_WRITE).ok());
  }
  EXPECT_TRUE(served.get().ok());
}

// A read-only receiver cannot seal the region it was given, so it cannot
// break the region for the service or the next client.
TEST_P(RegionServerTest, ReadOnlyReceiverCannotBreakTheRegionForOthers) {
  ASSERT_TRUE(server_->Publish("demo", region_, Access::kReadOnly).ok());
  auto served = ServeInBackground();
  {
    std::optional<RegionClient> client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    Result<Region> first = client->Get("demo");
    ASSERT_TRUE(first.ok()) << first.error().message();
    if (backend() == Backend::kMemfd) {
      EXPECT_EQ(-1, fcntl(first->fd(), F_ADD_SEALS, F_SEAL_SEAL));
    }
    EXPECT_TRUE(client->Get("demo").ok());
  }
  EXPECT_TRUE(served.get().ok());
  Result<UniqueFd> dup = region_.DupFd();
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(Region::Adopt(std::move(dup).value()).ok());
}

TEST_P(RegionServerTest, ReadWriteRegionIsWritableByClient) {
  ASSERT_TRUE(server_->Publish("shared", region_, Access::kReadWrite).ok());
  auto served = ServeInBackground();
  {
    std::optional<RegionClient> client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    Result<Region> got = client->Get("shared", Access::kReadWrite);
    ASSERT_TRUE(got.ok()) << got.error().message();
    Result<Mapping> rw = got->Map(PROT_READ | PROT_WRITE);
    ASSERT_TRUE(rw.ok()) << rw.error().message();
    std::memcpy(rw->data(), "client wrote", 13);
  }
  EXPECT_TRUE(served.get().ok());
  EXPECT_STREQ("client wrote", reinterpret_cast<const char*>(mapping_.data()));
}

TEST_P(RegionServerTest, RefusalsAreAnsweredAndTheSessionGoesOn) {
  ASSERT_TRUE(server_->Publish("ro", region_, Access::kReadOnly).ok());
  auto served = ServeInBackground();
  {
    std::optional<RegionClient> client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    EXPECT_EQ(std::errc::no_such_file_or_directory, client->Get("missing").error());
    EXPECT_EQ(std::errc::permission_denied, client->Get("ro", Access::kReadWrite).error());
    EXPECT_EQ(std::errc::invalid_argument, client->Get("").error());
    EXPECT_TRUE(client->Get("ro").ok()) << "the same connection still works";
  }
  EXPECT_TRUE(served.get().ok());
}

TEST_P(RegionServerTest, ClientInAnotherProcess) {
  ASSERT_TRUE(server_->Publish("demo", region_, Access::kReadOnly).ok());
  const std::string path = dir_.Sock();
  pid_t child = fork();
  ASSERT_NE(-1, child);
  if (child == 0) {
    Result<RegionClient> client = RegionClient::Connect(path, 10s);
    if (!client.ok())
      _exit(1);
    Result<Region> got = client->Get("demo");
    if (!got.ok())
      _exit(2);
    Result<Mapping> view = got->Map(PROT_READ);
    if (!view.ok())
      _exit(3);
    if (std::strcmp(reinterpret_cast<const char*>(view->data()), "served content") != 0)
      _exit(4);
    if (got->Map(PROT_READ | PROT_WRITE).ok())
      _exit(5);
    _exit(0);
  }
  Result<void> served = server_->ServeClient(10s);
  EXPECT_TRUE(served.ok()) << served.error().message();
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1 connect, 2 get, 3 map, 4 content, 5 writable";
}

INSTANTIATE_TEST_SUITE_P(Backends, RegionServerTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

// ---- socket handling, independent of the backend -------------------------------

TEST(RegionServerSocketTest, ConnectWaitsForTheServerToAppear) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  // The client starts first and must wait for the path; the server then
  // answers one request.
  auto client = std::async(std::launch::async, [&] {
    Result<RegionClient> c = RegionClient::Connect(dir.Sock(), 10s);
    if (!c.ok())
      return c.error();
    return c->Get("x").error();
  });
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_TRUE(server->ServeClient(10s).ok());
  EXPECT_EQ(std::errc::no_such_file_or_directory, client.get()) << "connected and got an answer";
}

TEST(RegionServerSocketTest, ConnectGivesUpAfterItsWait) {
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  Result<RegionClient> client = RegionClient::Connect(dir.Sock(), 50ms);
  EXPECT_EQ(std::errc::timed_out, client.error());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(std::errc::no_such_file_or_directory, RegionClient::Connect(dir.Sock()).error())
      << "without a wait, the error is the connect's own";
}

TEST(RegionServerSocketTest, ServeClientTimesOutWithoutClients) {
  TempDir dir;
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(std::errc::timed_out, server->ServeClient(20ms).error());
}

// ServeClient(timeout) bounds the whole call: one client that floods
// requests and never reads its replies cannot hold the server (which
// serves one client at a time) past the timeout.
TEST(RegionServerSocketTest, ServeClientEndsAtItsTimeoutUnderAFloodingClient) {
  TempDir dir;
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok()) << server.error().message();
  Result<Region> region = Region::Create("flooded", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE(server->Publish("flooded", *region, Access::kReadOnly).ok());
  UniqueFd flooder = RawConnect(dir.Sock());
  ASSERT_TRUE(flooder.valid()) << strerror(errno);
  const timeval send_timeout = {0, 50 * 1000};
  ASSERT_EQ(
      0, setsockopt(flooder.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout)));
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    const auto request = RawRequest("flooded");
    while (!stop.load()) {
      if (send(flooder.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0 &&
          errno != EAGAIN && errno != EINTR) {
        break;  // the server hung up
      }
    }
  });
  const auto start = std::chrono::steady_clock::now();
  auto served = std::async(std::launch::async, [&] { return server->ServeClient(300ms); });
  const bool returned = served.wait_for(5s) == std::future_status::ready;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stop = true;
  flood.join();
  flooder.reset();  // ends a server that ignored its timeout
  Result<void> result = served.get();
  ASSERT_TRUE(returned) << "ServeClient(300ms) still ran after 5 s";
  EXPECT_LT(elapsed, 2500ms)
      << "ServeClient(300ms) took "
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  EXPECT_EQ(std::errc::timed_out, result.error());
}

// Get has a timeout too: a server that accepts but never answers costs the
// client at most that long, and the connection is then unusable (a late
// reply must not be taken for the answer to a later request).
TEST(RegionServerSocketTest, GetEndsAtItsTimeoutWhenTheServerNeverAnswers) {
  TempDir dir;
  UniqueFd mute(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, dir.Sock().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(0, bind(mute.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  ASSERT_EQ(0, listen(mute.get(), 4));
  Result<RegionClient> client = RegionClient::Connect(dir.Sock());
  ASSERT_TRUE(client.ok()) << client.error().message();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(std::errc::timed_out, client->Get("anything", Access::kReadOnly, 200ms).error());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2200ms);
  EXPECT_EQ(std::errc::not_connected, client->Get("anything", Access::kReadOnly, 200ms).error());
}

TEST(RegionServerSocketTest, ListenRefusesAPathWhereAServerAnswers) {
  TempDir dir;
  Result<RegionServer> first = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(std::errc::address_in_use, RegionServer::Listen(dir.Sock()).error());
}

TEST(RegionServerSocketTest, ListenReplacesAStaleSocket) {
  TempDir dir;
  {
    // Bound and closed without listening: what a crashed server leaves.
    UniqueFd stale(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, dir.Sock().c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(0, bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  }
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  EXPECT_TRUE(server.ok()) << server.error().message();
}

// A server that goes away removes its socket only if the path is still
// its own: a newer server listening there keeps its path.
TEST(RegionServerSocketTest, DestructionLeavesAPathAnotherServerNowOwns) {
  TempDir dir;
  std::optional<RegionServer> old_server;
  {
    Result<RegionServer> server = RegionServer::Listen(dir.Sock());
    ASSERT_TRUE(server.ok()) << server.error().message();
    old_server.emplace(std::move(server).value());
  }
  ASSERT_EQ(0, unlink(dir.Sock().c_str()));  // e.g. a tmp cleaner, or an admin
  Result<RegionServer> new_server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(new_server.ok()) << new_server.error().message();
  old_server.reset();
  EXPECT_EQ(0, access(dir.Sock().c_str(), F_OK)) << "the old server removed the new one's path";
  EXPECT_TRUE(RawConnect(dir.Sock()).valid()) << "the new server no longer answers";
}

// Only ECONNREFUSED means nobody listens.  A live service of another socket
// type (connect says EPROTOTYPE) is not stale and must not be replaced.
TEST(RegionServerSocketTest, ListenRefusesToReplaceALiveStreamService) {
  TempDir dir;
  UniqueFd service(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, dir.Sock().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(0, bind(service.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  ASSERT_EQ(0, listen(service.get(), 4));
  EXPECT_EQ(std::errc::address_in_use, RegionServer::Listen(dir.Sock()).error());
  EXPECT_TRUE(RawConnect(dir.Sock(), SOCK_STREAM).valid()) << "the stream service was replaced";
}

// The temporary name must not make a path that fits in sun_path fail.
TEST(RegionServerSocketTest, ListenTakesTheLongestPathThatFits) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::size_t longest = sizeof(sockaddr_un::sun_path) - 1;
  const std::string base = dir.Sock() + "-";
  ASSERT_LT(base.size(), longest);
  const std::string path = base + std::string(longest - base.size(), 'p');
  ASSERT_EQ(longest, path.size());
  {
    Result<RegionServer> server = RegionServer::Listen(path);
    ASSERT_TRUE(server.ok()) << server.error().message();
    auto client = std::async(std::launch::async, [&] {
      Result<RegionClient> c = RegionClient::Connect(path, 10s);
      return c.ok() ? c->Get("x", Access::kReadOnly, 10s).error() : c.error();
    });
    EXPECT_TRUE(server->ServeClient(10s).ok());
    EXPECT_EQ(std::errc::no_such_file_or_directory, client.get());
  }
  EXPECT_NE(0, access(path.c_str(), F_OK));
  EXPECT_EQ(std::errc::filename_too_long, RegionServer::Listen(path + "p").error());
}

// Finding a live server costs it nothing: the connection the liveness probe
// leaves in its backlog is not taken for its next client.
TEST(RegionServerSocketTest, LivenessProbeDoesNotCostTheServerItsNextClient) {
  TempDir dir;
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok()) << server.error().message();
  ASSERT_EQ(std::errc::address_in_use, RegionServer::Listen(dir.Sock()).error());
  auto client = std::async(std::launch::async, [&] {
    Result<RegionClient> c = RegionClient::Connect(dir.Sock(), 10s);
    return c.ok() ? c->Get("x", Access::kReadOnly, 5s).error() : c.error();
  });
  Result<void> served = server->ServeClient(10s);
  EXPECT_TRUE(served.ok()) << served.error().message();
  EXPECT_EQ(std::errc::no_such_file_or_directory, client.get())
      << "the client was not served: ServeClient took the probe for it";
}

TEST(RegionServerSocketTest, ListenRefusesToReplaceOtherFiles) {
  TempDir dir;
  UniqueFd file(open(dir.Sock().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  EXPECT_EQ(std::errc::file_exists, RegionServer::Listen(dir.Sock()).error());
}

TEST(RegionServerSocketTest, ListenRejectsTooLongPath) {
  EXPECT_EQ(std::errc::filename_too_long,
            RegionServer::Listen("/tmp/" + std::string(200, 'p')).error());
}

TEST(RegionServerSocketTest, DestructionRemovesThePath) {
  TempDir dir;
  {
    Result<RegionServer> server = RegionServer::Listen(dir.Sock());
    ASSERT_TRUE(server.ok());
    EXPECT_EQ(0, access(dir.Sock().c_str(), F_OK));
  }
  EXPECT_NE(0, access(dir.Sock().c_str(), F_OK));
}

TEST(RegionServerSocketTest, PublishRejectsBadNames) {
  TempDir dir;
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok());
  Result<Region> region = Region::Create("r", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(std::errc::invalid_argument, server->Publish("", *region, Access::kReadOnly).error());
  EXPECT_EQ(std::errc::invalid_argument,
            server->Publish(std::string(kMaxRegionNameLength + 1, 'n'), *region, Access::kReadOnly)
                .error());
  EXPECT_TRUE(
      server->Publish(std::string(kMaxRegionNameLength, 'n'), *region, Access::kReadOnly).ok());
}

TEST(RegionServerSocketTest, MalformedRequestIsAProtocolError) {
  TempDir dir;
  Result<RegionServer> server = RegionServer::Listen(dir.Sock());
  ASSERT_TRUE(server.ok());
  UniqueFd raw(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, dir.Sock().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(0, connect(raw.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  ASSERT_EQ(7, send(raw.get(), "garbage", 7, MSG_NOSIGNAL));
  EXPECT_EQ(Error::kProtocol, server->ServeClient(10s).error());
}

}  // namespace
}  // namespace ashmem
