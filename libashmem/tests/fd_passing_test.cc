// SPDX-License-Identifier: Apache-2.0
#include <ashmem/fd_passing.h>

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <ashmem/region.h>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::DevicePresent;
using testing::PageSize;

// Open fds in this process, from /proc/self/fd.
int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr)
    return -1;
  int count = 0;
  while (readdir(dir) != nullptr)
    ++count;
  closedir(dir);
  return count;
}

ino_t InodeOf(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// Runs once per socket type and backend.
class FdPassingTest : public ::testing::TestWithParam<std::tuple<int, Backend>> {
 protected:
  void SetUp() override {
    if (backend() == Backend::kAshmem && !DevicePresent()) {
      GTEST_SKIP() << "/dev/ashmem is absent: the ashmem backend cannot be tested here";
    }
    Result<SocketPair> pair = MakeSocketPair(type());
    ASSERT_TRUE(pair.ok()) << pair.error().message();
    pair_ = std::move(pair).value();
  }
  int type() const { return std::get<0>(GetParam()); }
  Backend backend() const { return std::get<1>(GetParam()); }
  bool keeps_boundaries() const { return type() != SOCK_STREAM; }
  void MakeRegion(Region* out) {
    Result<Region> region = Region::Create("fd-passing", PageSize(), backend());
    ASSERT_TRUE(region.ok()) << region.error().message();
    *out = std::move(region).value();
  }
  SocketPair pair_;
};

TEST_P(FdPassingTest, SendsPayloadAndRegion) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(MakeRegion(&region));
  const int fds[] = {region.fd()};
  Result<std::size_t> sent = SendFds(pair_.first.get(), AsBytes("frames"), fds);
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  EXPECT_EQ(6u, *sent);

  std::byte buf[32];
  Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, 4);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ("frames", std::string(reinterpret_cast<const char*>(buf), got->size));
  ASSERT_EQ(1u, got->fds.size());
  EXPECT_EQ(FD_CLOEXEC, fcntl(got->fds[0].get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(InodeOf(region.fd()), InodeOf(got->fds[0].get()));
  Result<Region> received = Region::Adopt(std::move(got->fds[0]));
  ASSERT_TRUE(received.ok()) << received.error().message();
  EXPECT_EQ(backend(), received->backend());
  EXPECT_EQ(PageSize(), received->size());
}

TEST_P(FdPassingTest, SendsTheMostFdsOneMessageCanCarry) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(MakeRegion(&region));
  std::vector<int> fds(kMaxFdsPerMessage, region.fd());
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("many"), fds).ok());
  std::byte buf[8];
  Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, kMaxFdsPerMessage);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_EQ(kMaxFdsPerMessage, got->fds.size());
  for (const UniqueFd& fd : got->fds) {
    EXPECT_EQ(InodeOf(region.fd()), InodeOf(fd.get()));
  }
}

TEST_P(FdPassingTest, RejectsMoreFdsThanTheKernelCarries) {
  std::vector<int> fds(kMaxFdsPerMessage + 1, pair_.first.get());
  EXPECT_EQ(std::errc::invalid_argument, SendFds(pair_.first.get(), AsBytes("x"), fds).error());
  std::byte buf[8];
  EXPECT_EQ(std::errc::invalid_argument,
            ReceiveFds(pair_.second.get(), buf, kMaxFdsPerMessage + 1).error());
}

TEST_P(FdPassingTest, RejectsEmptyPayload) {
  const int fds[] = {pair_.first.get()};
  EXPECT_EQ(std::errc::invalid_argument, SendFds(pair_.first.get(), {}, fds).error());
}

TEST_P(FdPassingTest, TruncatedControlMessageLeaksNothing) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(MakeRegion(&region));
  std::vector<int> fds(10, region.fd());
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("ten"), fds).ok());
  const int before = CountOpenFds();
  ASSERT_GT(before, 0);
  std::byte buf[8];
  Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, 2);
  EXPECT_EQ(std::errc::message_size, got.error());
  EXPECT_EQ(before, CountOpenFds()) << "the fds that did arrive must be closed";
}

