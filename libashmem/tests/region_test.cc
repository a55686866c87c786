// SPDX-License-Identifier: Apache-2.0
#include <ashmem/region.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/ashmem.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <string>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::DevicePresent;
using testing::PageSize;
using testing::ScopedEnv;

class RegionTest : public BackendTest {
 protected:
  // Creates a region on the backend under test; fails the test if it cannot.
  void Create(std::size_t size, Region* out, std::string_view name = "region-test") {
    Result<Region> region = Region::Create(name, size, backend());
    ASSERT_TRUE(region.ok()) << "create " << size << ": " << region.error().message();
    *out = std::move(region).value();
  }
  void MapRw(const Region& region, Mapping* out) {
    Result<Mapping> mapping = region.Map(PROT_READ | PROT_WRITE);
    ASSERT_TRUE(mapping.ok()) << mapping.error().message();
    *out = std::move(mapping).value();
  }
};

TEST_P(RegionTest, CreateReportsNameSizeAndBackend) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(3 * PageSize() + 5, &region, "frames"));
  EXPECT_TRUE(region.valid());
  EXPECT_EQ(3 * PageSize() + 5, region.size());
  EXPECT_EQ("frames", region.name());
  EXPECT_EQ(backend(), region.backend());
  EXPECT_EQ(FD_CLOEXEC, fcntl(region.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST_P(RegionTest, CreateTruncatesNamesToTheBackendsLimit) {
  const std::string long_name(300, 'n');
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region, long_name));
  const std::size_t limit = backend() == Backend::kAshmem ? 255 : 249;
  EXPECT_EQ(limit, MaxNameLength(backend()));
  EXPECT_EQ(std::string(limit, 'n'), region.name());
}

// The name a creator reports is the name every adopter of the fd reads
// back: the library keeps no more of it than the backend stores.
TEST_P(RegionTest, CreatorAndAdopterAgreeOnTheName) {
  for (std::size_t length : {1, 100, 249, 250, 255, 256, 300}) {
    std::string name(length, 'a');
    name.back() = 'z';
    Region region;
    ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region, name));
    if (backend() == Backend::kAshmem) {
      // The driver stores the name when it is first mapped.
      Result<Mapping> mapping = region.Map(PROT_READ);
      ASSERT_TRUE(mapping.ok()) << mapping.error().message();
    }
    Result<UniqueFd> dup = region.DupFd();
    ASSERT_TRUE(dup.ok());
    Result<Region> adopted = Region::Adopt(std::move(dup).value());
    ASSERT_TRUE(adopted.ok()) << adopted.error().message();
    EXPECT_EQ(region.name(), adopted->name()) << "length " << length;
  }
}

// A name is a C string to both kernels: an embedded NUL would silently cut
// it, so it is refused.
TEST_P(RegionTest, CreateRejectsNamesWithEmbeddedNul) {
  using std::string_view_literals::operator""sv;
  for (std::string_view name : {"a\0b"sv, "\0"sv, "tail\0"sv}) {
    Result<Region> region = Region::Create(name, PageSize(), backend());
    ASSERT_FALSE(region.ok()) << "accepted a name of " << name.size() << " bytes with a NUL";
    EXPECT_EQ(std::errc::invalid_argument, region.error());
  }
}

// Only PROT_READ, PROT_WRITE and PROT_EXEC mean anything to a region; other
// bits (PROT_GROWSDOWN, PROT_SEM, garbage) are refused, not passed to mmap.
TEST_P(RegionTest, MapAndProtectRejectBitsThatAreNotProtections) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  for (int bad : {0x8, 0x10, PROT_GROWSDOWN, PROT_GROWSUP, 0x40000000}) {
    Result<Mapping> mapping = region.Map(PROT_READ | bad);
    ASSERT_FALSE(mapping.ok()) << "prot bit " << bad;
    EXPECT_EQ(std::errc::invalid_argument, mapping.error()) << "prot bit " << bad;
  }
  Result<Mapping> mapping = region.Map(PROT_READ);
  ASSERT_TRUE(mapping.ok()) << mapping.error().message();
  EXPECT_EQ(std::errc::invalid_argument, mapping->Protect(PROT_READ | 0x10).error());
  EXPECT_EQ(PROT_READ, mapping->prot());
}

