// SPDX-License-Identifier: Apache-2.0
//
// The region server protocol, over SOCK_SEQPACKET (one message each way):
//
//   request:  magic "ASRQ", version, access (0 read-only, 1 read-write),
//             name (NUL-terminated, at most 255 bytes)
//   reply:    magic "ASRP", version, error (0 or an errno value), size;
//             with error 0, the region's fd in SCM_RIGHTS
//
// A client may ask any number of times on one connection; the server ends
// the session when the client hangs up.
//
// Over Binder the server is the context manager and a request is one
// transaction to handle 0:
//
//   code kGetRegionCode; data: access (u32: 0 read-only, 1 read-write),
//             name (Parcel string, 1 to 255 bytes)
//   reply:    size (u64), the region's fd object; or a status (-errno)
#include <ashmem/region_server.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>

#include <ashmem/fd_passing.h>

#include "backend.h"
#include "wait.h"

namespace ashmem {
namespace {

using internal::DeadlineAfter;
using internal::RetryOnEintr;
using internal::WaitFor;
using internal::WaitReadable;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kRequestMagic = 0x51525341;  // "ASRQ"
constexpr std::uint32_t kReplyMagic = 0x50525341;    // "ASRP"
constexpr std::uint16_t kProtocolVersion = 1;
constexpr std::uint32_t kGetRegionCode = 0x41524731;  // "1GRA": get region, version 1

struct Request {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t access;
  char name[kMaxRegionNameLength + 1];
};

struct Reply {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t reserved;
  std::int32_t error;
  std::uint32_t reserved2;
  std::uint64_t size;
};

Result<sockaddr_un> MakeAddress(std::string_view path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty())
    return ErrnoError(EINVAL);
  if (path.size() >= sizeof(addr.sun_path))
    return ErrnoError(ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

Result<UniqueFd> NewSocket() {
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return ErrnoError(errno);
  return fd;
}

// Connects fd to addr; returns errno or 0.
int ConnectTo(int fd, const sockaddr_un& addr) {
  int ret = RetryOnEintr(
      [&] { return connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)); });
  return ret < 0 ? errno : 0;
}

// Sends one message on a non-blocking socket, waiting for room until
// deadline (ETIMEDOUT then).
Result<std::size_t> SendBefore(int socket, std::span<const std::byte> payload,
                               std::span<const int> fds, Clock::time_point deadline) {
  for (;;) {
    Result<std::size_t> sent = SendFds(socket, payload, fds);
    if (sent.ok() || sent.error() != std::errc::resource_unavailable_try_again)
      return sent;
    Result<bool> ready = WaitFor(socket, POLLOUT, deadline);
    if (!ready.ok())
      return ready.error();
    if (!*ready)
      return ErrnoError(ETIMEDOUT);
  }
}

}  // namespace

// ---- RegionServer ---------------------------------------------------------

RegionServer::RegionServer(UniqueFd listener, std::string path, UniqueFd dir, std::string base,
                           std::uint64_t socket_dev, std::uint64_t socket_ino) noexcept
    : listener_(std::move(listener)),
      path_(std::move(path)),
      dir_(std::move(dir)),
      base_(std::move(base)),
      socket_dev_(socket_dev),
      socket_ino_(socket_ino) {}

RegionServer::RegionServer(RegionServer&& other) noexcept
    : listener_(std::move(other.listener_)),
      path_(std::exchange(other.path_, {})),
      dir_(std::move(other.dir_)),
      base_(std::exchange(other.base_, {})),
      socket_dev_(std::exchange(other.socket_dev_, 0)),
      socket_ino_(std::exchange(other.socket_ino_, 0)),
      regions_(std::move(other.regions_)),
      binder_(std::move(other.binder_)) {}

RegionServer& RegionServer::operator=(RegionServer&& other) noexcept {
  if (this != &other) {
    RegionServer old(std::move(*this));
    listener_ = std::move(other.listener_);
    path_ = std::exchange(other.path_, {});
    dir_ = std::move(other.dir_);
    base_ = std::exchange(other.base_, {});
    socket_dev_ = std::exchange(other.socket_dev_, 0);
    socket_ino_ = std::exchange(other.socket_ino_, 0);
    regions_ = std::move(other.regions_);
    binder_ = std::move(other.binder_);
  }
  return *this;
}

