// SPDX-License-Identifier: Apache-2.0
//
// RegionServer and RegionClient: a service publishes named regions on a
// Unix socket path, and a client asks for one by name and receives its fd.
// This is the role Binder plays on Android, cut down to one question.
//
//   // service
//   auto server = ashmem::RegionServer::Listen("/run/frames.sock");
//   server->Publish("frames", region, ashmem::Access::kReadOnly);
//   server->ServeClient(std::chrono::seconds(30));
//
//   // client
//   auto client = ashmem::RegionClient::Connect("/run/frames.sock", std::chrono::seconds(5));
//   auto frames = client->Get("frames");          // read-only Region
//
// The same over Binder, where the server is the device's context manager:
//
//   auto server = ashmem::RegionServer::ListenBinder();        // /dev/binder
//   auto client = ashmem::RegionClient::ConnectBinder();
//
// The protocols (SOCK_SEQPACKET, one request and one reply per message; a
// Binder transaction and its reply) are described in
// Documentation/libashmem.rst.  The read-only rules are the same on both.
#ifndef LIBASHMEM_ASHMEM_REGION_SERVER_H_
#define LIBASHMEM_ASHMEM_REGION_SERVER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <ashmem/binder.h>
#include <ashmem/region.h>
#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem {

// What a client may do with a published region.
enum class Access {
  kReadOnly,   // served so that no receiver can map writable, write, seal or resize
  kReadWrite,  // the region is served as it is
};

// How long RegionClient::Get waits for the server by default.
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{10000};

// The longest name a region can be published under, in bytes.
inline constexpr std::size_t kMaxRegionNameLength = 255;

// Serves published regions to clients, one client at a time, on the thread
// that calls ServeClient.  Move-only; not thread-safe.
class RegionServer final {
 public:
  // Listens on path.  The socket is created under a temporary name in the
  // same directory and renamed into place once it accepts connections, so
  // a client that sees the path can connect; every path that fits in
  // sun_path (107 bytes) works.  A stale socket at path (connect says
  // ECONNREFUSED: nobody listens) is replaced.  EADDRINUSE if anything
  // listens there (a RegionServer, or a socket of another type), EEXIST if
  // path is something other than a socket, ENAMETOOLONG if path does not
  // fit in sockaddr_un, EINVAL if it names no file (empty, or ends in '/'),
  // or the error of the connect that probed it.  Probing a live server
  // leaves it a connection that hangs up at once; ServeClient skips those.
  static Result<RegionServer> Listen(std::string path);

  // Serves over Binder instead: opens device and becomes its context
  // manager (see Binder::Open and Binder::BecomeContextManager, whose errors
  // it returns).  path() is then the device.
  static Result<RegionServer> ListenBinder(std::string_view device = kBinderDevice);

  RegionServer(RegionServer&& other) noexcept;
  RegionServer& operator=(RegionServer&& other) noexcept;
  RegionServer(const RegionServer&) = delete;
  RegionServer& operator=(const RegionServer&) = delete;
  // Stops listening and removes the socket path, if it is still this
  // server's socket (not one a later server put there).
  ~RegionServer();

  const std::string& path() const noexcept { return path_; }

  // Publishes region under name, replacing an earlier one of that name.
  // The server keeps its own fds for the region; the caller keeps region.
  // kReadOnly removes PROT_WRITE from the region for every holder
  // (Region::RestrictProt): mappings that exist keep writing, so map the
  // region writable before publishing it read-only (or make it with
  // Region::CreateMappedReadOnly).  On memfd every read-only answer is an
  // O_RDONLY fd (a reopen through /proc/self/fd), so a receiver cannot seal
  // or write it; a kReadWrite region can then also be asked for read-only.
  // On ashmem the mask belongs to the area: a read-only request of a
  // kReadWrite region is refused (ENOTSUP to the client), as it is on
  // memfd without /proc (no reopen; a kReadOnly memfd region is then served
  // sealed with F_SEAL_FUTURE_WRITE|F_SEAL_SEAL, which also stops writes
  // and seals).  EINVAL for an empty name or one longer than
  // kMaxRegionNameLength.
  Result<void> Publish(std::string_view name, const Region& region, Access access);

