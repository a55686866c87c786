// SPDX-License-Identifier: Apache-2.0
#include <ashmem/unique_fd.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>

namespace ashmem {
namespace {

bool IsOpen(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

int OpenDevNull() {
  return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

// An owned fd must never turn into an int behind the caller's back.
static_assert(!std::is_convertible_v<UniqueFd, int>);
static_assert(!std::is_convertible_v<int, UniqueFd>);
static_assert(!std::is_copy_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);

TEST(UniqueFdTest, ClosesOnDestruction) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_EQ(raw, fd.get());
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, DefaultIsInvalid) {
  UniqueFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(-1, fd.get());
  UniqueFd negative(-5);
  EXPECT_EQ(-1, negative.get());
}

TEST(UniqueFdTest, ReleaseGivesUpOwnership) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_EQ(raw, fd.release());
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_TRUE(IsOpen(raw));
  close(raw);
}

TEST(UniqueFdTest, MoveTransfersOwnership) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(raw, b.get());
  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(raw, c.get());
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, ResetClosesOldAndPreservesErrno) {
  int first = OpenDevNull();
  int second = OpenDevNull();
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  UniqueFd fd(first);
  errno = EXDEV;
  fd.reset(second);
  EXPECT_EQ(EXDEV, errno);
  EXPECT_FALSE(IsOpen(first));
  EXPECT_EQ(second, fd.get());
}

TEST(UniqueFdTest, DupFdSetsCloexec) {
  UniqueFd fd(OpenDevNull());
  Result<UniqueFd> copy = DupFd(fd.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  EXPECT_NE(fd.get(), copy->get());
  EXPECT_EQ(FD_CLOEXEC, fcntl(copy->get(), F_GETFD) & FD_CLOEXEC);
}

TEST(UniqueFdTest, DupFdOfClosedFdFails) {
  Result<UniqueFd> copy = DupFd(-1);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(std::errc::bad_file_descriptor, copy.error());
}

TEST(UniqueFdTest, SocketPairIsConnectedAndCloexec) {
  Result<SocketPair> pair = MakeSocketPair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok()) << pair.error().message();
  EXPECT_EQ(FD_CLOEXEC, fcntl(pair->first.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(FD_CLOEXEC, fcntl(pair->second.get(), F_GETFD) & FD_CLOEXEC);
  char c = 'x';
  ASSERT_EQ(1, write(pair->first.get(), &c, 1));
  char got = 0;
  ASSERT_EQ(1, read(pair->second.get(), &got, 1));
  EXPECT_EQ('x', got);
}

}  // namespace
}  // namespace ashmem
