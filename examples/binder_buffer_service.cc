// SPDX-License-Identifier: Apache-2.0
//
// ashmem-binder-buffer-service: a server creates a heap (MemoryHeap) and
// writes its first integer; a client gets the heap and a block of it over
// Binder, maps it once and increments the integer; the server sees every
// increment.
#include <ashmem/binder.h>
#include <ashmem/memory_heap.h>

#include "binder_example.h"

namespace {

using demo::Fail;
using demo::Say;

enum Code : std::uint32_t { kGetBuffer = 1, kIncremented, kQuit };
constexpr int kIncrements = 5;

int Service(ashmem::Binder& binder) {
  ashmem::Result<std::shared_ptr<ashmem::MemoryHeap>> heap =
      ashmem::MemoryHeap::Create("buffer-service", std::size_t{16} * 1024);
  if (!heap.ok())
    return Fail("service", "creating the heap", heap.error());
  ashmem::Result<ashmem::Memory> block = (*heap)->Block(4096, 64);
  if (!block.ok())
    return Fail("service", "making the block", block.error());
  auto* counter = reinterpret_cast<volatile std::int32_t*>(block->mutable_span().data());
  *counter = 1;
  Say("service", "heap of %zu bytes; its block at %zu holds the integer %d", (*heap)->size(),
      block->offset(), *counter);
  std::int32_t expected = 1;
  for (;;) {
    ashmem::Result<ashmem::Transaction> txn = binder.Receive(std::chrono::seconds(30));
    if (!txn.ok())
      return Fail("service", "receiving", txn.error());
    ashmem::Parcel reply;
    if (txn->code == kGetBuffer) {
      ashmem::WriteHeap(reply, **heap);
      if (!ashmem::WriteMemory(reply, *block).ok())
        return 1;
    } else if (txn->code == kIncremented) {
      ++expected;
      Say("service", "the client says it incremented: I see %d", *counter);
      if (*counter != expected)
        return Fail("service", "seeing the increment", std::error_code());
      reply.WriteInt32(*counter);
    } else if (txn->code == kQuit) {
      return binder.Reply(reply).ok() && expected == 1 + kIncrements ? 0 : 1;
    }
    if (ashmem::Result<void> ret = binder.Reply(reply); !ret.ok())
      return Fail("service", "replying", ret.error());
  }
}

int Client(ashmem::Binder& binder) {
  ashmem::HeapCache heaps;
  ashmem::Memory block;
  // Asked twice: the second answer brings the same heap, which is not
  // mapped again.
  for (int i = 0; i < 2; ++i) {
    ashmem::Result<ashmem::Parcel> reply =
        binder.Transact(ashmem::kContextManager, kGetBuffer, ashmem::Parcel());
    if (!reply.ok())
      return Fail("client", "getting the buffer", reply.error());
    ashmem::Result<std::shared_ptr<ashmem::MemoryHeap>> heap = heaps.ReadHeap(*reply);
    if (!heap.ok())
      return Fail("client", "reading the heap", heap.error());
    ashmem::Result<ashmem::Memory> got = heaps.ReadMemory(*reply);
    if (!got.ok())
      return Fail("client", "reading the block", got.error());
    block = *got;
  }
  Say("client", "got the block (%zu bytes at offset %zu) twice; heaps mapped: %zu", block.size(),
      block.offset(), heaps.size());
  if (heaps.size() != 1)
    return Fail("client", "mapping the heap once", std::error_code());
  auto* counter = reinterpret_cast<volatile std::int32_t*>(block.mutable_span().data());
  if (counter == nullptr)
    return Fail("client", "the heap is not writable", std::error_code());
  Say("client", "the integer is %d", *counter);
  for (int i = 0; i < kIncrements; ++i) {
    *counter = *counter + 1;
    ashmem::Result<ashmem::Parcel> reply =
        binder.Transact(ashmem::kContextManager, kIncremented, ashmem::Parcel());
    ashmem::Result<std::int32_t> seen = reply.ok() ? reply->ReadInt32() : reply.error();
    if (!seen.ok() || *seen != *counter)
      return Fail("client", "the service's view", std::error_code());
  }
  Say("client", "incremented it %d times; the service saw each one", kIncrements);
  return binder.Transact(ashmem::kContextManager, kQuit, ashmem::Parcel()).ok() ? 0 : 1;
}

}  // namespace

int main() {
  std::printf("== a buffer service: a heap over Binder, an integer incremented through it ==\n");
  return demo::RunWithService("buffer-service", Service, Client);
}
