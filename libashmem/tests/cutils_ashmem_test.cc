// SPDX-License-Identifier: Apache-2.0
//
// The libcutils contract, case by case, on each backend (chosen the way an
// unmodified Android program would get it: through ASHMEM_BACKEND).
#include <cutils/ashmem.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/ashmem.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <ashmem/region.h>
#include <ashmem/unique_fd.h>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::PageSize;
using testing::ScopedEnv;

class CutilsAshmemTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    env_.emplace("ASHMEM_BACKEND", testing::BackendEnvValue(backend()));
  }
  void TearDown() override { env_.reset(); }

  // Creates a region and checks the basics every caller relies on.
  void Create(std::size_t size, UniqueFd* out, const char* name = "cutils-test") {
    errno = 0;
    int fd = ashmem_create_region(name, size);
    ASSERT_GE(fd, 0) << "ashmem_create_region(" << size << "): " << strerror(errno);
    out->reset(fd);
  }
  void Map(int fd, std::size_t size, int prot, void** out) {
    void* addr = mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    ASSERT_NE(MAP_FAILED, addr) << strerror(errno);
    *out = addr;
  }

  std::optional<ScopedEnv> env_;
};

TEST_P(CutilsAshmemTest, CreateGivesValidCloexecFdOfTheRightSize) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(3 * PageSize(), &fd));
  EXPECT_EQ(1, ashmem_valid(fd.get()));
  EXPECT_EQ(static_cast<int>(3 * PageSize()), ashmem_get_size_region(fd.get()));
  // Regions must not leak into exec'd programs.
  EXPECT_EQ(FD_CLOEXEC, fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
}

TEST_P(CutilsAshmemTest, CreateAcceptsNullAndLongNames) {
  UniqueFd unnamed, long_named;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &unnamed, nullptr));
  const std::string name(300, 'x');  // longer than ASHMEM_NAME_LEN: truncated
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &long_named, name.c_str()));
  EXPECT_EQ(1, ashmem_valid(long_named.get()));
}

TEST_P(CutilsAshmemTest, CreateRejectsSizesBeyondOffT) {
  errno = 0;
  EXPECT_EQ(-1, ashmem_create_region("huge", SIZE_MAX));
  EXPECT_EQ(EINVAL, errno);
}

TEST_P(CutilsAshmemTest, ZeroSizeRegionReportsSizeZero) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(0, &fd));
  EXPECT_EQ(0, ashmem_get_size_region(fd.get()));
  if (backend() == Backend::kAshmem) {
    // The driver refuses to map an empty area; a memfd maps past its end
    // like any file (and faults on access), which the kernel decides.
    EXPECT_EQ(MAP_FAILED, mmap(nullptr, PageSize(), PROT_READ, MAP_SHARED, fd.get(), 0));
  }
}

TEST_P(CutilsAshmemTest, FdsThatAreNotRegionsGetEnotty) {
  int pipe_fds[2];
  ASSERT_EQ(0, pipe2(pipe_fds, O_CLOEXEC));
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd zero(open("/dev/zero", O_RDWR | O_CLOEXEC));  // a char device, but not ashmem
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  UniqueFd plain_memfd(memfd_create("plain", MFD_CLOEXEC));
  const struct {
    const char* what;
    int fd;
  } cases[] = {{"/dev/null", null.get()},
               {"/dev/zero", zero.get()},
               {"a pipe", read_end.get()},
               {"a socket", sock.get()},
               {"an unsealable memfd", plain_memfd.get()}};
  for (const auto& c : cases) {
    ASSERT_GE(c.fd, 0) << c.what;
    errno = 1234;
    EXPECT_EQ(0, ashmem_valid(c.fd)) << c.what;
    EXPECT_EQ(1234, errno) << "ashmem_valid must leave errno alone: " << c.what;
    errno = 0;
    EXPECT_EQ(-1, ashmem_get_size_region(c.fd)) << c.what;
    EXPECT_EQ(ENOTTY, errno) << c.what;
    errno = 0;
    EXPECT_EQ(-1, ashmem_set_prot_region(c.fd, PROT_READ)) << c.what;
    EXPECT_EQ(ENOTTY, errno) << c.what;
    errno = 0;
    EXPECT_EQ(-1, ashmem_pin_region(c.fd, 0, 0)) << c.what;
    EXPECT_EQ(ENOTTY, errno) << c.what;
    errno = 0;
    EXPECT_EQ(-1, ashmem_unpin_region(c.fd, 0, 0)) << c.what;
    EXPECT_EQ(ENOTTY, errno) << c.what;
  }
}

