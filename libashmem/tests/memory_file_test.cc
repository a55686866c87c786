// SPDX-License-Identifier: Apache-2.0
#include <ashmem/memory_file.h>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::DevicePresent;
using testing::PageSize;

std::span<const std::byte> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::string_view Text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class MemoryFileTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    Result<MemoryFile> file = MemoryFile::Create("memory-file-test", 2 * PageSize(), backend());
    ASSERT_TRUE(file.ok()) << file.error().message();
    file_.emplace(std::move(file).value());
  }
  void Purge() {
    if (!DevicePresent())
      return;  // nothing can purge a memfd anyway
    Result<std::size_t> pages = PurgeAllCaches();
    ASSERT_TRUE(pages.ok()) << pages.error().message();
  }
  std::optional<MemoryFile> file_;
};

TEST_P(MemoryFileTest, WriteThenReadRoundTrips) {
  Result<std::size_t> written = file_->WriteBytes(Bytes("hello, world"), 100);
  ASSERT_TRUE(written.ok()) << written.error().message();
  EXPECT_EQ(12u, *written);
  std::vector<std::byte> out(12);
  Result<std::size_t> read = file_->ReadBytes(out, 100);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(12u, *read);
  EXPECT_EQ("hello, world", Text(out));
}

TEST_P(MemoryFileTest, BoundsAreChecked) {
  const std::size_t size = file_->size();
  struct Case {
    std::size_t offset;
    std::size_t length;
    bool ok;
  };
  const Case cases[] = {
      {0, size, true},       // the whole file
      {size - 1, 1, true},   // the last byte
      {size, 0, true},       // nothing, at the end
      {size, 1, false},      // one past the end
      {size - 1, 2, false},  // straddles the end
      {size + 1, 0, false},  // starts past the end
      {1, size, false},      // one byte too many
  };
  for (const Case& c : cases) {
    std::vector<std::byte> buf(c.length, std::byte{7});
    Result<std::size_t> read = file_->ReadBytes(buf, c.offset);
    Result<std::size_t> write = file_->WriteBytes(buf, c.offset);
    EXPECT_EQ(c.ok, read.ok()) << "read " << c.offset << "+" << c.length;
    EXPECT_EQ(c.ok, write.ok()) << "write " << c.offset << "+" << c.length;
    if (!c.ok) {
      EXPECT_EQ(std::errc::invalid_argument, read.error());
      EXPECT_EQ(std::errc::invalid_argument, write.error());
    }
  }
}

TEST_P(MemoryFileTest, CreateRejectsZeroSize) {
  EXPECT_EQ(std::errc::invalid_argument, MemoryFile::Create("empty", 0, backend()).error());
}

TEST_P(MemoryFileTest, AllowPurgingUnpinsTheRegion) {
  EXPECT_FALSE(file_->IsPurgingAllowed());
  Result<PinState> state = file_->AllowPurging(true);
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_TRUE(file_->IsPurgingAllowed());
  Result<bool> pinned = file_->region().IsPinned();
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(!purges(), *pinned);
  state = file_->AllowPurging(false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(PinState::kRetained, *state);
  EXPECT_TRUE(*file_->region().IsPinned());
}

TEST_P(MemoryFileTest, AccessWhilePurgingAllowedWorksUntilPurged) {
  ASSERT_TRUE(file_->WriteBytes(Bytes("cached"), 0).ok());
  ASSERT_TRUE(file_->AllowPurging(true).ok());
  std::vector<std::byte> out(6);
  ASSERT_TRUE(file_->ReadBytes(out, 0).ok());
  EXPECT_EQ("cached", Text(out));
  // The read pinned only for its copy: the region is purgeable again.
  EXPECT_EQ(!purges(), *file_->region().IsPinned());
}

TEST_P(MemoryFileTest, PurgedContentsAreReportedNotReadAsZeros) {
  ASSERT_TRUE(file_->WriteBytes(Bytes("precious"), 0).ok());
  ASSERT_TRUE(file_->AllowPurging(true).ok());
  ASSERT_NO_FATAL_FAILURE(Purge());
  std::vector<std::byte> out(8);
  Result<std::size_t> read = file_->ReadBytes(out, 0);
  if (!purges()) {
    ASSERT_TRUE(read.ok()) << "memfd is never purged: " << read.error().message();
    EXPECT_EQ("precious", Text(out));
    return;
  }
  EXPECT_EQ(Error::kPurged, read.error());
  EXPECT_EQ(Error::kPurged, file_->WriteBytes(Bytes("x"), 0).error()) << "the loss is sticky";
  Result<PinState> state = file_->AllowPurging(false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(PinState::kPurged, *state) << "pinning again reports the loss once";
  read = file_->ReadBytes(out, 0);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(std::vector<std::byte>(8), out) << "after acknowledging, the zeros are readable";
}

INSTANTIATE_TEST_SUITE_P(Backends, MemoryFileTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

}  // namespace
}  // namespace ashmem