  // Waits for one client, answers its requests until it hangs up, and
  // returns; the whole call takes at most about timeout.  Over Binder, which
  // has no connections, it answers one transaction (one Get) and returns.  Waiting for the
  // client, for each request and for room to send each reply all count
  // against it, so one client (served alone) cannot hold the server longer,
  // whether it is silent, floods requests or never reads its replies.
  // A connection that hangs up before its first request (such as Listen's
  // liveness probe) is not a client: the call waits for the next one.
  // ETIMEDOUT when the time runs out (the connection is then closed);
  // Error::kProtocol for a malformed request (over Binder, the client is
  // answered EBADMSG first).  Problems the client caused
  // (an unknown name, a write request for a read-only region) are answered
  // to the client and are not errors here.
  Result<void> ServeClient(std::chrono::milliseconds timeout);

 private:
  struct Entry {
    UniqueFd fd;            // what is served for the published access
    UniqueFd read_only_fd;  // memfd: an O_RDONLY fd, for read-only requests
    Access access;
  };
  RegionServer(UniqueFd listener, std::string path, UniqueFd dir, std::string base,
               std::uint64_t socket_dev, std::uint64_t socket_ino) noexcept;
  Result<bool> ServeRequest(int connection, std::chrono::steady_clock::time_point deadline);
  Result<void> ServeTransaction(std::chrono::milliseconds timeout);
  // What to answer a request for name with access: an errno, or the fd
  // (still owned by regions_) and the region's size.
  struct Answer {
    int error = 0;
    int fd = -1;
    std::uint64_t size = 0;
  };
  Answer Lookup(std::string_view name, bool read_write) const;

  UniqueFd listener_;
  std::string path_;
  UniqueFd dir_;                  // the directory of path_ (O_PATH)
  std::string base_;              // the socket's name in it
  std::uint64_t socket_dev_ = 0;  // the socket file, to tell it from a successor's
  std::uint64_t socket_ino_ = 0;
  std::map<std::string, Entry, std::less<>> regions_;
  std::unique_ptr<Binder> binder_;  // set when serving over Binder
};

// A connection to a RegionServer.  Move-only; not thread-safe.
class RegionClient final {
 public:
  // Connects to the server at path, waiting up to wait for the path to
  // appear (it watches the directory with inotify rather than polling).
  // With a wait, ETIMEDOUT if no server appeared in time; without one, the
  // connect's own ENOENT.  ECONNREFUSED if a socket is there but nobody
  // listens on it.
  static Result<RegionClient> Connect(
      std::string_view path, std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Asks over Binder instead: opens device (errors of Binder::Open).  Get
  // then fails with EPIPE while no server is the device's context manager
  // (Binder cannot wait for one), and Error::kProtocol or the errno the
  // server answered as over a socket.
  static Result<RegionClient> ConnectBinder(std::string_view device = kBinderDevice);

  // Asks for the region published as name.  Returns it adopted (see
  // Region::Adopt), owned by the caller; with kReadOnly it never grants
  // PROT_WRITE (a reply that does is Error::kProtocol).  ENOENT if nothing
  // is published under that name; EACCES if kReadWrite is asked for a
  // read-only region; ENOTSUP if kReadOnly is asked for an ashmem region
  // published kReadWrite;
  // Error::kProtocol if the reply is malformed; EPIPE or ECONNRESET if the
  // server went away.  The request and its reply must both be done within
  // timeout: ETIMEDOUT otherwise, and the connection is then closed (a late
  // reply cannot be matched to a request any more), so that every later Get
  // fails with ENOTCONN; connect again.
  Result<Region> Get(std::string_view name, Access access = Access::kReadOnly,
                     std::chrono::milliseconds timeout = kDefaultRequestTimeout);

 private:
  explicit RegionClient(UniqueFd socket) noexcept : socket_(std::move(socket)) {}
  explicit RegionClient(std::unique_ptr<Binder> binder) noexcept : binder_(std::move(binder)) {}
  Result<Region> GetOverBinder(std::string_view name, Access access,
                               std::chrono::milliseconds timeout);

  UniqueFd socket_;
  std::unique_ptr<Binder> binder_;  // set when asking over Binder
};

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_REGION_SERVER_H_
