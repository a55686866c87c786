// SPDX-License-Identifier: Apache-2.0
//
// Uses an installed libashmem: a region, a mapping and a channel round trip.
#include <sys/mman.h>

#include <chrono>
#include <cstdio>

#include <ashmem/channel.h>
#include <ashmem/fd_passing.h>
#include <ashmem/region.h>

int main() {
  auto region = ashmem::Region::Create("consumer", 8192);
  if (!region.ok())
    return std::fprintf(stderr, "create: %s\n", region.error().message().c_str()), 1;
  auto out = region->Map(PROT_READ | PROT_WRITE);
  auto in = region->Map(PROT_READ | PROT_WRITE);
  if (!out.ok() || !in.ok())
    return std::fprintf(stderr, "map failed\n"), 1;
  auto writer = ashmem::Channel::Writer::Create(std::move(out).value());
  if (!writer.ok())
    return 1;
  if (!writer->Write(ashmem::AsBytes("installed"), std::chrono::seconds(1)).ok())
    return 1;
  auto reader = ashmem::Channel::Reader::Attach(std::move(in).value());
  if (!reader.ok())
    return 1;
  auto message = reader->TryRead();
  if (!message.ok() || message->payload.size() != 9)
    return 1;
  std::printf("consumer: round trip through an installed libashmem (%s backend) works\n",
              std::string(ashmem::BackendName(region->backend())).c_str());
  return 0;
}