TEST_P(RegionTest, CreateRejectsSizeBeyondOffT) {
  Result<Region> region =
      Region::Create("huge", std::numeric_limits<std::size_t>::max(), backend());
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(std::errc::invalid_argument, region.error());
}

TEST_P(RegionTest, NewRegionReadsAsZeros) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &region));
  Result<Mapping> mapping = region.Map(PROT_READ);
  ASSERT_TRUE(mapping.ok()) << mapping.error().message();
  for (std::byte b : mapping->span())
    ASSERT_EQ(std::byte{0}, b);
}

TEST_P(RegionTest, MappingsShareMemory) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  Mapping a, b;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &a));
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &b));
  ASSERT_NE(a.data(), b.data());
  std::memcpy(a.data(), "shared", 7);
  EXPECT_STREQ("shared", reinterpret_cast<const char*>(b.data()));
}

TEST_P(RegionTest, MapRejectsEmptyAndOutOfBoundsRanges) {
  const std::size_t size = 2 * PageSize();
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(size, &region));
  struct Case {
    std::size_t offset;
    std::size_t length;
  };
  const Case cases[] = {
      {size, 0},                                     // starts at the end: nothing to map
      {size + 1, 0},                                 // starts past the end
      {0, size + 1},                                 // one byte too long
      {PageSize(), size},                            // runs past the end
      {1, std::numeric_limits<std::size_t>::max()},  // wraps around
  };
  for (const Case& c : cases) {
    Result<Mapping> mapping = region.Map(PROT_READ, c.offset, c.length);
    EXPECT_EQ(std::errc::invalid_argument, mapping.error())
        << "offset " << c.offset << " length " << c.length;
  }
}

TEST_P(RegionTest, MapOfEmptyRegionFails) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(0, &region));
  EXPECT_EQ(0u, region.size());
  EXPECT_EQ(std::errc::invalid_argument, region.Map(PROT_READ).error());
}

TEST_P(RegionTest, MapAtUnalignedOffsetSeesTheRightBytes) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &region));
  Mapping whole;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &whole));
  const std::size_t offset = PageSize() + 10;
  std::memcpy(whole.data() + offset, "here", 5);
  Result<Mapping> part = region.Map(PROT_READ, offset, 5);
  ASSERT_TRUE(part.ok()) << part.error().message();
  EXPECT_EQ(5u, part->size());
  EXPECT_EQ(PageSize(), part->mapped_size());
  EXPECT_STREQ("here", reinterpret_cast<const char*>(part->data()));
}

TEST_P(RegionTest, RestrictProtRemovesWriteForNewMappings) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  Mapping writable;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &writable));
  ASSERT_TRUE(region.RestrictProt(PROT_READ).ok());
  Result<int> prot = region.Prot();
  ASSERT_TRUE(prot.ok());
  EXPECT_EQ(0, *prot & PROT_WRITE);
  EXPECT_EQ(std::errc::operation_not_permitted, region.Map(PROT_READ | PROT_WRITE).error())
      << "a writable mapping after dropping PROT_WRITE must be refused";
  Result<Mapping> readable = region.Map(PROT_READ);
  ASSERT_TRUE(readable.ok()) << readable.error().message();
  EXPECT_EQ(std::errc::permission_denied, readable->Protect(PROT_READ | PROT_WRITE).error())
      << "mprotect must not give back the write right";
  // The mapping made before keeps writing, and the new one sees it.
  std::memcpy(writable.data(), "still", 6);
  EXPECT_STREQ("still", reinterpret_cast<const char*>(readable->data()));
}

TEST_P(RegionTest, RestrictProtCannotAddBitsBack) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  ASSERT_TRUE(region.RestrictProt(PROT_READ).ok());
  EXPECT_EQ(std::errc::invalid_argument, region.RestrictProt(PROT_READ | PROT_WRITE).error());
  EXPECT_TRUE(region.RestrictProt(PROT_READ).ok()) << "restating the same mask is allowed";
}

TEST_P(RegionTest, RestrictProtRejectsUnknownBits) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  EXPECT_EQ(std::errc::invalid_argument, region.RestrictProt(PROT_READ | 0x100).error());
}

