// SPDX-License-Identifier: Apache-2.0
//
// A Binder transport: transactions through the kernel's Binder driver
// (/dev/binder, or a device in a binderfs mount), whose payload can carry
// file descriptors that the kernel itself installs in the receiver.  This is
// how Android hands ashmem regions between processes; it needs no libbinder,
// only <linux/android/binder.h>.
//
//   // service: the context manager, handle 0 for every client of the device
//   auto binder = ashmem::Binder::Open();
//   binder->BecomeContextManager();
//   auto txn = binder->Receive(std::chrono::seconds(10));
//   ashmem::Parcel reply;
//   reply.WriteFd(region.fd());            // the client gets its own fd
//   binder->Reply(reply);
//
//   // client
//   auto binder = ashmem::Binder::Open();
//   auto reply = binder->Transact(ashmem::kContextManager, kGetRegion, ashmem::Parcel());
//   ashmem::Result<ashmem::UniqueFd> fd = reply->ReadFd();
//
// Errors, on both sides: ENOENT when the device does not exist (the
// binder_linux module is not loaded, or binderfs is not mounted); EPIPE
// when the peer is dead or no context manager exists; EMSGSIZE when a
// transaction or reply does not fit in the receiver's buffer;
// Error::kProtocol for a payload that does not parse as what was asked
// for; the errno the kernel reports (BINDER_GET_EXTENDED_ERROR) for a
// transaction it refused, such as EBADF for an fd that is not open.
#ifndef LIBASHMEM_ASHMEM_BINDER_H_
#define LIBASHMEM_ASHMEM_BINDER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ashmem/result.h>
#include <ashmem/unique_fd.h>

namespace ashmem {

// The device Binder::Open uses by default.
inline constexpr const char* kBinderDevice = "/dev/binder";

// The size of the receive buffer Binder::Open maps by default, libbinder's
// (1 MiB less two 4 KiB pages).  A synchronous transaction may use all of
// the receiver's buffer that is free, a one-way transaction half of it.
inline constexpr std::size_t kBinderMapSize = (std::size_t{1} << 20) - 2 * std::size_t{4096};

// The handle of the device's context manager, in every process.
inline constexpr std::uint32_t kContextManager = 0;

// The payload of a transaction: 32-bit aligned data, with file descriptor
// objects (BINDER_TYPE_FD) at recorded offsets.
//
// A parcel that is written borrows its fds: they must stay open until the
// transaction that carries it has been sent (Binder::Transact, Reply,
// TransactOneWay return).  A parcel that was received owns its fds (the
// kernel installed them, close-on-exec, when the transaction was read);
// ReadFd hands each one over, and those not read are closed with the parcel.
//
// Reads consume the parcel from the front, in the order it was written, and
// fail with Error::kProtocol if what comes next is not what is asked for
// (too few bytes, or an fd object where data is expected and the reverse);
// a failed read consumes nothing.
//
// Thread-safety: none; a value.
class Parcel final {
 public:
  Parcel() = default;
  Parcel(Parcel&&) noexcept = default;
  Parcel& operator=(Parcel&&) noexcept = default;
  Parcel(const Parcel&) = delete;
  Parcel& operator=(const Parcel&) = delete;
  ~Parcel() = default;

  void WriteUint32(std::uint32_t value);
  void WriteInt32(std::int32_t value) { WriteUint32(static_cast<std::uint32_t>(value)); }
  void WriteUint64(std::uint64_t value);
  // A 32-bit length, the bytes, then zeros to the next multiple of 4.
  void WriteBytes(std::span<const std::byte> bytes);
  void WriteString(std::string_view s);
  // An fd object for fd (borrowed).  A negative fd is written as it is: the
  // kernel refuses the transaction with EBADF.
  void WriteFd(int fd);

  Result<std::uint32_t> ReadUint32();
  Result<std::int32_t> ReadInt32();
  Result<std::uint64_t> ReadUint64();
  // At most max bytes (Error::kProtocol if the length says more).
  Result<std::vector<std::byte>> ReadBytes(std::size_t max = SIZE_MAX);
  Result<std::string> ReadString(std::size_t max = SIZE_MAX);
  // The next fd, now owned by the caller.  Only for a received parcel.
  Result<UniqueFd> ReadFd();

