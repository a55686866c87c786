// SPDX-License-Identifier: Apache-2.0
#include <ashmem/scoped_pin.h>

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/ashmem.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::DevicePresent;
using testing::PageSize;

static_assert(!std::is_copy_constructible_v<ScopedPin>);

class ScopedPinTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    Result<Region> region = Region::Create("scoped-pin-test", 2 * PageSize(), backend());
    ASSERT_TRUE(region.ok()) << region.error().message();
    region_ = std::move(region).value();
    Result<Mapping> mapping = region_.Map(PROT_READ | PROT_WRITE);
    ASSERT_TRUE(mapping.ok()) << mapping.error().message();
    mapping_ = std::move(mapping).value();
  }
  bool Pinned() {
    Result<bool> pinned = region_.IsPinned();
    EXPECT_TRUE(pinned.ok()) << pinned.error().message();
    return pinned.ok() && *pinned;
  }
  Region region_;
  Mapping mapping_;
};

TEST_P(ScopedPinTest, PinsForItsScopeOnly) {
  ASSERT_TRUE(region_.Unpin().ok());
  {
    Result<ScopedPin> pin = ScopedPin::Create(region_);
    ASSERT_TRUE(pin.ok()) << pin.error().message();
    EXPECT_EQ(PinState::kRetained, pin->state());
    EXPECT_TRUE(Pinned());
  }
  // Unpinned again, which only the ashmem backend can tell.
  EXPECT_EQ(!purges(), Pinned());
}

TEST_P(ScopedPinTest, MovedPinUnpinsOnce) {
  ASSERT_TRUE(region_.Unpin().ok());
  Result<ScopedPin> made = ScopedPin::Create(region_, PageSize(), PageSize());
  ASSERT_TRUE(made.ok());
  {
    ScopedPin moved(std::move(made).value());
    Result<bool> first_page = region_.IsPinned(0, PageSize());
    ASSERT_TRUE(first_page.ok());
    EXPECT_EQ(!purges(), *first_page) << "only the second page was pinned";
    Result<bool> second_page = region_.IsPinned(PageSize(), PageSize());
    ASSERT_TRUE(second_page.ok());
    EXPECT_TRUE(*second_page);
  }
  Result<bool> second_page = region_.IsPinned(PageSize(), PageSize());
  ASSERT_TRUE(second_page.ok());
  EXPECT_EQ(!purges(), *second_page);
}

TEST_P(ScopedPinTest, ReportsPurgedContents) {
  std::memset(mapping_.data(), 'x', 2 * PageSize());
  ASSERT_TRUE(region_.Unpin().ok());
  if (DevicePresent()) {
    Result<std::size_t> pages = PurgeAllCaches();
    ASSERT_TRUE(pages.ok()) << pages.error().message();
  }
  Result<ScopedPin> pin = ScopedPin::Create(region_);
  ASSERT_TRUE(pin.ok());
  if (purges()) {
    EXPECT_EQ(PinState::kPurged, pin->state());
    EXPECT_EQ(std::byte{0}, mapping_.data()[0]);
  } else {
    EXPECT_EQ(PinState::kRetained, pin->state());
    EXPECT_EQ(std::byte{'x'}, mapping_.data()[0]);
  }
}

TEST_P(ScopedPinTest, RejectsBadRange) {
  Result<ScopedPin> pin = ScopedPin::Create(region_, 1, PageSize());
  EXPECT_EQ(std::errc::invalid_argument, pin.error());
  pin = ScopedPin::Create(region_, 0, 3 * PageSize());
  EXPECT_EQ(std::errc::invalid_argument, pin.error());
}

// How many of this process's fds refer to the file with inode ino.
// The content id of @fd: its inode on memfd; on ashmem, whose fds all share
// the device's inode, the backing inode that GET_FILE_ID reports.
bool ContentId(int fd, std::uint64_t* id) {
  unsigned long file_id = 0;
  struct stat st = {};
  if (fstat(fd, &st) != 0)
    return false;
  if (S_ISCHR(st.st_mode)) {
    if (ioctl(fd, ASHMEM_GET_FILE_ID, &file_id) != 0)
      return false;
    *id = file_id;
    return true;
  }
  *id = st.st_ino;
  return S_ISREG(st.st_mode);
}

// How many of this process's fds refer to the content @id (FileId()).
int FdsReferringTo(std::uint64_t id) {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr)
    return -1;
  const int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    const int fd = atoi(entry->d_name);
    std::uint64_t seen = 0;
    if (entry->d_name[0] != '.' && fd != own && ContentId(fd, &seen) && seen == id)
      ++count;
  }
  closedir(dir);
  return count;
}

// A ScopedPin owns what it unpins: when its Region dies first and a new
// region takes over the fd number, ending the pin must leave the new one
// alone (it used to unpin whatever the raw fd had become).
TEST_P(ScopedPinTest, OutlivesItsRegionWithoutTouchingTheFdsNextOwner) {
  Result<std::uint64_t> id = region_.FileId();
  ASSERT_TRUE(id.ok()) << id.error().message();
  const int old_fd = region_.fd();
  std::optional<Result<ScopedPin>> pin;
  pin.emplace(ScopedPin::Create(region_));
  ASSERT_TRUE(pin->ok()) << pin->error().message();
  region_ = Region();
  mapping_.Reset();
  EXPECT_EQ(1, FdsReferringTo(*id)) << "the pin keeps its own reference";

  Result<Region> made = Region::Create("next-owner", PageSize(), backend());
  ASSERT_TRUE(made.ok()) << made.error().message();
  if (made->fd() != old_fd) {
    // Put the new region at the old number (free now) whatever the kernel
    // picked: F_DUPFD gives the lowest free fd from old_fd on.
    ASSERT_EQ(old_fd, fcntl(made->fd(), F_DUPFD_CLOEXEC, old_fd)) << strerror(errno);
    made = Region::Adopt(UniqueFd(old_fd));
    ASSERT_TRUE(made.ok()) << made.error().message();
  }
  Result<Region>& next = made;
  ASSERT_EQ(old_fd, next->fd());
  Result<Mapping> next_mapping = next->Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(next_mapping.ok()) << next_mapping.error().message();
  pin.reset();
  Result<bool> pinned = next->IsPinned();
  ASSERT_TRUE(pinned.ok()) << pinned.error().message();
  EXPECT_TRUE(*pinned) << "ending the pin unpinned another region";
  EXPECT_EQ(0, FdsReferringTo(*id)) << "the pin let go of its reference";
}

INSTANTIATE_TEST_SUITE_P(Backends, ScopedPinTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

}  // namespace
}  // namespace ashmem