RegionServer::~RegionServer() {
  if (!listener_.valid() || !dir_.valid())
    return;
  internal::ErrnoRestorer keep_errno;
  // Remove the path only while it is still this server's socket: another
  // server may have taken it over since (after someone removed ours).
  // Between the check and the unlink nobody else can bind there, because
  // the name is taken; only a rename onto it could slip in.
  struct stat st = {};
  if (fstatat(dir_.get(), base_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      static_cast<std::uint64_t>(st.st_dev) == socket_dev_ &&
      static_cast<std::uint64_t>(st.st_ino) == socket_ino_) {
    unlinkat(dir_.get(), base_.c_str(), 0);
  }
}

Result<RegionServer> RegionServer::Listen(std::string path) {
  Result<sockaddr_un> addr = MakeAddress(path);
  if (!addr.ok())
    return addr.error();
  const std::size_t slash = path.find_last_of('/');
  const std::string dir_path = slash == std::string::npos ? "."
                               : slash == 0               ? "/"
                                                          : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..")
    return ErrnoError(EINVAL);
  UniqueFd dir(
      RetryOnEintr([&] { return open(dir_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC); }));
  if (!dir.valid())
    return ErrnoError(errno);

  struct stat st = {};
  if (fstatat(dir.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return ErrnoError(EEXIST);
    // Is anybody listening?  The probe's connection, if it gets one, is
    // closed at once; ServeClient skips such a connection, so the live
    // server loses nothing to it.
    Result<UniqueFd> probe = NewSocket();
    if (!probe.ok())
      return probe.error();
    const int err = ConnectTo(probe->get(), *addr);
    if (err == 0 || err == EPROTOTYPE || err == EAGAIN)
      return ErrnoError(EADDRINUSE);  // alive: ours, another type, or busy
    if (err != ECONNREFUSED)
      return ErrnoError(err);
    // ECONNREFUSED: a socket file with nobody behind it, replaced below.
  }

  // Bind under a temporary name in the same directory, then rename into
  // place.  The name is short, and when the directory's own path leaves no
  // room for it in sun_path, it is reached through /proc/self/fd instead,
  // so that every path that fits in sun_path works.
  static std::atomic<unsigned> sequence{0};
  const std::string temp =
      ".ashmem-" + std::to_string(getpid()) + "-" + std::to_string(sequence.fetch_add(1)) + ".tmp";
  Result<sockaddr_un> temp_addr = MakeAddress(path.substr(0, slash + 1) + temp);
  if (!temp_addr.ok()) {
    temp_addr = MakeAddress("/proc/self/fd/" + std::to_string(dir.get()) + "/" + temp);
    if (!temp_addr.ok())
      return temp_addr.error();
  }
  Result<UniqueFd> listener = NewSocket();
  if (!listener.ok())
    return listener.error();
  unlinkat(dir.get(), temp.c_str(), 0);
  if (bind(listener->get(), reinterpret_cast<const sockaddr*>(&*temp_addr), sizeof(*temp_addr)) <
      0) {
    return ErrnoError(errno);
  }
  // Publish the path only once connections are accepted, so that a client
  // that sees it never gets ECONNREFUSED.
  if (listen(listener->get(), 8) < 0 ||
      renameat(dir.get(), temp.c_str(), dir.get(), base.c_str()) < 0 ||
      fstatat(dir.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    int saved = errno;
    unlinkat(dir.get(), temp.c_str(), 0);
    return ErrnoError(saved);
  }
  return RegionServer(std::move(listener).value(), std::move(path), std::move(dir), std::move(base),
                      static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino));
}

Result<RegionServer> RegionServer::ListenBinder(std::string_view device) {
  Result<Binder> binder = Binder::Open(device);
  if (!binder.ok())
    return binder.error();
  if (Result<void> ret = binder->BecomeContextManager(); !ret.ok())
    return ret.error();
  RegionServer server(UniqueFd(), std::string(device), UniqueFd(), std::string(), 0, 0);
  server.binder_ = std::make_unique<Binder>(std::move(binder).value());
  return server;
}

Result<void> RegionServer::Publish(std::string_view name, const Region& region, Access access) {
  if (name.empty() || name.size() > kMaxRegionNameLength)
    return ErrnoError(EINVAL);
  if (!region.valid())
    return ErrnoError(EBADF);
  Result<UniqueFd> fd = region.DupFd();
  if (!fd.ok())
    return fd.error();
  // On memfd every read-only answer is an O_RDONLY fd, through which a
  // receiver can neither write nor seal; ashmem has no such fd.  Without
  // /proc there is none either: a kReadOnly region is then still sealed
  // against writes and further seals (RestrictProt below), and read-only
  // requests of a kReadWrite one are refused.
  UniqueFd read_only_fd;
  if (region.backend() == Backend::kMemfd) {
    Result<UniqueFd> ro = internal::ReadOnlyFd(fd->get(), Backend::kMemfd);
    if (ro.ok())
      read_only_fd = std::move(ro).value();
  }
  if (access == Access::kReadOnly) {
    Result<int> prot = region.Prot();
    if (!prot.ok())
      return prot.error();
    if ((*prot & PROT_WRITE) != 0) {
      Result<Region> view = Region::Adopt(std::move(fd).value());
      if (!view.ok())
        return view.error();
      if (Result<void> ret = view->RestrictProt(*prot & ~PROT_WRITE); !ret.ok()) {
        return ret.error();
      }
      fd = std::move(view).value().Release();
    }
  }
  Entry entry{std::move(fd).value(), UniqueFd(), access};
  if (access == Access::kReadOnly && read_only_fd.valid()) {
    entry.fd = std::move(read_only_fd);  // every answer is read-only
  } else {
    entry.read_only_fd = std::move(read_only_fd);
  }
  regions_.insert_or_assign(std::string(name), std::move(entry));
  return {};
}

Result<void> RegionServer::ServeClient(std::chrono::milliseconds timeout) {
  // One deadline for the whole call: waiting for the client, its requests
  // and room for the replies all count, so no client can hold the server
  // (which serves one at a time) longer than timeout.
  if (binder_ != nullptr)
    return ServeTransaction(timeout);
  const Clock::time_point deadline = DeadlineAfter(timeout);
  for (;;) {
    Result<bool> ready = WaitReadable(listener_.get(), deadline);
    if (!ready.ok())
      return ready.error();
    if (!*ready)
      return ErrnoError(ETIMEDOUT);
    // Non-blocking, so that a client that does not read its replies makes
    // the send wait in poll(), bounded by the deadline, not in sendmsg().
    UniqueFd connection(RetryOnEintr(
        [&] { return accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK); }));
    if (!connection.valid()) {
      if (errno == EAGAIN || errno == ECONNABORTED)
        continue;
      return ErrnoError(errno);
    }
    std::size_t answered = 0;
    for (;;) {
      ready = WaitReadable(connection.get(), deadline);
      if (!ready.ok())
        return ready.error();
      if (!*ready)
        return ErrnoError(ETIMEDOUT);
      Result<bool> more = ServeRequest(connection.get(), deadline);
      if (!more.ok())
        return more.error();
      if (!*more)
        break;
      ++answered;
    }
    // A connection that hung up before asking anything was no client (a
    // liveness probe, see Listen): wait for the next one.
    if (answered != 0)
      return {};
  }
}

// Answers one request; false when the client has hung up.
Result<bool> RegionServer::ServeRequest(int connection,
                                        std::chrono::steady_clock::time_point deadline) {
  Request request = {};
  Result<ReceivedMessage> message =
      ReceiveFds(connection, {reinterpret_cast<std::byte*>(&request), sizeof(request)}, 0);
  if (!message.ok()) {
    if (message.error() == std::errc::resource_unavailable_try_again)
      return true;  // woken for nothing: wait again
    if (message.error() == std::errc::connection_reset)
      return false;
    if (message.error() == std::errc::message_size)
      return Error::kProtocol;
    return message.error();
  }
  if (message->size == 0)
    return false;
  if (message->size != sizeof(request) || request.magic != kRequestMagic ||
      request.version != kProtocolVersion || request.access > 1 ||
      std::memchr(request.name, '\0', sizeof(request.name)) == nullptr) {
    return Error::kProtocol;
  }

  Reply reply = {kReplyMagic, kProtocolVersion, 0, 0, 0, 0};
  const Answer answer = Lookup(request.name, request.access == 1);
  reply.error = answer.error;
  reply.size = answer.size;
  const int fd = answer.error == 0 ? answer.fd : -1;
  const std::array<int, 1> fds = {fd};
  std::span<const int> send_fds(fds.data(), fd >= 0 ? 1 : 0);
  Result<std::size_t> sent = SendBefore(
      connection, {reinterpret_cast<const std::byte*>(&reply), sizeof(reply)}, send_fds, deadline);
  if (!sent.ok()) {
    if (sent.error() == std::errc::broken_pipe || sent.error() == std::errc::connection_reset) {
      return false;
    }
    return sent.error();
  }
  return true;
}

RegionServer::Answer RegionServer::Lookup(std::string_view name, bool read_write) const {
  Answer answer;
  auto it = regions_.find(name);
  if (it == regions_.end()) {
    answer.error = ENOENT;
    return answer;
  }
  const Entry& entry = it->second;
  if (read_write && entry.access == Access::kReadOnly) {
    answer.error = EACCES;
    return answer;
  }
  // A read-only request of a read-write region gets the read-only fd; on
  // ashmem there is none (the mask is the area's), and sending the
  // writable fd would hand out more than was asked for.
  const bool narrow = !read_write && entry.access == Access::kReadWrite;
  const int candidate = narrow ? entry.read_only_fd.get() : entry.fd.get();
  if (narrow && candidate < 0) {
    answer.error = ENOTSUP;
    return answer;
  }
  Result<Backend> backend = internal::Identify(candidate);
  Result<std::size_t> size =
      backend.ok() ? internal::GetSize(candidate, *backend) : Result<std::size_t>(backend.error());
  if (!size.ok()) {
    answer.error = internal::ToErrno(size.error());
    return answer;
  }
  answer.fd = candidate;
  answer.size = *size;
  return answer;
}

Result<void> RegionServer::ServeTransaction(std::chrono::milliseconds timeout) {
  Result<Transaction> txn = binder_->Receive(timeout);
  if (!txn.ok())
    return txn.error();
  if (txn->one_way)
    return Error::kProtocol;  // nobody to answer
  const auto refuse = [&](int error) -> Result<void> {
    if (Result<void> ret = binder_->ReplyError(error); !ret.ok())
      return ret.error();
    return Error::kProtocol;
  };
  if (txn->code != kGetRegionCode)
    return refuse(EBADMSG);
  Result<std::uint32_t> access = txn->data.ReadUint32();
  Result<std::string> name = txn->data.ReadString(kMaxRegionNameLength);
  if (!access.ok() || *access > 1 || !name.ok() || name->empty() ||
      name->find('\0') != std::string::npos || txn->data.remaining() != 0 ||
      txn->data.fd_count() != 0) {
    return refuse(EBADMSG);
  }
  const Answer answer = Lookup(*name, *access == 1);
  // Problems of the client's own making are answered, not errors here.
  if (answer.error != 0)
    return binder_->ReplyError(answer.error);
  Parcel reply;
  reply.WriteUint64(answer.size);
  reply.WriteFd(answer.fd);
  return binder_->Reply(reply);
}

// ---- RegionClient ---------------------------------------------------------

Result<RegionClient> RegionClient::ConnectBinder(std::string_view device) {
  Result<Binder> binder = Binder::Open(device);
  if (!binder.ok())
    return binder.error();
  return RegionClient(std::make_unique<Binder>(std::move(binder).value()));
}

namespace {
// A region a server sent for a request with access: adopted, and checked
// not to grant more than was asked for.
Result<Region> AdoptAnswer(UniqueFd fd, Access access) {
  Result<Region> region = Region::Adopt(std::move(fd));
  if (!region.ok())
    return region.error();
  if (access == Access::kReadOnly) {
    // A server that answers a read-only request with a writable region
    // breaks the protocol; do not hand such a region on.
    Result<int> prot = region->Prot();
    if (!prot.ok())
      return prot.error();
    if ((*prot & PROT_WRITE) != 0)
      return Error::kProtocol;
  }
  return region;
}
}  // namespace

Result<Region> RegionClient::GetOverBinder(std::string_view name, Access access,
                                           std::chrono::milliseconds timeout) {
  Parcel request;
  request.WriteUint32(access == Access::kReadWrite ? 1 : 0);
  request.WriteString(name);
  Result<Parcel> reply = binder_->Transact(kContextManager, kGetRegionCode, request, timeout);
  if (!reply.ok())
    return reply.error();
  Result<std::uint64_t> size = reply->ReadUint64();
  Result<UniqueFd> fd = size.ok() ? reply->ReadFd() : Result<UniqueFd>(size.error());
  if (!fd.ok() || reply->remaining() != 0)
    return Error::kProtocol;
  Result<Region> region = AdoptAnswer(std::move(fd).value(), access);
  if (region.ok() && region->size() != *size)
    return Error::kProtocol;
  return region;
}

Result<RegionClient> RegionClient::Connect(std::string_view path, std::chrono::milliseconds wait) {
  Result<sockaddr_un> addr = MakeAddress(path);
  if (!addr.ok())
    return addr.error();
  const Clock::time_point deadline = DeadlineAfter(wait);
  UniqueFd watch;
  bool poll_instead = false;  // kernels without inotify (CONFIG_INOTIFY_USER=n)
  for (;;) {
    Result<UniqueFd> fd = NewSocket();
    if (!fd.ok())
      return fd.error();
    int err = ConnectTo(fd->get(), *addr);
    if (err == 0)
      return RegionClient(std::move(fd).value());
    if (err != ENOENT && err != ECONNREFUSED)
      return ErrnoError(err);
    if (Clock::now() >= deadline) {
      return ErrnoError(err == ENOENT && wait.count() > 0 ? ETIMEDOUT : err);
    }
    if (poll_instead) {
      // No way to be told: look again after a short, bounded pause.
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      const int ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 10));
      RetryOnEintr([&] { return poll(nullptr, 0, ms); });
      continue;
    }
    if (!watch.valid()) {
      // Watch the directory, then try again at once: a server that appeared
      // between the first attempt and the watch is not missed.
      watch.reset(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
      if (!watch.valid()) {
        if (errno != ENOSYS)
          return ErrnoError(errno);
        poll_instead = true;
        continue;
      }
      const std::size_t slash = path.find_last_of('/');
      const std::string dir = slash == std::string_view::npos ? "."
                              : slash == 0                    ? "/"
                                                              : std::string(path.substr(0, slash));
      if (inotify_add_watch(watch.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
        return ErrnoError(errno);
      }
      continue;
    }
    Result<bool> ready = WaitReadable(watch.get(), deadline);
    if (!ready.ok())
      return ready.error();
    alignas(inotify_event) char events[4096];
    while (read(watch.get(), events, sizeof(events)) > 0) {
    }
  }
}

Result<Region> RegionClient::Get(std::string_view name, Access access,
                                 std::chrono::milliseconds timeout) {
  if (name.empty() || name.size() > kMaxRegionNameLength)
    return ErrnoError(EINVAL);
  if (binder_ != nullptr)
    return GetOverBinder(name, access, timeout);
  if (!socket_.valid())
    return ErrnoError(ENOTCONN);
  const Clock::time_point deadline = DeadlineAfter(timeout);
  Request request = {};
  request.magic = kRequestMagic;
  request.version = kProtocolVersion;
  request.access = access == Access::kReadWrite ? 1 : 0;
  std::memcpy(request.name, name.data(), name.size());
  for (;;) {
    ssize_t sent = RetryOnEintr([&] {
      return send(socket_.get(), &request, sizeof(request), MSG_NOSIGNAL | MSG_DONTWAIT);
    });
    if (sent >= 0)
      break;
    if (errno != EAGAIN)
      return ErrnoError(errno);
    Result<bool> ready = WaitFor(socket_.get(), POLLOUT, deadline);
    if (!ready.ok())
      return ready.error();
    if (!*ready) {
      socket_.reset();
      return ErrnoError(ETIMEDOUT);
    }
  }
  Result<bool> answered = WaitReadable(socket_.get(), deadline);
  if (!answered.ok())
    return answered.error();
  if (!*answered) {
    // A reply may still come; it must not be read as the answer to a later
    // request, so the connection ends here.
    socket_.reset();
    return ErrnoError(ETIMEDOUT);
  }

  Reply reply = {};
  Result<ReceivedMessage> message =
      ReceiveFds(socket_.get(), {reinterpret_cast<std::byte*>(&reply), sizeof(reply)}, 1);
  if (!message.ok()) {
    return message.error() == std::errc::message_size ? make_error_code(Error::kProtocol)
                                                      : message.error();
  }
  if (message->size == 0)
    return ErrnoError(ECONNRESET);
  if (message->size != sizeof(reply) || reply.magic != kReplyMagic ||
      reply.version != kProtocolVersion) {
    return Error::kProtocol;
  }
  if (reply.error != 0)
    return ErrnoError(reply.error);
  if (message->fds.size() != 1)
    return Error::kProtocol;
  return AdoptAnswer(std::move(message->fds[0]), access);
}

}  // namespace ashmem
