// SPDX-License-Identifier: Apache-2.0
//
// ashmem-binder-channel: the producer/consumer channel with Binder as its
// control plane.  The producer (the service) hands over the region and its
// metadata in a Binder reply; the frames go through shared memory (a
// Channel); the consumer's mapping is read-only; the consumer's report of
// what it read comes back over Binder.
#include <sys/mman.h>

#include <ashmem/binder.h>
#include <ashmem/channel.h>
#include <ashmem/region.h>

#include "binder_example.h"

namespace {

using demo::Fail;
using demo::Say;

enum Code : std::uint32_t { kOpenStream = 1, kReport };
constexpr std::uint32_t kFrames = 8;
constexpr std::size_t kFrameSize = 4096;

std::uint64_t FrameSum(std::span<const std::byte> frame) {
  std::uint64_t sum = 0;
  for (std::byte b : frame)
    sum = sum * 31 + static_cast<std::uint8_t>(b);
  return sum;
}

int Service(ashmem::Binder& binder) {
  const std::size_t size = ashmem::Channel::MemorySize(kFrameSize, kFrames);
  ashmem::Result<ashmem::MappedReadOnlyRegion> made =
      ashmem::Region::CreateMappedReadOnly("camera-frames", size);
  if (!made.ok())
    return Fail("producer", "creating the region", made.error());
  ashmem::Result<ashmem::Channel::Writer> writer = ashmem::Channel::Writer::Create(
      std::move(made->mapping), {.slots = kFrames, .read_only_readers = true});
  if (!writer.ok())
    return Fail("producer", "making the channel", writer.error());
  ashmem::Result<ashmem::Transaction> txn = binder.Receive(std::chrono::seconds(30));
  if (!txn.ok() || txn->code != kOpenStream)
    return Fail("producer", "receiving the request", txn.error());
  ashmem::Parcel reply;
  reply.WriteFd(made->region.fd());
  reply.WriteUint32(kFrames);
  reply.WriteUint64(kFrameSize);
  if (ashmem::Result<void> ret = binder.Reply(reply); !ret.ok())
    return Fail("producer", "replying", ret.error());
  Say("producer",
      "sent the region (read-only for every holder) and its metadata: %u frames of %zu bytes",
      kFrames, kFrameSize);
  std::uint64_t sum = 0;
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    ashmem::Result<std::span<std::byte>> slot =
        writer->BeginWrite(kFrameSize, std::chrono::seconds(10));
    if (!slot.ok())
      return Fail("producer", "writing a frame", slot.error());
    for (std::size_t j = 0; j < slot->size(); ++j)
      (*slot)[j] = static_cast<std::byte>((std::size_t{i} * 7 + j) & 0xff);
    sum += FrameSum(*slot);
    if (!writer->Commit().ok())
      return 1;
  }
  Say("producer", "wrote %u frames through shared memory", kFrames);
  txn = binder.Receive(std::chrono::seconds(30));
  if (!txn.ok() || txn->code != kReport)
    return Fail("producer", "receiving the report", txn.error());
  ashmem::Result<std::uint32_t> frames = txn->data.ReadUint32();
  ashmem::Result<std::uint64_t> their_sum = txn->data.ReadUint64();
  const bool same = frames.ok() && their_sum.ok() && *frames == kFrames && *their_sum == sum;
  Say("producer", "the consumer reports %u frames, checksum %s", frames.ok() ? *frames : 0,
      same ? "matching mine" : "NOT MATCHING");
  return binder.Reply(ashmem::Parcel()).ok() && same ? 0 : 1;
}

int Client(ashmem::Binder& binder) {
  ashmem::Result<ashmem::Parcel> reply =
      binder.Transact(ashmem::kContextManager, kOpenStream, ashmem::Parcel());
  if (!reply.ok())
    return Fail("consumer", "opening the stream", reply.error());
  ashmem::Result<ashmem::UniqueFd> fd = reply->ReadFd();
  ashmem::Result<std::uint32_t> frames = reply->ReadUint32();
  ashmem::Result<std::uint64_t> frame_size = reply->ReadUint64();
  if (!fd.ok() || !frames.ok() || !frame_size.ok())
    return Fail("consumer", "reading the reply", std::error_code());
  ashmem::Result<ashmem::Region> region = ashmem::Region::Adopt(std::move(fd).value());
  if (!region.ok())
    return Fail("consumer", "adopting the region", region.error());
  ashmem::Result<ashmem::Mapping> writable = region->Map(PROT_READ | PROT_WRITE);
  Say("consumer", "a writable mapping is refused: %s",
      writable.ok() ? "NO" : writable.error().message().c_str());
  if (writable.ok())
    return 1;
  ashmem::Result<ashmem::Mapping> m = region->Map(PROT_READ);
  if (!m.ok())
    return Fail("consumer", "mapping read-only", m.error());
  ashmem::Result<ashmem::Channel::Reader> reader =
      ashmem::Channel::Reader::Attach(std::move(m).value());
  if (!reader.ok())
    return Fail("consumer", "attaching", reader.error());
  std::uint64_t sum = 0;
  std::uint32_t got = 0;
  for (; got < *frames; ++got) {
    ashmem::Result<ashmem::Channel::View> view = reader->Acquire(std::chrono::seconds(10));
    if (!view.ok())
      return Fail("consumer", "reading a frame", view.error());
    if (view->payload.size() != *frame_size)
      return Fail("consumer", "the frame's size", std::error_code());
    sum += FrameSum(view->payload);
    if (!reader->Release().ok())
      return 1;
  }
  Say("consumer", "read %u frames in place from its read-only mapping", got);
  ashmem::Parcel report;
  report.WriteUint32(got);
  report.WriteUint64(sum);
  return binder.Transact(ashmem::kContextManager, kReport, report).ok() ? 0 : 1;
}

}  // namespace

int main() {
  std::printf("== a channel with Binder as its control plane, frames in shared memory ==\n");
  return demo::RunWithService("channel", Service, Client);
}
