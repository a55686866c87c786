// SPDX-License-Identifier: Apache-2.0
//
// ashmem-demo-client SOCKET: the client half of the demo.
//
// Waits for the service's socket, asks for the region by name, reads the
// greeting in place through a Channel and verifies it, and shows that the
// region cannot be written from here.  Exits 0 if all of that held.
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <ashmem/channel.h>
#include <ashmem/region.h>
#include <ashmem/region_server.h>

#include "demo_story.h"

namespace {

using demo::Fail;
using demo::Say;

constexpr const char* kMe = "client";
constexpr auto kWaitForService = std::chrono::seconds(10);

int Run(const std::string& socket_path) {
  ashmem::Result<ashmem::RegionClient> client =
      ashmem::RegionClient::Connect(socket_path, kWaitForService);
  if (!client.ok())
    return Fail(kMe, "connecting to the service", client.error());
  Say(kMe, "connected to %s", socket_path.c_str());

  ashmem::Result<ashmem::Region> region = client->Get(demo::kRegionName, ashmem::Access::kReadOnly);
  if (!region.ok())
    return Fail(kMe, "asking for the region", region.error());
  ashmem::Result<int> prot = region->Prot();
  if (!prot.ok())
    return Fail(kMe, "reading the protection", prot.error());
  Say(kMe, "received \"%s\" (%zu bytes, %s backend), allowed protections: %s",
      region->name().c_str(), region->size(),
      std::string(ashmem::BackendName(region->backend())).c_str(), demo::ProtString(*prot).c_str());

  ashmem::Result<ashmem::Mapping> mapping = region->Map(PROT_READ);
  if (!mapping.ok())
    return Fail(kMe, "mapping read-only", mapping.error());
  ashmem::Result<ashmem::Channel::Reader> reader =
      ashmem::Channel::Reader::Attach(std::move(mapping).value());
  if (!reader.ok())
    return Fail(kMe, "attaching to the channel", reader.error());
  // Read in place: the view points into the shared memory itself.
  ashmem::Result<ashmem::Channel::View> message = reader->Acquire(std::chrono::seconds(5));
  if (!message.ok())
    return Fail(kMe, "reading the greeting", message.error());
  const std::string text(reinterpret_cast<const char*>(message->payload.data()),
                         message->payload.size());
  Say(kMe, "message #%llu, read in place, checksum verified: \"%s\"",
      static_cast<unsigned long long>(message->sequence), text.c_str());
  if (ashmem::Result<void> released = reader->Release(); !released.ok())
    return Fail(kMe, "releasing the greeting", released.error());

  // The region came read-only: neither a new writable mapping nor upgrading
  // the read-only one may succeed.
  ashmem::Result<ashmem::Mapping> writable = region->Map(PROT_READ | PROT_WRITE);
  if (writable.ok())
    return Fail(kMe, "expecting a writable mapping to be refused", {});
  Say(kMe, "mapping it writable is refused: %s", writable.error().message().c_str());
  ashmem::Result<ashmem::Mapping> readable = region->Map(PROT_READ);
  if (!readable.ok())
    return Fail(kMe, "mapping read-only again", readable.error());
  ashmem::Result<void> upgraded = readable->Protect(PROT_READ | PROT_WRITE);
  if (upgraded.ok())
    return Fail(kMe, "expecting mprotect to writable to be refused", {});
  Say(kMe, "making a read-only mapping writable is refused too: %s",
      upgraded.error().message().c_str());

  Say(kMe, "all checks passed; hanging up");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
    return 2;
  }
  return Run(argv[1]);
}
