// SPDX-License-Identifier: Apache-2.0
//
// ashmem-demo-service SOCKET: the service half of the demo.
//
// Creates a region, writes a greeting into it through a Channel, serves it
// read-only on SOCKET with a RegionServer, and once the client has hung up,
// unpins the region, has the kernel purge it and shows what the next pin
// reports.  Exits 0 if everything behaved as the backend promises.
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <ashmem/channel.h>
#include <ashmem/fd_passing.h>
#include <ashmem/region.h>
#include <ashmem/region_server.h>

#include "demo_story.h"

namespace {

using demo::Fail;
using demo::Say;

constexpr const char* kMe = "service";
constexpr std::size_t kRegionSize = std::size_t{16} * 1024;
constexpr auto kClientTimeout = std::chrono::seconds(30);

int Run(const std::string& socket_path) {
  ashmem::Result<ashmem::Backend> backend = ashmem::DefaultBackend();
  if (!backend.ok())
    return Fail(kMe, "choosing a backend", backend.error());
  const bool purgeable = *backend == ashmem::Backend::kAshmem;
  Say(kMe, "using the %s backend%s", std::string(ashmem::BackendName(*backend)).c_str(),
      purgeable ? " (/dev/ashmem, the kernel driver)" : " (memfd_create with seals)");

  ashmem::Result<ashmem::Region> region =
      ashmem::Region::Create(demo::kRegionName, kRegionSize, *backend);
  if (!region.ok())
    return Fail(kMe, "creating the region", region.error());
  Say(kMe, "created region \"%s\": %zu bytes of shared memory", region->name().c_str(),
      region->size());

  // Map it writable now: once it is served read-only, no new writable
  // mapping can be made, by anyone.
  ashmem::Result<ashmem::Mapping> mapping = region->Map(PROT_READ | PROT_WRITE);
  if (!mapping.ok())
    return Fail(kMe, "mapping the region", mapping.error());
  // The client maps it read-only, so it cannot tell the writer that it
  // sleeps: the writer wakes it on every message instead.
  ashmem::Result<ashmem::Channel::Writer> writer = ashmem::Channel::Writer::Create(
      std::move(mapping).value(),
      {.integrity = ashmem::Channel::Integrity::kXxh3, .read_only_readers = true});
  if (!writer.ok())
    return Fail(kMe, "setting up the channel", writer.error());

  const std::string greeting =
      "Hello from the service! This text lives in shared memory, not in a pipe.";
  ashmem::Result<std::uint64_t> sequence =
      writer->Write(ashmem::AsBytes(greeting), std::chrono::seconds(1));
  if (!sequence.ok())
    return Fail(kMe, "writing the greeting", sequence.error());
  Say(kMe, "wrote message #%llu (%zu bytes, with an XXH3 checksum) through a channel",
      static_cast<unsigned long long>(*sequence), greeting.size());

  Say(kMe, "serving \"%s\" read-only on %s; waiting for a client", demo::kRegionName,
      socket_path.c_str());
  ashmem::Result<ashmem::RegionServer> server = ashmem::RegionServer::Listen(socket_path);
  if (!server.ok())
    return Fail(kMe, "listening", server.error());
  ashmem::Result<void> published =
      server->Publish(demo::kRegionName, *region, ashmem::Access::kReadOnly);
  if (!published.ok())
    return Fail(kMe, "publishing", published.error());
  ashmem::Result<void> served = server->ServeClient(kClientTimeout);
  if (!served.ok())
    return Fail(kMe, "serving the client", served.error());
  Say(kMe, "the client hung up");

  // The purgeable-memory part of the story.
  if (ashmem::Result<void> unpinned = region->Unpin(); !unpinned.ok()) {
    return Fail(kMe, "unpinning", unpinned.error());
  }
  Say(kMe, "unpinned the region: the kernel may now reclaim it under memory pressure");
  if (purgeable) {
    ashmem::Result<std::size_t> pages = ashmem::PurgeAllCaches();
    if (!pages.ok())
      return Fail(kMe, "purging (ASHMEM_PURGE_ALL_CACHES needs root)", pages.error());
    Say(kMe, "asked the kernel to purge all unpinned ashmem now: %zu page(s) were unpinned",
        *pages);
  } else {
    Say(kMe, "memfd memory is never purged, so there is nothing for the kernel to drop");
  }

  ashmem::Result<ashmem::PinState> state = region->Pin();
  if (!state.ok())
    return Fail(kMe, "pinning again", state.error());
  ashmem::Result<ashmem::Mapping> view = region->Map(PROT_READ);
  if (!view.ok())
    return Fail(kMe, "mapping to look", view.error());
  const bool zeros = view->data()[0] == std::byte{0};

  if (*state == ashmem::PinState::kPurged) {
    Say(kMe, "pinned it again: kPurged, so the contents are gone and the program knows it");
    Say(kMe, "the region now reads as zeros: %s", zeros ? "yes" : "NO");
    if (!purgeable || !zeros)
      return Fail(kMe, "checking the purge", std::error_code());
  } else {
    Say(kMe, "pinned it again: kRetained, the greeting is still there");
    if (purgeable) {
      return Fail(kMe, "expecting kPurged after the purge",
                  std::make_error_code(std::errc::state_not_recoverable));
    }
    Say(kMe, "(with the memfd backend, pin always reports kRetained)");
    if (zeros)
      return Fail(kMe, "checking the contents", std::error_code());
  }
  Say(kMe, "done");
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
