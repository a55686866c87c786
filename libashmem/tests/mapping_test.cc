// SPDX-License-Identifier: Apache-2.0
#include <ashmem/mapping.h>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

#include <ashmem/region.h>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendTest;
using testing::PageSize;

static_assert(!std::is_copy_constructible_v<Mapping>);
static_assert(std::is_nothrow_move_constructible_v<Mapping>);

// True if [addr, addr + length) is mapped in this process.
bool IsMapped(void* addr, std::size_t length) {
  unsigned char vec[16];
  return mincore(addr, length, vec) == 0;  // ENOMEM for unmapped memory
}

class MappingTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped())
      return;
    Result<Region> region = Region::Create("mapping-test", 2 * PageSize(), backend());
    ASSERT_TRUE(region.ok()) << region.error().message();
    region_ = std::move(region).value();
  }
  Region region_;
};

TEST_P(MappingTest, DefaultIsEmpty) {
  Mapping mapping;
  EXPECT_TRUE(mapping.empty());
  EXPECT_EQ(nullptr, mapping.data());
  EXPECT_EQ(0u, mapping.size());
  EXPECT_EQ(std::errc::invalid_argument, mapping.Protect(PROT_READ).error());
}

TEST_P(MappingTest, ReportsSizeProtAndSpan) {
  Result<Mapping> mapping = region_.Map(PROT_READ | PROT_WRITE, 0, PageSize() + 1);
  ASSERT_TRUE(mapping.ok()) << mapping.error().message();
  EXPECT_EQ(PageSize() + 1, mapping->size());
  EXPECT_EQ(2 * PageSize(), mapping->mapped_size());
  EXPECT_EQ(PROT_READ | PROT_WRITE, mapping->prot());
  EXPECT_TRUE(mapping->writable());
  std::span<std::byte> span = mapping->span();
  EXPECT_EQ(mapping->data(), span.data());
  EXPECT_EQ(mapping->size(), span.size());
}

TEST_P(MappingTest, UnmapsOnDestruction) {
  void* addr = nullptr;
  {
    Result<Mapping> mapping = region_.Map(PROT_READ);
    ASSERT_TRUE(mapping.ok());
    addr = mapping->data();
    ASSERT_TRUE(IsMapped(addr, PageSize()));
  }
  EXPECT_FALSE(IsMapped(addr, PageSize()));
}

TEST_P(MappingTest, MoveKeepsOneOwner) {
  Result<Mapping> made = region_.Map(PROT_READ);
  ASSERT_TRUE(made.ok());
  Mapping a = std::move(made).value();
  void* addr = a.data();
  Mapping b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(addr, b.data());
  Mapping c;
  c = std::move(b);
  EXPECT_EQ(addr, c.data());
  EXPECT_TRUE(IsMapped(addr, PageSize()));
  c.Reset();
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(IsMapped(addr, PageSize()));
}

TEST_P(MappingTest, OutlivesItsRegion) {
  Result<Mapping> writer = region_.Map(PROT_READ | PROT_WRITE);
  Result<Mapping> reader = region_.Map(PROT_READ);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(reader.ok());
  region_ = Region();  // closes the only fd
  std::memcpy(writer->data(), "alive", 6);
  EXPECT_STREQ("alive", reinterpret_cast<const char*>(reader->data()));
}

TEST_P(MappingTest, ProtectCanDropAndRegainRightsTheRegionGrants) {
  Result<Mapping> mapping = region_.Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(mapping.ok());
  ASSERT_TRUE(mapping->Protect(PROT_READ).ok());
  EXPECT_FALSE(mapping->writable());
  ASSERT_TRUE(mapping->Protect(PROT_READ | PROT_WRITE).ok());
  EXPECT_TRUE(mapping->writable());
  mapping->data()[0] = std::byte{1};
  EXPECT_EQ(std::byte{1}, mapping->data()[0]);
}

TEST_P(MappingTest, ProtectCannotGainRightsTheRegionDropped) {
  ASSERT_TRUE(region_.RestrictProt(PROT_READ).ok());
  Result<Mapping> mapping = region_.Map(PROT_READ);
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(std::errc::permission_denied, mapping->Protect(PROT_READ | PROT_WRITE).error());
  EXPECT_EQ(PROT_READ, mapping->prot()) << "a failed Protect keeps the old protection";
}

// A read-only mapping made while the region still granted writing must not
// become writable once the region is read-only (mapping.h promises EACCES):
// the kernel would allow it, because the mapping predates the restriction.
TEST_P(MappingTest, ReadOnlyMappingMadeBeforeRestrictProtStaysReadOnly) {
  Result<Mapping> early = region_.Map(PROT_READ);
  ASSERT_TRUE(early.ok()) << early.error().message();
  ASSERT_TRUE(region_.RestrictProt(PROT_READ).ok());
  EXPECT_EQ(std::errc::permission_denied, early->Protect(PROT_READ | PROT_WRITE).error());
  EXPECT_FALSE(early->writable());
  EXPECT_EQ(PROT_READ, early->prot());
}

// A mapping never gains a right it was not made with; it may regain one it
// dropped.  Writable memory comes from mapping writable.
TEST_P(MappingTest, ProtectCannotAddRightsTheMappingWasNotMadeWith) {
  Result<Mapping> mapping = region_.Map(PROT_READ);
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(std::errc::permission_denied, mapping->Protect(PROT_READ | PROT_WRITE).error());
  EXPECT_EQ(PROT_READ, mapping->prot());
  EXPECT_TRUE(mapping->Protect(PROT_NONE).ok());
  EXPECT_TRUE(mapping->Protect(PROT_READ).ok());
}

// Read-only mappings hand out const memory only.
static_assert(std::is_same_v<decltype(std::declval<const ReadOnlyMapping&>().span()),
                             std::span<const std::byte>>);
static_assert(
    std::is_same_v<decltype(std::declval<const ReadOnlyMapping&>().data()), const std::byte*>);
static_assert(!std::is_copy_constructible_v<ReadOnlyMapping>);

TEST_P(MappingTest, ReadOnlyMappingSeesWritesThroughConstMemory) {
  Result<Mapping> writer = region_.Map(PROT_READ | PROT_WRITE);
  ASSERT_TRUE(writer.ok());
  Result<ReadOnlyMapping> reader = region_.MapReadOnly(1, 10);
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  EXPECT_EQ(10U, reader->size());
  EXPECT_EQ(10U, reader->span().size());
  std::memcpy(writer->data(), "xconstant", 10);
  EXPECT_STREQ("constant", reinterpret_cast<const char*>(reader->data()));
  reader->Reset();
  EXPECT_TRUE(reader->empty());
  EXPECT_EQ(std::errc::invalid_argument, region_.MapReadOnly(2 * PageSize()).error());
}

INSTANTIATE_TEST_SUITE_P(Backends, MappingTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem),
                         testing::BackendParamName);

}  // namespace
}  // namespace ashmem