  // The data and the offsets of the fd objects in it, as sent.
  std::span<const std::byte> data() const noexcept { return data_; }
  std::span<const std::uint64_t> object_offsets() const noexcept { return offsets_; }
  // Bytes left to read.
  std::size_t remaining() const noexcept { return data_.size() - read_pos_; }
  std::size_t fd_count() const noexcept { return offsets_.size(); }

 private:
  friend class Binder;
  // Takes the payload of a received transaction: data, the offsets of its
  // objects, and the fds the kernel installed for them.
  static Result<Parcel> FromReceived(std::span<const std::byte> data,
                                     std::span<const std::uint64_t> offsets);
  Result<std::span<const std::byte>> Take(std::size_t size);
  bool ObjectAt(std::size_t pos) const noexcept;

  std::vector<std::byte> data_;
  std::vector<std::uint64_t> offsets_;  // of the fd objects, ascending
  std::vector<UniqueFd> fds_;           // received: one per object, in order
  std::size_t read_pos_ = 0;
  std::size_t next_object_ = 0;
};

// One transaction a service received.
struct Transaction {
  std::uint32_t code = 0;
  bool one_way = false;  // nobody waits for a reply: do not Reply
  pid_t sender_pid = 0;  // 0 for a one-way transaction
  uid_t sender_euid = 0;
  Parcel data;
};

// One open of a Binder device, with its receive buffer mapped: a client, a
// service, or both.  Move-only; the device is closed (and every reference
// this process held through it dropped) on destruction.
//
// Thread-safety: not thread-safe, and bound to one thread: the kernel keeps
// a transaction's state per thread, so Receive and the Reply to it, and a
// Transact and its reply, must happen on the same thread.  Use one Binder
// per thread.
class Binder final {
 public:
  // Opens device (close-on-exec, non-blocking), checks that it speaks this
  // protocol version and maps map_size bytes of receive buffer (the kernel
  // caps it at 4 MiB).  ENOENT if the device is missing, EPROTO for another
  // protocol version, EINVAL for map_size 0, or the error of open or mmap.
  static Result<Binder> Open(std::string_view device = kBinderDevice,
                             std::size_t map_size = kBinderMapSize);

  Binder(Binder&& other) noexcept;
  Binder& operator=(Binder&& other) noexcept;
  Binder(const Binder&) = delete;
  Binder& operator=(const Binder&) = delete;
  ~Binder();

  // The device's name as given to Open.
  const std::string& device() const noexcept { return device_; }

  // Makes this process the device's context manager (handle 0 for every
  // client), whose node accepts fds, and enters the looper so that
  // Receive gets transactions.  A manager that just exited is released by
  // the kernel asynchronously, so an EBUSY is retried until wait has
  // passed.  EBUSY then (another process is the manager), EPERM if the
  // manager was set by another user.
  Result<void> BecomeContextManager(std::chrono::milliseconds wait = std::chrono::seconds(5));