TEST_P(FdPassingTest, TruncatedPayloadIsAnError) {
  if (!keeps_boundaries()) {
    // A stream has no message to truncate: the rest stays queued.
    ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("0123456789"), {}).ok());
    std::byte buf[4];
    Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, 0);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(4u, got->size);
    return;
  }
  const int fds[] = {pair_.first.get()};
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("0123456789"), fds).ok());
  const int before = CountOpenFds();
  std::byte buf[4];
  EXPECT_EQ(std::errc::message_size, ReceiveFds(pair_.second.get(), buf, 1).error());
  EXPECT_EQ(before, CountOpenFds());
}

TEST_P(FdPassingTest, MessagesDoNotMerge) {
  const int one[] = {pair_.first.get()};
  const int two[] = {pair_.first.get(), pair_.first.get()};
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("a"), one).ok());
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("b"), two).ok());
  std::byte buf[1];
  Result<ReceivedMessage> first = ReceiveFds(pair_.second.get(), buf, 4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(std::byte{'a'}, buf[0]);
  EXPECT_EQ(1u, first->fds.size());
  Result<ReceivedMessage> second = ReceiveFds(pair_.second.get(), buf, 4);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(std::byte{'b'}, buf[0]);
  EXPECT_EQ(2u, second->fds.size());
}

TEST_P(FdPassingTest, ClosedPeerGivesErrorNotSignal) {
  pair_.second.reset();
  Result<std::size_t> sent = SendFds(pair_.first.get(), AsBytes("x"), {});
  ASSERT_FALSE(sent.ok()) << "sending to a closed peer must fail";
  if (type() != SOCK_DGRAM) {
    EXPECT_EQ(std::errc::broken_pipe, sent.error());
  }
}

TEST_P(FdPassingTest, EndOfStreamIsAnEmptyMessage) {
  if (type() == SOCK_DGRAM)
    return;  // datagrams have no end of stream
  pair_.first.reset();
  std::byte buf[4];
  Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, 1);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(0u, got->size);
  EXPECT_TRUE(got->fds.empty());
}

TEST_P(FdPassingTest, ReadOnlyRegionReachesAnotherProcess) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(MakeRegion(&region));
  Result<Mapping> mapping = region.Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(mapping.ok());
  std::memcpy(mapping->data(), "for your eyes only", 19);
  ASSERT_TRUE(region.RestrictProt(PROT_READ).ok());

  pid_t child = fork();
  ASSERT_NE(-1, child);
  if (child == 0) {
    // Exit codes say what went wrong: 0 is success.
    std::byte buf[8];
    Result<ReceivedMessage> got = ReceiveFds(pair_.second.get(), buf, 1);
    if (!got.ok() || got->fds.size() != 1)
      _exit(1);
    Result<Region> received = Region::Adopt(std::move(got->fds[0]));
    if (!received.ok())
      _exit(2);
    Result<Mapping> view = received->Map(PROT_READ);
    if (!view.ok())
      _exit(3);
    if (std::strcmp(reinterpret_cast<const char*>(view->data()), "for your eyes only") != 0) {
      _exit(4);
    }
    if (received->Map(PROT_READ | PROT_WRITE).error() != std::errc::operation_not_permitted) {
      _exit(5);
    }
    if (view->Protect(PROT_READ | PROT_WRITE).error() != std::errc::permission_denied)
      _exit(6);
    _exit(0);
  }
  pair_.second.reset();
  const int fds[] = {region.fd()};
  ASSERT_TRUE(SendFds(pair_.first.get(), AsBytes("region"), fds).ok());
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1 receive, 2 adopt, 3 map, 4 content, 5 map rw, "
                                       "6 mprotect rw";
}

std::string ParamName(const ::testing::TestParamInfo<std::tuple<int, Backend>>& info) {
  const int type = std::get<0>(info.param);
  std::string name = type == SOCK_STREAM      ? "Stream"
                     : type == SOCK_SEQPACKET ? "Seqpacket"
                                              : "Dgram";
  return name + (std::get<1>(info.param) == Backend::kAshmem ? "Ashmem" : "Memfd");
}

INSTANTIATE_TEST_SUITE_P(Sockets, FdPassingTest,
                         ::testing::Combine(::testing::Values(SOCK_STREAM, SOCK_SEQPACKET,
                                                              SOCK_DGRAM),
                                            ::testing::Values(Backend::kMemfd, Backend::kAshmem)),
                         ParamName);

}  // namespace
}  // namespace ashmem
