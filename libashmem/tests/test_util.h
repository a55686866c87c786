// SPDX-License-Identifier: Apache-2.0
//
// Shared helpers for the libashmem tests.
#ifndef LIBASHMEM_TESTS_TEST_UTIL_H_
#define LIBASHMEM_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <optional>
#include <string>

#include <ashmem/region.h>

namespace ashmem::testing {

// Whether /dev/ashmem exists at all.  Tests of the ashmem backend skip only
// when it does not (on a host without the driver); where it exists, a
// broken device makes them fail, never skip.
inline bool DevicePresent() {
  struct stat st;
  return stat("/dev/ashmem", &st) == 0;
}

inline std::size_t PageSize() {
  return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// "Memfd" or "Ashmem", for parameterised test names.
inline std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kAshmem ? "Ashmem" : "Memfd";
}

// Base of the suites that run once per backend.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (backend() == Backend::kAshmem && !DevicePresent()) {
      GTEST_SKIP() << "/dev/ashmem is absent: the ashmem backend cannot be tested here";
    }
  }
  Backend backend() const { return GetParam(); }
  bool purges() const { return backend() == Backend::kAshmem; }
};

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = getenv(name))
      old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The value of ASHMEM_BACKEND that selects backend.
inline const char* BackendEnvValue(Backend backend) {
  return backend == Backend::kAshmem ? "ashmem" : "memfd";
}

}  // namespace ashmem::testing

#endif  // LIBASHMEM_TESTS_TEST_UTIL_H_
