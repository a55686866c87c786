// SPDX-License-Identifier: Apache-2.0
//
// MemoryHeap and Memory within one process; the hand-over to another
// process over Binder is in guest/binder_guest_test.cc.
#include <ashmem/memory_heap.h>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include "test_util.h"

namespace ashmem {
namespace {

using testing::BackendParamName;
using testing::BackendTest;

class MemoryHeapTest : public BackendTest {};

TEST_P(MemoryHeapTest, BlocksShareTheHeapsOneMapping) {
  Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Create("heap", 8192, backend());
  ASSERT_TRUE(heap.ok()) << heap.error().message();
  EXPECT_TRUE((*heap)->writable());
  Result<Memory> a = (*heap)->Block(0, 16);
  Result<Memory> b = (*heap)->Block(8, 16);
  ASSERT_TRUE(a.ok() && b.ok());
  a->mutable_span()[8] = std::byte{42};
  EXPECT_EQ(std::byte{42}, b->span()[0]);
  EXPECT_EQ((*heap)->span().data() + 8, b->span().data());
}

TEST_P(MemoryHeapTest, BlockOutsideTheHeapIsEinval) {
  Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Create("heap", 8192, backend());
  ASSERT_TRUE(heap.ok());
  const std::pair<std::size_t, std::size_t> bad[] = {{0, 0},    {0, 8193},     {8192, 1},
                                                     {8191, 2}, {SIZE_MAX, 2}, {1, SIZE_MAX}};
  for (auto [offset, size] : bad) {
    EXPECT_EQ(std::errc::invalid_argument, (*heap)->Block(offset, size).error())
        << offset << "+" << size;
  }
  EXPECT_TRUE((*heap)->Block(8191, 1).ok());
  EXPECT_TRUE((*heap)->Block(0, 8192).ok());
}

TEST_P(MemoryHeapTest, BlockKeepsItsHeapMapped) {
  Memory block;
  {
    Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Create("heap", 4096, backend());
    ASSERT_TRUE(heap.ok());
    Result<Memory> made = (*heap)->Block(100, 4);
    ASSERT_TRUE(made.ok());
    block = *made;
  }
  block.mutable_span()[3] = std::byte{7};
  EXPECT_EQ(std::byte{7}, block.span()[3]);
}

TEST_P(MemoryHeapTest, ReadOnlyRegionMakesAReadOnlyHeap) {
  Result<MappedReadOnlyRegion> made = Region::CreateMappedReadOnly("ro-heap", 4096, backend());
  ASSERT_TRUE(made.ok()) << made.error().message();
  Result<Region> fd = Region::Adopt(made->region.DupFd().value());
  ASSERT_TRUE(fd.ok());
  Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Map(std::move(fd).value());
  ASSERT_TRUE(heap.ok()) << heap.error().message();
  EXPECT_FALSE((*heap)->writable());
  EXPECT_TRUE((*heap)->mutable_span().empty());
  Result<Memory> block = (*heap)->Block(0, 4);
  ASSERT_TRUE(block.ok());
  EXPECT_TRUE(block->mutable_span().empty());
  made->mapping.span()[0] = std::byte{9};
  EXPECT_EQ(std::byte{9}, block->span()[0]);
}

TEST_P(MemoryHeapTest, EmptyBlockCannotBeWritten) {
  Parcel p;
  EXPECT_EQ(std::errc::invalid_argument, WriteMemory(p, Memory()).error());
  EXPECT_EQ(0u, p.data().size());
}

TEST_P(MemoryHeapTest, BlockOfAnUnknownHeapIsEnoent) {
  Result<std::shared_ptr<MemoryHeap>> heap = MemoryHeap::Create("heap", 4096, backend());
  ASSERT_TRUE(heap.ok());
  Parcel p;
  ASSERT_TRUE(WriteMemory(p, (*heap)->Block(0, 4).value()).ok());
  HeapCache cache;
  EXPECT_EQ(std::errc::no_such_file_or_directory, cache.ReadMemory(p).error());
}

TEST(MemoryHeapCreateTest, ZeroSizeIsEinval) {
  EXPECT_EQ(std::errc::invalid_argument, MemoryHeap::Create("heap", 0).error());
}

INSTANTIATE_TEST_SUITE_P(Backends, MemoryHeapTest,
                         ::testing::Values(Backend::kMemfd, Backend::kAshmem), BackendParamName);

}  // namespace
}  // namespace ashmem
