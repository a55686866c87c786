// SPDX-License-Identifier: Apache-2.0
//
// Runs the plain-C libcutils program (dropin/libcutils_checks.c, compiled as
// C) against each backend.
#include <gtest/gtest.h>

#include "dropin/libcutils_checks.h"
#include "test_util.h"

namespace ashmem {
namespace {

class LibcutilsDropinTest : public testing::BackendTest {};

TEST_P(LibcutilsDropinTest, UnmodifiedCProgramPasses) {
  testing::ScopedEnv env("ASHMEM_BACKEND", testing::BackendEnvValue(backend()));
  EXPECT_EQ(0, libcutils_checks(stderr)) << "see the failed checks above";
}

INSTANTIATE_TEST_SUITE_P(Backends, LibcutilsDropinTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

}  // namespace
}  // namespace ashmem