TEST_P(CutilsAshmemTest, ClosedFdsGetEbadf) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &fd));
  const int closed = fd.get();
  fd.reset();
  for (int bad : {closed, -1}) {
    EXPECT_EQ(0, ashmem_valid(bad));
    errno = 0;
    EXPECT_EQ(-1, ashmem_get_size_region(bad));
    EXPECT_EQ(EBADF, errno);
    errno = 0;
    EXPECT_EQ(-1, ashmem_pin_region(bad, 0, 0));
    EXPECT_EQ(EBADF, errno);
    errno = 0;
    EXPECT_EQ(-1, ashmem_set_prot_region(bad, PROT_READ));
    EXPECT_EQ(EBADF, errno);
  }
}

TEST_P(CutilsAshmemTest, ProtCanOnlyShrink) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &fd));
  void* before = nullptr;
  ASSERT_NO_FATAL_FAILURE(Map(fd.get(), PageSize(), PROT_READ | PROT_WRITE, &before));
  ASSERT_EQ(0, ashmem_set_prot_region(fd.get(), PROT_READ));
  errno = 0;
  EXPECT_EQ(-1, ashmem_set_prot_region(fd.get(), PROT_READ | PROT_WRITE))
      << "adding PROT_WRITE back must fail";
  EXPECT_EQ(EINVAL, errno);
  errno = 0;
  EXPECT_EQ(-1, ashmem_set_prot_region(fd.get(), PROT_READ | 0x40)) << "unknown bit";
  EXPECT_EQ(EINVAL, errno);
  errno = 0;
  EXPECT_EQ(MAP_FAILED, mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  EXPECT_EQ(EPERM, errno);
  void* after = nullptr;
  ASSERT_NO_FATAL_FAILURE(Map(fd.get(), PageSize(), PROT_READ, &after));
  errno = 0;
  EXPECT_EQ(-1, mprotect(after, PageSize(), PROT_READ | PROT_WRITE));
  EXPECT_EQ(EACCES, errno);
  std::memcpy(before, "old mapping", 12);  // still writable
  EXPECT_STREQ("old mapping", static_cast<const char*>(after));
  munmap(before, PageSize());
  munmap(after, PageSize());
}

TEST_P(CutilsAshmemTest, PinAndUnpinFollowTheKernelRules) {
  const std::size_t page = PageSize();
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(4 * page, &fd));
  void* addr = nullptr;
  ASSERT_NO_FATAL_FAILURE(Map(fd.get(), 4 * page, PROT_READ | PROT_WRITE, &addr));
  EXPECT_EQ(0, ashmem_unpin_region(fd.get(), page, 2 * page));
  EXPECT_EQ(ASHMEM_NOT_PURGED, ashmem_pin_region(fd.get(), page, 2 * page));
  EXPECT_EQ(0, ashmem_unpin_region(fd.get(), 0, 0)) << "length 0 means to the end";
  EXPECT_EQ(ASHMEM_NOT_PURGED, ashmem_pin_region(fd.get(), 0, 0));
  const struct {
    std::size_t offset, length;
  } bad[] = {{1, page}, {0, page - 1}, {3 * page, 2 * page}, {5 * page, 0}};
  for (const auto& b : bad) {
    errno = 0;
    EXPECT_EQ(-1, ashmem_pin_region(fd.get(), b.offset, b.length)) << b.offset << "+" << b.length;
    EXPECT_EQ(EINVAL, errno);
    errno = 0;
    EXPECT_EQ(-1, ashmem_unpin_region(fd.get(), b.offset, b.length)) << b.offset << "+" << b.length;
    EXPECT_EQ(EINVAL, errno);
  }
  munmap(addr, 4 * page);
}

