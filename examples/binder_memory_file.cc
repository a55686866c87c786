// SPDX-License-Identifier: Apache-2.0
//
// ashmem-binder-memory-file: Android's MemoryFile flow.  The client creates
// "TestAshmemFile" (1024 bytes), writes a sentence into it and passes the
// fd with the data's length to a service in one Binder transaction; the
// service reads the bytes back through the fd it was given and replies with
// what it read.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <ashmem/binder.h>
#include <ashmem/fd_passing.h>
#include <ashmem/memory_file.h>

#include "binder_example.h"

namespace {

using demo::Fail;
using demo::Say;

constexpr std::uint32_t kReadFile = 1;
constexpr const char* kSentence = "Binder carried this fd; the bytes never left shared memory.";

int Service(ashmem::Binder& binder) {
  ashmem::Result<ashmem::Transaction> txn = binder.Receive(std::chrono::seconds(30));
  if (!txn.ok())
    return Fail("service", "receiving", txn.error());
  ashmem::Result<ashmem::UniqueFd> fd = txn->data.ReadFd();
  ashmem::Result<std::uint32_t> length = txn->data.ReadUint32();
  if (txn->code != kReadFile || !fd.ok() || !length.ok() || *length > 1024)
    return Fail("service", "reading the request",
                std::error_code(EBADMSG, std::generic_category()));
  Say("service", "got fd %d (the kernel installed it here) and a length of %u bytes", fd->get(),
      *length);
  // Read it through the fd, as Android's service would: the area's
  // content from offset 0.
  std::string bytes(*length, '\0');
  if (lseek(fd->get(), 0, SEEK_SET) != 0 ||
      read(fd->get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    return Fail("service", "reading through the fd",
                std::error_code(errno, std::generic_category()));
  }
  Say("service", "read back: \"%s\"", bytes.c_str());
  ashmem::Parcel reply;
  reply.WriteString(bytes);
  if (ashmem::Result<void> ret = binder.Reply(reply); !ret.ok())
    return Fail("service", "replying", ret.error());
  return 0;
}

int Client(ashmem::Binder& binder) {
  ashmem::Result<ashmem::MemoryFile> file = ashmem::MemoryFile::Create("TestAshmemFile", 1024);
  if (!file.ok())
    return Fail("client", "creating TestAshmemFile", file.error());
  const std::string sentence = kSentence;
  if (ashmem::Result<std::size_t> n = file->WriteBytes(ashmem::AsBytes(sentence), 0); !n.ok())
    return Fail("client", "writing", n.error());
  Say("client", "created \"%s\" (%zu bytes) and wrote %zu bytes into it",
      file->region().name().c_str(), file->size(), sentence.size());
  ashmem::Parcel data;
  data.WriteFd(file->region().fd());
  data.WriteUint32(static_cast<std::uint32_t>(sentence.size()));
  ashmem::Result<ashmem::Parcel> reply = binder.Transact(ashmem::kContextManager, kReadFile, data);
  if (!reply.ok())
    return Fail("client", "the transaction", reply.error());
  ashmem::Result<std::string> echoed = reply->ReadString();
  if (!echoed.ok())
    return Fail("client", "reading the reply", echoed.error());
  Say("client", "the service read %s",
      *echoed == sentence ? "exactly what was written" : "SOMETHING ELSE");
  return *echoed == sentence ? 0 : 1;
}

}  // namespace

int main() {
  std::printf("== MemoryFile over Binder: an fd and its length in one transaction ==\n");
  return demo::RunWithService("memory-file", Service, Client);
}
