// SPDX-License-Identifier: Apache-2.0
#include <ashmem/result.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

namespace ashmem {
namespace {

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(42, *r);
  EXPECT_FALSE(r.error());
}

TEST(ResultTest, HoldsErrnoError) {
  Result<int> r = ErrnoError(ENOTTY);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::errc::inappropriate_io_control_operation, r.error());
  EXPECT_EQ(ENOTTY, r.error().value());
}

TEST(ResultTest, HoldsLibraryError) {
  Result<std::string> r = Error::kPurged;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Error::kPurged, r.error());
  EXPECT_STREQ("ashmem", r.error().category().name());
  EXPECT_NE(std::string::npos, r.error().message().find("purged"));
}

TEST(ResultTest, MovesOutMoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(7, *p);
}

TEST(ResultTest, VoidResultReportsSuccessAndFailure) {
  Result<void> good;
  EXPECT_TRUE(good.ok());
  Result<void> bad = ErrnoError(EINVAL);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(std::errc::invalid_argument, bad.error());
}

TEST(ResultTest, EveryLibraryErrorHasItsOwnMessage) {
  const Error all[] = {Error::kPurged,           Error::kWriteInProgress, Error::kNoMessage,
                       Error::kBadMagic,         Error::kBadVersion,      Error::kCorruptHeader,
                       Error::kChecksumMismatch, Error::kProtocol};
  for (Error a : all) {
    for (Error b : all) {
      if (a != b) {
        EXPECT_NE(make_error_code(a).message(), make_error_code(b).message());
      }
    }
    EXPECT_EQ(std::string::npos, make_error_code(a).message().find("unknown"));
  }
}

// value() on an error is a programming error: it ends the process with a
// message naming the error, in every build type, instead of handing out
// whatever the storage holds (it used to return fd 0 in release builds).
TEST(ResultDeathTest, ValueOnAnErrorTerminatesWithTheError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Result<int> r = ErrnoError(ENOTTY);
        (void)r.value();
      },
      "value\\(\\) of an ashmem::Result that holds an error.*(ioctl|Inappropriate)");
  EXPECT_DEATH(
      {
        Result<std::string> r = Error::kPurged;
        (void)std::move(r).value();
      },
      "value\\(\\) of an ashmem::Result that holds an error.*purged");
  EXPECT_DEATH(
      {
        const Result<int> r = Error::kProtocol;
        (void)*r;
      },
      "ashmem::Result");
}

}  // namespace
}  // namespace ashmem