TEST_P(CutilsAshmemTest, ChildSeesParentWrites) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(PageSize(), &fd));
  void* addr = nullptr;
  ASSERT_NO_FATAL_FAILURE(Map(fd.get(), PageSize(), PROT_READ | PROT_WRITE, &addr));
  std::memcpy(addr, "from parent", 12);
  // The child maps the inherited fd anew and reads; exit codes name the step
  // that failed.
  ASSERT_EXIT(
      {
        if (ashmem_valid(fd.get()) != 1)
          _exit(1);
        void* child = mmap(nullptr, PageSize(), PROT_READ, MAP_SHARED, fd.get(), 0);
        if (child == MAP_FAILED)
          _exit(2);
        if (std::strcmp(static_cast<const char*>(child), "from parent") != 0)
          _exit(3);
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  munmap(addr, PageSize());
}

TEST_P(CutilsAshmemTest, PurgedRegionReportsWasPurged) {
  UniqueFd fd;
  ASSERT_NO_FATAL_FAILURE(Create(2 * PageSize(), &fd));
  void* addr = nullptr;
  ASSERT_NO_FATAL_FAILURE(Map(fd.get(), 2 * PageSize(), PROT_READ | PROT_WRITE, &addr));
  std::memset(addr, 'p', 2 * PageSize());
  ASSERT_EQ(0, ashmem_unpin_region(fd.get(), 0, 0));
  if (testing::DevicePresent()) {
    UniqueFd device(open("/dev/ashmem", O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(device.valid());
    ASSERT_GE(ioctl(device.get(), ASHMEM_PURGE_ALL_CACHES), 0) << strerror(errno);
  }
  const int expected = purges() ? ASHMEM_WAS_PURGED : ASHMEM_NOT_PURGED;
  EXPECT_EQ(expected, ashmem_pin_region(fd.get(), 0, 0));
  EXPECT_EQ(purges() ? 0 : 'p', static_cast<const char*>(addr)[0]);
  munmap(addr, 2 * PageSize());
}

INSTANTIATE_TEST_SUITE_P(Backends, CutilsAshmemTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

TEST(CutilsAshmemBackendTest, ForcingAMissingDeviceIsAnError) {
  ScopedEnv env("ASHMEM_BACKEND", "ashmem");
  errno = 0;
  int fd = ashmem_create_region("forced", PageSize());
  const int error = errno;
  if (testing::DevicePresent()) {
    EXPECT_GE(fd, 0) << strerror(error);
    close(fd);
  } else {
    EXPECT_EQ(-1, fd);
    EXPECT_EQ(ENODEV, error);
  }
}

TEST(CutilsAshmemBackendTest, UnknownBackendIsAnError) {
  ScopedEnv env("ASHMEM_BACKEND", "tmpfs");
  errno = 0;
  EXPECT_EQ(-1, ashmem_create_region("bad", PageSize()));
  EXPECT_EQ(EINVAL, errno);
}

// Memfds made outside this library, as Android's libcutils or a careless
// program make them, judged by their seals.
class CutilsAshmemMemfdTest : public ::testing::Test {
 protected:
  // A one-page memfd with sealing allowed and the given seals added.
  static UniqueFd MakeMemfd(int seals) {
    UniqueFd fd(memfd_create("outside", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    EXPECT_TRUE(fd.valid()) << strerror(errno);
    EXPECT_EQ(0, ftruncate(fd.get(), static_cast<off_t>(PageSize()))) << strerror(errno);
    if (seals != 0) {
      EXPECT_EQ(0, fcntl(fd.get(), F_ADD_SEALS, seals)) << strerror(errno);
    }
    return fd;
  }
};

// Without F_SEAL_GROW and F_SEAL_SHRINK the sender can ftruncate(0) after
// the receiver mapped it, and the receiver dies of SIGBUS: libcutils
// refuses such memfds, and so does this library.
TEST_F(CutilsAshmemMemfdTest, MemfdWithoutBothSizeSealsIsNotARegion) {
  for (int seals : {0, F_SEAL_GROW, F_SEAL_SHRINK, F_SEAL_FUTURE_WRITE}) {
    UniqueFd fd = MakeMemfd(seals);
    errno = 1234;
    EXPECT_EQ(0, ashmem_valid(fd.get())) << "seals " << seals;
    EXPECT_EQ(1234, errno);
    errno = 0;
    EXPECT_EQ(-1, ashmem_get_size_region(fd.get())) << "seals " << seals;
    EXPECT_EQ(ENOTTY, errno);
    EXPECT_EQ(std::errc::inappropriate_io_control_operation, Region::Adopt(std::move(fd)).error())
        << "seals " << seals;
  }
}

// A holder may add F_SEAL_SEAL to a region (memfd fds are always O_RDWR);
// that must not turn the region into a non-region for everyone else.
TEST_F(CutilsAshmemMemfdTest, SealSealAddedByAHolderKeepsTheRegionValid) {
  ScopedEnv env("ASHMEM_BACKEND", "memfd");
  UniqueFd fd(ashmem_create_region("sealed-by-consumer", PageSize()));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  Result<UniqueFd> consumer = DupFd(fd.get());
  ASSERT_TRUE(consumer.ok());
  ASSERT_EQ(0, fcntl(consumer->get(), F_ADD_SEALS, F_SEAL_SEAL)) << strerror(errno);
  EXPECT_EQ(1, ashmem_valid(fd.get()));
  EXPECT_EQ(static_cast<int>(PageSize()), ashmem_get_size_region(fd.get()));
  EXPECT_EQ(ASHMEM_NOT_PURGED, ashmem_pin_region(fd.get(), 0, 0));
  Result<Region> adopted = Region::Adopt(std::move(consumer).value());
  ASSERT_TRUE(adopted.ok()) << adopted.error().message();
  EXPECT_EQ(PageSize(), adopted->size());
}

// libcutils makes a memfd read-only with F_SEAL_FUTURE_WRITE|F_SEAL_SEAL
// (and, on kernels that have it, creates it with MFD_NOEXEC_SEAL, which adds
// F_SEAL_EXEC): its regions must work with all of the C API.
TEST_F(CutilsAshmemMemfdTest, LibcutilsReadOnlyMemfdIsARegion) {
  const int size_seals = F_SEAL_GROW | F_SEAL_SHRINK;
  for (int extra : {0, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL}) {
    UniqueFd fd = MakeMemfd(size_seals | extra);
    EXPECT_EQ(1, ashmem_valid(fd.get())) << "seals " << (size_seals | extra);
    EXPECT_EQ(static_cast<int>(PageSize()), ashmem_get_size_region(fd.get()));
    EXPECT_EQ(ASHMEM_NOT_PURGED, ashmem_pin_region(fd.get(), 0, 0)) << strerror(errno);
    EXPECT_EQ(0, ashmem_unpin_region(fd.get(), 0, 0)) << strerror(errno);
    EXPECT_EQ(0, ashmem_set_prot_region(fd.get(), PROT_READ)) << strerror(errno);
    errno = 0;
    EXPECT_EQ(-1, ashmem_set_prot_region(fd.get(), PROT_READ | PROT_WRITE));
    EXPECT_EQ(EINVAL, errno) << "read-only stays read-only";
    Result<Region> adopted = Region::Adopt(std::move(fd));
    ASSERT_TRUE(adopted.ok()) << adopted.error().message();
    EXPECT_EQ(0, *adopted->Prot() & PROT_WRITE);
  }
}

}  // namespace
}  // namespace ashmem
