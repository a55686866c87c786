// SPDX-License-Identifier: Apache-2.0
//
// ashmem-binder-memory-service: a Binder service that owns a region and
// answers getFileDescriptor, setValue and getValue.  The client maps the fd
// it gets and sees each value the service sets, and the service sees each
// value the client writes.
#include <sys/mman.h>

#include <ashmem/binder.h>
#include <ashmem/region.h>

#include "binder_example.h"

namespace {

using demo::Fail;
using demo::Say;

enum Code : std::uint32_t { kGetFileDescriptor = 1, kSetValue, kGetValue, kQuit };

int Service(ashmem::Binder& binder) {
  ashmem::Result<ashmem::Region> region = ashmem::Region::Create("memory-service", 4096);
  if (!region.ok())
    return Fail("service", "creating the region", region.error());
  ashmem::Result<ashmem::Mapping> m = region->Map(PROT_READ | PROT_WRITE);
  if (!m.ok())
    return Fail("service", "mapping", m.error());
  auto* value = reinterpret_cast<volatile std::int32_t*>(m->data());
  for (;;) {
    ashmem::Result<ashmem::Transaction> txn = binder.Receive(std::chrono::seconds(30));
    if (!txn.ok())
      return Fail("service", "receiving", txn.error());
    ashmem::Parcel reply;
    switch (txn->code) {
      case kGetFileDescriptor:
        reply.WriteFd(region->fd());
        Say("service", "getFileDescriptor: sending the region's fd");
        break;
      case kSetValue: {
        ashmem::Result<std::int32_t> v = txn->data.ReadInt32();
        if (!v.ok())
          return Fail("service", "setValue", v.error());
        *value = *v;
        Say("service", "setValue(%d)", *v);
        break;
      }
      case kGetValue:
        reply.WriteInt32(*value);
        Say("service", "getValue() = %d", *value);
        break;
      case kQuit:
        return binder.Reply(reply).ok() ? 0 : 1;
      default:
        if (!binder.ReplyError(EBADMSG).ok())
          return 1;
        continue;
    }
    if (ashmem::Result<void> ret = binder.Reply(reply); !ret.ok())
      return Fail("service", "replying", ret.error());
  }
}

int Client(ashmem::Binder& binder) {
  ashmem::Result<ashmem::Parcel> reply =
      binder.Transact(ashmem::kContextManager, kGetFileDescriptor, ashmem::Parcel());
  if (!reply.ok())
    return Fail("client", "getFileDescriptor", reply.error());
  ashmem::Result<ashmem::UniqueFd> fd = reply->ReadFd();
  if (!fd.ok())
    return Fail("client", "reading the fd", fd.error());
  ashmem::Result<ashmem::Region> region = ashmem::Region::Adopt(std::move(fd).value());
  if (!region.ok())
    return Fail("client", "adopting the region", region.error());
  ashmem::Result<ashmem::Mapping> m = region->Map(PROT_READ | PROT_WRITE);
  if (!m.ok())
    return Fail("client", "mapping", m.error());
  auto* value = reinterpret_cast<volatile std::int32_t*>(m->data());
  Say("client", "mapped the service's region (%zu bytes, %s backend)", region->size(),
      std::string(ashmem::BackendName(region->backend())).c_str());
  for (std::int32_t v : {7, 42, 1000}) {
    ashmem::Parcel data;
    data.WriteInt32(v);
    if (!binder.Transact(ashmem::kContextManager, kSetValue, data).ok())
      return Fail("client", "setValue", std::error_code());
    Say("client", "after setValue(%d) my mapping reads %d", v, *value);
    if (*value != v)
      return Fail("client", "seeing the value", std::error_code());
  }
  *value = -5;
  Say("client", "wrote -5 into my mapping");
  reply = binder.Transact(ashmem::kContextManager, kGetValue, ashmem::Parcel());
  ashmem::Result<std::int32_t> seen = reply.ok() ? reply->ReadInt32() : reply.error();
  if (!seen.ok() || *seen != -5)
    return Fail("client", "getValue", seen.ok() ? std::error_code() : seen.error());
  Say("client", "getValue() returned %d: the service sees my write", *seen);
  return binder.Transact(ashmem::kContextManager, kQuit, ashmem::Parcel()).ok() ? 0 : 1;
}

}  // namespace

int main() {
  std::printf("== a memory service: getFileDescriptor, setValue, getValue ==\n");
  return demo::RunWithService("memory-service", Service, Client);
}