TEST_P(RegionTest, AdoptRecognisesTheSameRegion) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region, "adopt-me"));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));  // ashmem: FileId needs a mapping
  Result<UniqueFd> dup = region.DupFd();
  ASSERT_TRUE(dup.ok());
  Result<Region> adopted = Region::Adopt(std::move(dup).value());
  ASSERT_TRUE(adopted.ok()) << adopted.error().message();
  EXPECT_EQ(backend(), adopted->backend());
  EXPECT_EQ(region.size(), adopted->size());
  EXPECT_EQ("adopt-me", adopted->name());
  Result<std::uint64_t> a = region.FileId();
  Result<std::uint64_t> b = adopted->FileId();
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(*a, *b);
}

TEST_P(RegionTest, FileIdDiffersBetweenRegions) {
  Region a, b;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &a));
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &b));
  Mapping ma, mb;
  ASSERT_NO_FATAL_FAILURE(MapRw(a, &ma));
  ASSERT_NO_FATAL_FAILURE(MapRw(b, &mb));
  ASSERT_TRUE(a.FileId().ok());
  ASSERT_TRUE(b.FileId().ok());
  EXPECT_NE(*a.FileId(), *b.FileId());
}

TEST_P(RegionTest, PinOfRetainedRangeReportsRetained) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(4 * PageSize(), &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  std::memcpy(mapping.data(), "kept", 5);
  ASSERT_TRUE(region.Unpin(0, 2 * PageSize()).ok());
  Result<PinState> state = region.Pin(0, 2 * PageSize());
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(PinState::kRetained, *state);
  EXPECT_STREQ("kept", reinterpret_cast<const char*>(mapping.data()));
}

TEST_P(RegionTest, PinRangesAreChecked) {
  const std::size_t page = PageSize();
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * page, &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  struct Case {
    std::size_t offset;
    std::size_t length;
    bool ok;
  };
  const Case cases[] = {
      {0, 0, true},                         // the whole region
      {page, 0, true},                      // from the second page to the end
      {0, 2 * page, true},                  // exactly the region
      {1, page, false},                     // unaligned offset
      {0, page + 1, false},                 // unaligned length
      {page, 2 * page, false},              // past the end
      {3 * page, 0, false},                 // starts past the end
      {std::size_t{1} << 32, page, false},  // beyond what struct ashmem_pin holds
  };
  for (const Case& c : cases) {
    Result<void> unpin = region.Unpin(c.offset, c.length);
    Result<PinState> pin = region.Pin(c.offset, c.length);
    Result<bool> pinned = region.IsPinned(c.offset, c.length);
    EXPECT_EQ(c.ok, unpin.ok()) << "unpin " << c.offset << "+" << c.length;
    EXPECT_EQ(c.ok, pin.ok()) << "pin " << c.offset << "+" << c.length;
    EXPECT_EQ(c.ok, pinned.ok()) << "status " << c.offset << "+" << c.length;
    if (!c.ok) {
      EXPECT_EQ(std::errc::invalid_argument, pin.error());
    }
  }
}

TEST_P(RegionTest, IsPinnedFollowsUnpinAndPin) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  ASSERT_TRUE(region.IsPinned().ok());
  EXPECT_TRUE(*region.IsPinned());
  ASSERT_TRUE(region.Unpin(PageSize(), PageSize()).ok());
  // memfd memory can never be purged, so it always counts as pinned.
  EXPECT_EQ(!purges(), *region.IsPinned());
  EXPECT_TRUE(*region.IsPinned(0, PageSize()));
  ASSERT_TRUE(region.Pin().ok());
  EXPECT_TRUE(*region.IsPinned());
}

TEST_P(RegionTest, PurgeIsSeenByTheNextPin) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  std::memset(mapping.data(), 'a', PageSize());
  std::memset(mapping.data() + PageSize(), 'b', PageSize());
  ASSERT_TRUE(region.Unpin(PageSize(), PageSize()).ok());
  if (DevicePresent()) {
    Result<std::size_t> pages = PurgeAllCaches();
    ASSERT_TRUE(pages.ok()) << "ASHMEM_PURGE_ALL_CACHES: " << pages.error().message();
    if (purges()) {
      EXPECT_GE(*pages, 1u);
    }
  }
  Result<PinState> state = region.Pin(PageSize(), PageSize());
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(mapping.data()[0], std::byte{'a'}) << "the pinned page must survive a purge";
  if (purges()) {
    EXPECT_EQ(PinState::kPurged, *state);
    EXPECT_EQ(std::byte{0}, mapping.data()[PageSize()]) << "a purged page reads as zeros";
  } else {
    EXPECT_EQ(PinState::kRetained, *state) << "memfd never purges";
    EXPECT_EQ(std::byte{'b'}, mapping.data()[PageSize()]);
  }
}