  // Sends a transaction with code to handle and waits up to timeout for the
  // reply, which may carry fds (TF_ACCEPT_FDS).  EPIPE if the target is dead
  // or there is none; EMSGSIZE if data does not fit in the target's free
  // buffer; ETIMEDOUT if no reply came in time, after which the connection
  // is unusable (a late reply cannot be matched any more): every later call
  // fails with ENOTCONN.  A reply with a status (ReplyError) fails with that
  // errno.
  Result<Parcel> Transact(std::uint32_t handle, std::uint32_t code, const Parcel& data,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a one-way transaction: returns once the kernel has queued it.
  Result<void> TransactOneWay(std::uint32_t handle, std::uint32_t code, const Parcel& data);

  // Waits up to timeout for the next incoming transaction (ETIMEDOUT).  A
  // synchronous one must be answered with Reply or ReplyError before the
  // next Receive.  Death notifications that arrive meanwhile are recorded
  // (see IsDead).
  Result<Transaction> Receive(std::chrono::milliseconds timeout);

  // Answers the last synchronous transaction Receive returned; the reply's
  // fds are borrowed until it returns.  The kernel does not tell a replier
  // whether the sender still waits, nor whether the reply reached it: a
  // reply to a sender that died is dropped with its fds, and one the kernel
  // refuses fails the sender's Transact instead (EMSGSIZE if it does not fit
  // in the sender's buffer); Reply succeeds in both cases.  EINVAL if there
  // is no transaction to answer (none, a one-way one, or answered already).
  Result<void> Reply(const Parcel& reply);
  // Answers it with a status instead of data: the client's Transact fails
  // with ErrnoError(error).  error must be a positive errno value.
  Result<void> ReplyError(int error);

  // Asks to be told when the process behind handle dies.  On the context
  // manager's handle this also takes a reference to it, as a client must
  // before it can watch it.  The kernel does not answer whether the handle
  // exists: a handle that does not (no context manager yet, or one that is
  // already gone) is never reported dead, so watch a peer while it is known
  // to be alive (for example once it has answered a transaction).
  Result<void> WatchDeath(std::uint32_t handle);
  // Waits up to timeout for the death of a watched handle (ETIMEDOUT);
  // returns at once if it was already seen.  Incoming transactions that
  // arrive meanwhile are kept for Receive.
  Result<void> WaitForDeath(std::uint32_t handle, std::chrono::milliseconds timeout);
  // True if the death of handle was seen.
  bool IsDead(std::uint32_t handle) const noexcept;

  // The device fd, for poll() (readable when there is something to read).
  int fd() const noexcept { return fd_.get(); }

 private:
  Binder(UniqueFd fd, void* map, std::size_t map_size, std::string device) noexcept;
  void Reset() noexcept;
  // Writes commands, then reads returns until done() or deadline.
  enum class Want { kNothing, kTransactionComplete, kReply, kTransaction, kDeath };
  struct Outcome;
  Result<Outcome> Talk(std::span<const std::byte> commands, Want want, std::uint32_t handle,
                       std::chrono::steady_clock::time_point deadline);
  Result<void> HandleReturns(std::span<const std::byte> returns, Want want, Outcome* outcome);
  Result<Parcel> TakeBuffer(std::uintptr_t buffer, std::size_t data_size, std::uintptr_t offsets,
                            std::size_t offsets_size);
  void AppendFreeBuffer(std::uintptr_t buffer);
  std::error_code ExtendedError(std::error_code fallback);
  // Queues a BC_TRANSACTION or BC_REPLY of data; it borrows data's memory
  // until the next Talk has written it.
  void QueueTransaction(std::uint32_t command, std::uint32_t handle, std::uint32_t code,
                        std::uint32_t flags, const Parcel& data);
  // Sends it and waits for the kernel to take it (BR_TRANSACTION_COMPLETE).
  Result<void> SendUntilComplete(std::uint32_t command, std::uint32_t handle, std::uint32_t code,
                                 std::uint32_t flags, const Parcel& data);

  UniqueFd fd_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::string device_;
  bool broken_ = false;                      // a reply was abandoned: ENOTCONN from now on
  bool owes_reply_ = false;                  // Receive returned a transaction that awaits Reply
  std::vector<std::byte> pending_commands_;  // BC_FREE_BUFFER etc., sent with the next write
  std::deque<Transaction> queued_;           // received while waiting for something else
  std::vector<std::uint32_t> watched_;       // handles with a death notification
  std::vector<std::uint32_t> dead_;          // handles whose death was seen
};

// Binderfs: a Binder filesystem mounted at mount (e.g. /dev/binderfs) makes
// devices on request.  Creates the device name there (BINDER_CTL_ADD on
// mount/binder-control) and returns its path.  ENODEV if the kernel has no
// binderfs or nothing is mounted at mount, EEXIST if the name is taken,
// EINVAL for an empty name or one longer than BINDERFS_MAX_NAME.
Result<std::string> AddBinderfsDevice(std::string_view mount, std::string_view name);

}  // namespace ashmem

#endif  // LIBASHMEM_ASHMEM_BINDER_H_
