// SPDX-License-Identifier: Apache-2.0
//
// How the library finds /dev/ashmem, and that it does not look again on
// every call: the device names Android uses, in Android's order, and no
// path lookups once an fd has been identified.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include <ashmem/region.h>
#include <cutils/ashmem.h>

#include "backend.h"
#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::PageSize;

// libcutils opens /dev/ashmem<boot_id> (the id without its newline) and
// only then /dev/ashmem; the library looks in the same order.
TEST(DeviceLookupTest, BootIdNameComesBeforePlainName) {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  ASSERT_TRUE(std::getline(in, boot_id)) << "no boot_id: /proc is needed";
  ASSERT_EQ(36U, boot_id.size()) << boot_id;
  const auto paths = internal::DevicePaths();
  ASSERT_EQ(2U, paths.size());
  EXPECT_EQ("/dev/ashmem" + boot_id, paths[0]);
  EXPECT_EQ("/dev/ashmem", paths[1]);
}

// How many times the device nodes were opened while f ran, counted with
// inotify (IN_CLOSE_WRITE is watched too, so that two opens never merge
// into one event).
template <typename F>
int CountDeviceOpens(F f) {
  UniqueFd watch(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch.valid())
    return -1;
  for (const std::string& path : internal::DevicePaths()) {
    if (access(path.c_str(), F_OK) == 0 &&
        inotify_add_watch(watch.get(), path.c_str(), IN_OPEN | IN_CLOSE_WRITE) < 0) {
      return -1;
    }
  }
  f();
  int opens = 0;
  alignas(inotify_event) char buf[4096];
  ssize_t n;
  while ((n = read(watch.get(), buf, sizeof(buf))) > 0) {
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf + at);
      if ((event->mask & IN_OPEN) != 0)
        ++opens;
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return opens;
}

// Creating a region without naming a backend used to open the device twice
// (once to see that it works, once for the region); the area opened to
// choose the backend is now the region.
TEST(DeviceLookupTest, CreateOpensTheDeviceOnce) {
  if (!testing::DevicePresent())
    GTEST_SKIP() << "/dev/ashmem is absent: the ashmem backend cannot be tested here";
  testing::ScopedEnv env("ASHMEM_BACKEND", std::nullopt);
  Region region;
  EXPECT_EQ(1, CountDeviceOpens([&] {
              Result<Region> made = Region::Create("open-once", PageSize());
              ASSERT_TRUE(made.ok()) << made.error().message();
              region = std::move(made).value();
            }));
  EXPECT_EQ(Backend::kAshmem, region.backend());
  UniqueFd fd;
  EXPECT_EQ(1, CountDeviceOpens([&] { fd.reset(ashmem_create_region("open-once", PageSize())); }));
  EXPECT_TRUE(fd.valid()) << strerror(errno);
}

// Installs a seccomp filter that kills the process on any system call that
// looks up a path: open, openat, stat, lstat, and newfstatat or statx
// without AT_EMPTY_PATH (which is how fstat() is made).
// The architecture the filter applies to; its system calls of others pass.
#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "device_lookup_test: no seccomp architecture for this target"
#endif
// arm64 has no open, stat or lstat (only the *at forms): no number matches.
#ifdef __NR_open
constexpr unsigned kNrOpen = __NR_open, kNrStat = __NR_stat, kNrLstat = __NR_lstat;
#else
constexpr unsigned kNrOpen = ~0U, kNrStat = ~0U, kNrLstat = ~0U;
#endif

bool ForbidPathLookups() {
  constexpr unsigned kKill = SECCOMP_RET_KILL_PROCESS;
  constexpr unsigned kAllow = SECCOMP_RET_ALLOW;
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kAllow),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrOpen, 5, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrStat, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrLstat, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_newfstatat, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_statx, 4, 7),
      BPF_STMT(BPF_RET | BPF_K, kKill),
      // newfstatat(dirfd, path, buf, flags): flags is args[3]
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[3])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 4, 3),
      BPF_STMT(BPF_RET | BPF_K, kKill),
      // statx(dirfd, path, flags, mask, buf): flags is args[2]
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[2])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kKill),
      BPF_STMT(BPF_RET | BPF_K, kAllow),
  };
  sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

class DeviceCacheTest : public BackendTest {};

// Every C call used to stat() the device to recognise an ashmem fd.  Once
// an fd has been recognised, the device number is known: later calls look
// up no path at all (a child process with path lookups forbidden proves
// it).  memfd regions never needed the device.
TEST_P(DeviceCacheTest, CallsOnAKnownRegionLookUpNoPath) {
  testing::ScopedEnv env("ASHMEM_BACKEND", testing::BackendEnvValue(backend()));
  UniqueFd fd(ashmem_create_region("no-lookups", PageSize()));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  void* addr = mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(MAP_FAILED, addr) << strerror(errno);
  ASSERT_EQ(1, ashmem_valid(fd.get()));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!ForbidPathLookups())
      _exit(2);
    for (int i = 0; i < 100; ++i) {
      if (ashmem_valid(fd.get()) != 1 ||
          ashmem_get_size_region(fd.get()) != static_cast<int>(PageSize()) ||
          ashmem_unpin_region(fd.get(), 0, 0) != 0 ||
          ashmem_pin_region(fd.get(), 0, 0) != ASHMEM_NOT_PURGED) {
        _exit(3);
      }
    }
    if (ashmem_set_prot_region(fd.get(), PROT_READ) != 0)
      _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  if (WIFSIGNALED(status)) {
    EXPECT_NE(SIGSYS, WTERMSIG(status)) << "a C call looked up a path";
    FAIL() << "child died of signal " << WTERMSIG(status);
  }
  EXPECT_EQ(0, WEXITSTATUS(status)) << "2: no seccomp; 3: a call failed; 4: set_prot failed";
  munmap(addr, PageSize());
}

INSTANTIATE_TEST_SUITE_P(Backends, DeviceCacheTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

}  // namespace
}  // namespace ashmem