TEST_P(RegionTest, ReclaimPurgesUnpinnedRanges) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  std::memset(mapping.data(), 'r', 2 * PageSize());
  ASSERT_TRUE(region.Unpin().ok());
  if (DevicePresent()) {
    // "2" runs every shrinker once: the kernel's own reclaim path, not the
    // ashmem ioctl, must find the unpinned range.
    UniqueFd drop(open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(drop.valid()) << "drop_caches: " << strerror(errno);
    ASSERT_EQ(1, write(drop.get(), "2", 1)) << strerror(errno);
  }
  Result<PinState> state = region.Pin();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(purges() ? PinState::kPurged : PinState::kRetained, *state);
  EXPECT_EQ(purges() ? std::byte{0} : std::byte{'r'}, mapping.data()[PageSize()]);
}

TEST_P(RegionTest, SharedAcrossFork) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  Mapping mapping;
  ASSERT_NO_FATAL_FAILURE(MapRw(region, &mapping));
  // The child writes through its own new mapping of the inherited fd; the
  // parent's older mapping must see it.
  ASSERT_EXIT(
      {
        Result<Mapping> child = region.Map(PROT_READ | PROT_WRITE);
        if (!child.ok())
          _exit(1);
        std::memcpy(child->data(), "from child", 11);
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_STREQ("from child", reinterpret_cast<const char*>(mapping.data()));
}

TEST_P(RegionTest, ProtMaskIsSharedWithChild) {
  Region region;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &region));
  // The child drops PROT_WRITE; the mask belongs to the region, so the
  // parent can no longer map it writable either.
  ASSERT_EXIT(
      {
        if (!region.RestrictProt(PROT_READ).ok())
          _exit(1);
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(std::errc::operation_not_permitted, region.Map(PROT_READ | PROT_WRITE).error());
}

// "Map, then restrict, then send" in one call: the producer gets its
// writable mapping and a region through which no holder can map writable,
// write, seal or resize, on either backend.
TEST_P(RegionTest, MappedReadOnlyRegionCannotBeWrittenThroughAnyHolder) {
  Result<MappedReadOnlyRegion> made =
      Region::CreateMappedReadOnly("read-only", 2 * PageSize(), backend());
  ASSERT_TRUE(made.ok()) << made.error().message();
  Region& ro = made->region;
  Mapping& producer = made->mapping;
  ASSERT_TRUE(producer.writable());
  EXPECT_EQ(2 * PageSize(), producer.size());
  EXPECT_EQ(2 * PageSize(), ro.size());
  EXPECT_EQ(backend(), ro.backend());
  EXPECT_EQ("read-only", ro.name());
  Result<int> prot = ro.Prot();
  ASSERT_TRUE(prot.ok());
  EXPECT_EQ(0, *prot & PROT_WRITE);

  // What another process receives: a second fd, adopted.
  Result<UniqueFd> dup = ro.DupFd();
  ASSERT_TRUE(dup.ok());
  Result<Region> holder = Region::Adopt(std::move(dup).value());
  ASSERT_TRUE(holder.ok()) << holder.error().message();
  EXPECT_EQ(0, *holder->Prot() & PROT_WRITE);
  EXPECT_EQ(std::errc::operation_not_permitted, holder->Map(PROT_READ | PROT_WRITE).error());
  const int fd = holder->fd();
  EXPECT_EQ(MAP_FAILED, mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  EXPECT_EQ(-1, write(fd, "x", 1));
  EXPECT_EQ(-1, pwrite(fd, "x", 1, 0));
  EXPECT_NE(0, ftruncate(fd, 0));
  EXPECT_NE(0, ftruncate(fd, static_cast<off_t>(4 * PageSize())));
  EXPECT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  EXPECT_EQ(std::errc::invalid_argument, holder->RestrictProt(PROT_READ | PROT_WRITE).error());
  if (backend() == Backend::kMemfd) {
    // Reopening through /proc gets no further: the memory is sealed
    // against new writable mappings and writes.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    UniqueFd reopened(open(proc.c_str(), O_RDWR | O_CLOEXEC));
    if (reopened.valid()) {
      EXPECT_EQ(MAP_FAILED,
                mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, reopened.get(), 0));
      EXPECT_EQ(-1, write(reopened.get(), "x", 1));
      EXPECT_NE(0, ftruncate(reopened.get(), 0));
    }
  } else {
    EXPECT_LT(ioctl(fd, ASHMEM_SET_SIZE, 4 * PageSize()), 0);
    EXPECT_EQ(PROT_READ, ioctl(fd, ASHMEM_GET_PROT_MASK) & (PROT_READ | PROT_WRITE));
  }
  Result<Mapping> early = holder->Map(PROT_READ);
  ASSERT_TRUE(early.ok()) << early.error().message();
  EXPECT_EQ(std::errc::permission_denied, early->Protect(PROT_READ | PROT_WRITE).error());

  // The producer's mapping still writes, and every holder sees it.
  std::memcpy(producer.data(), "from producer", 14);
  Result<ReadOnlyMapping> view = holder->MapReadOnly();
  ASSERT_TRUE(view.ok()) << view.error().message();
  EXPECT_STREQ("from producer", reinterpret_cast<const char*>(view->data()));
}

TEST_P(RegionTest, MappedReadOnlyRegionRejectsWhatCreateRejects) {
  EXPECT_EQ(std::errc::invalid_argument,
            Region::CreateMappedReadOnly("empty", 0, backend()).error());
  using std::string_view_literals::operator""sv;
  EXPECT_EQ(std::errc::invalid_argument,
            Region::CreateMappedReadOnly("a\0b"sv, PageSize(), backend()).error());
}

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

// libcutils creates its memfds with MFD_NOEXEC_SEAL where the kernel has it
// (6.3 and later); so does this library, and elsewhere it still works.
TEST(RegionMemfdTest, CreatesNoExecMemfdsWhereTheKernelCan) {
  UniqueFd probe(memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL));
  const bool kernel_has_it = probe.valid();
  ASSERT_TRUE(kernel_has_it || errno == EINVAL) << strerror(errno);
  Result<Region> region = Region::Create("noexec", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok()) << region.error().message();
  const int seals = fcntl(region->fd(), F_GET_SEALS);
  ASSERT_GE(seals, 0) << strerror(errno);
  EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, seals & (F_SEAL_GROW | F_SEAL_SHRINK));
  EXPECT_EQ(kernel_has_it ? F_SEAL_EXEC : 0, seals & F_SEAL_EXEC);
  struct stat st = {};
  ASSERT_EQ(0, fstat(region->fd(), &st));
  if (kernel_has_it) {
    EXPECT_EQ(0U, st.st_mode & 0111) << "MFD_NOEXEC_SEAL clears the exec bits";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RegionTest, ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

// ---- not per backend --------------------------------------------------------

TEST(RegionAdoptTest, RejectsFdsThatAreNotRegions) {
  int pipe_fds[2];
  ASSERT_EQ(0, pipe2(pipe_fds, O_CLOEXEC));
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  char tmpl[] = "/tmp/ashmem-adopt-XXXXXX";
  UniqueFd file(mkostemp(tmpl, O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  unlink(tmpl);
  UniqueFd unsealable(memfd_create("no-seals", MFD_CLOEXEC));  // seals not allowed
  ASSERT_TRUE(unsealable.valid());
  struct Case {
    const char* what;
    int fd;
  };
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  const Case cases[] = {{"/dev/null", null.get()},
                        {"a pipe", read_end.get()},
                        {"a regular file", file.get()},
                        {"a memfd without sealing", unsealable.get()}};
  for (const Case& c : cases) {
    Result<UniqueFd> dup = DupFd(c.fd);
    ASSERT_TRUE(dup.ok());
    Result<Region> region = Region::Adopt(std::move(dup).value());
    EXPECT_EQ(std::errc::inappropriate_io_control_operation, region.error()) << c.what;
  }
}

TEST(RegionAdoptTest, RejectsClosedFd) {
  EXPECT_EQ(std::errc::bad_file_descriptor, Region::Adopt(UniqueFd()).error());
}

TEST(RegionBackendTest, EnvironmentSelectsMemfd) {
  ScopedEnv env("ASHMEM_BACKEND", "memfd");
  Result<Backend> backend = DefaultBackend();
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(Backend::kMemfd, *backend);
  Result<Region> region = Region::Create("env", PageSize());
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(Backend::kMemfd, region->backend());
}

TEST(RegionBackendTest, ForcingAshmemNeedsTheDevice) {
  ScopedEnv env("ASHMEM_BACKEND", "ashmem");
  Result<Region> region = Region::Create("env", PageSize());
  if (DevicePresent()) {
    ASSERT_TRUE(region.ok()) << region.error().message();
    EXPECT_EQ(Backend::kAshmem, region->backend());
  } else {
    EXPECT_EQ(std::errc::no_such_device, region.error()) << "no silent fallback to memfd";
  }
}

TEST(RegionBackendTest, ExplicitAshmemNeedsTheDevice) {
  Result<Region> region = Region::Create("explicit", PageSize(), Backend::kAshmem);
  if (DevicePresent()) {
    ASSERT_TRUE(region.ok()) << region.error().message();
  } else {
    EXPECT_EQ(std::errc::no_such_device, region.error());
  }
}

TEST(RegionBackendTest, UnknownBackendNameIsRejected) {
  ScopedEnv env("ASHMEM_BACKEND", "shm");
  EXPECT_EQ(std::errc::invalid_argument, DefaultBackend().error());
  EXPECT_EQ(std::errc::invalid_argument, Region::Create("env", PageSize()).error());
}

TEST(RegionBackendTest, DefaultPrefersTheDevice) {
  ScopedEnv env("ASHMEM_BACKEND", std::nullopt);
  Result<Backend> backend = DefaultBackend();
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(DevicePresent() ? Backend::kAshmem : Backend::kMemfd, *backend);
  EXPECT_EQ(DevicePresent(), AshmemDeviceAvailable());
}

TEST(RegionBackendTest, PurgeAllCachesNeedsTheDevice) {
  Result<std::size_t> pages = PurgeAllCaches();
  if (DevicePresent()) {
    EXPECT_TRUE(pages.ok()) << pages.error().message();
  } else {
    EXPECT_EQ(std::errc::no_such_device, pages.error());
  }
}

TEST(RegionBackendTest, BackendNames) {
  EXPECT_EQ("ashmem", BackendName(Backend::kAshmem));
  EXPECT_EQ("memfd", BackendName(Backend::kMemfd));
}

// The memfd backend emulates ashmem's rules with seals.
TEST(RegionMemfdTest, SealsFixTheSize) {
  Result<Region> region = Region::Create("sealed", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  int seals = fcntl(region->fd(), F_GET_SEALS);
  EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, seals & (F_SEAL_GROW | F_SEAL_SHRINK));
  EXPECT_EQ(0, seals & F_SEAL_SEAL) << "further seals must stay possible";
  EXPECT_EQ(-1, ftruncate(region->fd(), 2 * PageSize()));
  EXPECT_EQ(EPERM, errno);
  EXPECT_EQ(-1, ftruncate(region->fd(), 0));
  EXPECT_EQ(EPERM, errno);
}

TEST(RegionMemfdTest, DroppingWriteSealsFutureWrites) {
  Result<Region> region = Region::Create("sealed", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  Result<Mapping> before = region->Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(region->RestrictProt(PROT_READ).ok());
  EXPECT_NE(0, fcntl(region->fd(), F_GET_SEALS) & F_SEAL_FUTURE_WRITE);
  EXPECT_EQ(-1, write(region->fd(), "x", 1)) << "write() must be refused too";
  EXPECT_EQ(EPERM, errno);
  std::memcpy(before->data(), "ok", 3);  // the earlier writable mapping still works
  Result<Mapping> after = region->Map(PROT_READ);
  ASSERT_TRUE(after.ok());
  EXPECT_STREQ("ok", reinterpret_cast<const char*>(after->data()));
}

TEST(RegionMemfdTest, AdoptedNameComesFromProc) {
  Result<Region> region = Region::Create("named-memfd", PageSize(), Backend::kMemfd);
  ASSERT_TRUE(region.ok());
  Result<Region> adopted = Region::Adopt(std::move(region).value().Release());
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ("named-memfd", adopted->name());
}

}  // namespace
}  // namespace ashmem
