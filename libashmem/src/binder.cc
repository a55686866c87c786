// SPDX-License-Identifier: Apache-2.0
//
// The Binder transport over the raw driver interface.  One ioctl,
// BINDER_WRITE_READ, both writes commands (BC_*) and reads returns (BR_*);
// everything else here is bookkeeping around it.
#include <ashmem/binder.h>

#include <fcntl.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "backend.h"
#include "wait.h"

namespace ashmem {

using internal::RetryOnEintr;
using Clock = std::chrono::steady_clock;
using internal::DeadlineAfter;
using internal::WaitReadable;

namespace {

constexpr std::size_t kAlign = sizeof(std::uint32_t);
constexpr std::size_t kFdObjectSize = sizeof(binder_fd_object);

std::size_t Padded(std::size_t n) {
  return (n + kAlign - 1) & ~(kAlign - 1);
}

template <typename T>
void Append(std::vector<std::byte>* out, const T& value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  out->insert(out->end(), p, p + sizeof(T));
}

void AppendCommand(std::vector<std::byte>* out, std::uint32_t command) {
  Append(out, command);
}

template <typename T>
void AppendCommand(std::vector<std::byte>* out, std::uint32_t command, const T& arg) {
  Append(out, command);
  Append(out, arg);
}

}  // namespace

// ---- Parcel -----------------------------------------------------------------

void Parcel::WriteUint32(std::uint32_t value) {
  Append(&data_, value);
}

void Parcel::WriteUint64(std::uint64_t value) {
  Append(&data_, value);
}

void Parcel::WriteBytes(std::span<const std::byte> bytes) {
  WriteUint32(static_cast<std::uint32_t>(bytes.size()));
  data_.insert(data_.end(), bytes.begin(), bytes.end());
  data_.resize(Padded(data_.size()));
}

void Parcel::WriteString(std::string_view s) {
  WriteBytes({reinterpret_cast<const std::byte*>(s.data()), s.size()});
}

void Parcel::WriteFd(int fd) {
  binder_fd_object object = {};
  object.hdr.type = BINDER_TYPE_FD;
  object.fd = static_cast<__u32>(fd);
  offsets_.push_back(data_.size());
  Append(&data_, object);
}

bool Parcel::ObjectAt(std::size_t pos) const noexcept {
  return next_object_ < offsets_.size() && offsets_[next_object_] < pos + kAlign &&
         offsets_[next_object_] + kFdObjectSize > pos;
}

Result<std::span<const std::byte>> Parcel::Take(std::size_t size) {
  if (size > remaining())
    return Error::kProtocol;
  // Data must not overlap the next fd object.
  if (next_object_ < offsets_.size() && offsets_[next_object_] < read_pos_ + size)
    return Error::kProtocol;
  std::span<const std::byte> bytes(data_.data() + read_pos_, size);
  read_pos_ += Padded(size);
  read_pos_ = std::min(read_pos_, data_.size());
  return bytes;
}

Result<std::uint32_t> Parcel::ReadUint32() {
  Result<std::span<const std::byte>> bytes = Take(sizeof(std::uint32_t));
  if (!bytes.ok())
    return bytes.error();
  std::uint32_t value;
  std::memcpy(&value, bytes->data(), sizeof(value));
  return value;
}

Result<std::int32_t> Parcel::ReadInt32() {
  Result<std::uint32_t> value = ReadUint32();
  if (!value.ok())
    return value.error();
  return static_cast<std::int32_t>(*value);
}

Result<std::uint64_t> Parcel::ReadUint64() {
  Result<std::span<const std::byte>> bytes = Take(sizeof(std::uint64_t));
  if (!bytes.ok())
    return bytes.error();
  std::uint64_t value;
  std::memcpy(&value, bytes->data(), sizeof(value));
  return value;
}

Result<std::vector<std::byte>> Parcel::ReadBytes(std::size_t max) {
  const std::size_t start = read_pos_;
  Result<std::uint32_t> length = ReadUint32();
  if (!length.ok())
    return length.error();
  Result<std::span<const std::byte>> bytes =
      *length > max ? Result<std::span<const std::byte>>(Error::kProtocol) : Take(*length);
  if (!bytes.ok()) {
    read_pos_ = start;
    return bytes.error();
  }
  return std::vector<std::byte>(bytes->begin(), bytes->end());
}

Result<std::string> Parcel::ReadString(std::size_t max) {
  Result<std::vector<std::byte>> bytes = ReadBytes(max);
  if (!bytes.ok())
    return bytes.error();
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Result<UniqueFd> Parcel::ReadFd() {
  if (next_object_ >= offsets_.size() || offsets_[next_object_] != read_pos_ ||
      next_object_ >= fds_.size()) {
    return Error::kProtocol;
  }
  read_pos_ += kFdObjectSize;
  return std::move(fds_[next_object_++]);
}

Result<Parcel> Parcel::FromReceived(std::span<const std::byte> data,
                                    std::span<const std::uint64_t> offsets) {
  Parcel parcel;
  parcel.data_.assign(data.begin(), data.end());
  parcel.offsets_.assign(offsets.begin(), offsets.end());
  // Own every fd the kernel installed before judging anything, so that a
  // malformed parcel leaks none.  The kernel has checked the objects'
  // bounds and order; they are checked again here all the same.
  bool malformed = false;
  std::uint64_t end = 0;
  for (std::uint64_t offset : parcel.offsets_) {
    if (offset < end || offset > data.size() ||
        data.size() - offset < sizeof(binder_object_header)) {
      malformed = true;
      break;
    }
    binder_object_header header = {};
    std::memcpy(&header, data.data() + offset, sizeof(header));
    if (header.type != BINDER_TYPE_FD || data.size() - offset < kFdObjectSize) {
      // Handles and nodes are not part of this transport.
      malformed = true;
      continue;
    }
    binder_fd_object object = {};
    std::memcpy(&object, data.data() + offset, sizeof(object));
    parcel.fds_.emplace_back(static_cast<int>(object.fd));
    end = offset + kFdObjectSize;
  }
  if (malformed)
    return Error::kProtocol;
  return parcel;
}

// ---- Binder -----------------------------------------------------------------

struct Binder::Outcome {
  bool complete = false;  // BR_TRANSACTION_COMPLETE
  bool replied = false;   // a BR_REPLY or a failure in its place
  std::error_code error;  // the failure
  Parcel reply;
};

Binder::Binder(UniqueFd fd, void* map, std::size_t map_size, std::string device) noexcept
    : fd_(std::move(fd)), map_(map), map_size_(map_size), device_(std::move(device)) {}

Binder::Binder(Binder&& other) noexcept
    : fd_(std::move(other.fd_)),
      map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)),
      device_(std::move(other.device_)),
      broken_(other.broken_),
      owes_reply_(std::exchange(other.owes_reply_, false)),
      pending_commands_(std::move(other.pending_commands_)),
      queued_(std::move(other.queued_)),
      watched_(std::move(other.watched_)),
      dead_(std::move(other.dead_)) {}

Binder& Binder::operator=(Binder&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = std::move(other.fd_);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    device_ = std::move(other.device_);
    broken_ = other.broken_;
    owes_reply_ = std::exchange(other.owes_reply_, false);
    pending_commands_ = std::move(other.pending_commands_);
    queued_ = std::move(other.queued_);
    watched_ = std::move(other.watched_);
    dead_ = std::move(other.dead_);
  }
  return *this;
}

Binder::~Binder() {
  Reset();
}

void Binder::Reset() noexcept {
  internal::ErrnoRestorer keep_errno;
  if (map_ != nullptr)
    munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
  fd_.reset();
}

Result<Binder> Binder::Open(std::string_view device, std::size_t map_size) {
  if (map_size == 0 || device.empty())
    return ErrnoError(EINVAL);
  std::string path(device);
  UniqueFd fd(RetryOnEintr([&] { return open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK); }));
  if (!fd.valid())
    return ErrnoError(errno);
  binder_version version = {};
  if (ioctl(fd.get(), BINDER_VERSION, &version) < 0)
    return ErrnoError(errno == EINVAL || errno == ENOTTY ? ENOTTY : errno);
  if (version.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION)
    return ErrnoError(EPROTO);
  // The kernel refuses a writable mapping: the buffer is filled by it only.
  void* map = mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd.get(), 0);
  if (map == MAP_FAILED)
    return ErrnoError(errno);
  Binder binder(std::move(fd), map, map_size, std::move(path));
  // Every thread of this transport is a looper: death notifications and
  // incoming transactions go to the process's queue, which only loopers
  // may read without the kernel complaining.
  AppendCommand(&binder.pending_commands_, BC_ENTER_LOOPER);
  Result<Outcome> flushed = binder.Talk({}, Want::kNothing, 0, Clock::now());
  if (!flushed.ok())
    return flushed.error();
  return binder;
}

Result<void> Binder::BecomeContextManager(std::chrono::milliseconds wait) {
  if (!fd_.valid())
    return ErrnoError(EBADF);
  const Clock::time_point deadline = DeadlineAfter(wait);
  flat_binder_object object = {};
  object.hdr.type = BINDER_TYPE_BINDER;
  object.flags = FLAT_BINDER_FLAG_ACCEPTS_FDS;
  // Back off from 1 ms to 64 ms: each refusal is a line in the kernel log.
  std::chrono::milliseconds pause(1);
  for (;;) {
    if (ioctl(fd_.get(), BINDER_SET_CONTEXT_MGR_EXT, &object) == 0)
      return {};
    if (errno != EBUSY || Clock::now() >= deadline)
      return ErrnoError(errno);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const int ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, pause.count()));
    RetryOnEintr([&] { return poll(nullptr, 0, ms); });
    pause = std::min(pause * 2, std::chrono::milliseconds(64));
  }
}

void Binder::QueueTransaction(std::uint32_t command, std::uint32_t handle, std::uint32_t code,
                              std::uint32_t flags, const Parcel& data) {
  binder_transaction_data txn = {};
  txn.target.handle = handle;
  txn.code = code;
  txn.flags = flags;
  txn.data_size = data.data_.size();
  txn.offsets_size = data.offsets_.size() * sizeof(binder_size_t);
  txn.data.ptr.buffer = reinterpret_cast<binder_uintptr_t>(data.data_.data());
  txn.data.ptr.offsets = reinterpret_cast<binder_uintptr_t>(data.offsets_.data());
  static_assert(sizeof(binder_size_t) == sizeof(std::uint64_t));
  AppendCommand(&pending_commands_, command, txn);
}

Result<Parcel> Binder::Transact(std::uint32_t handle, std::uint32_t code, const Parcel& data,
                                std::chrono::milliseconds timeout) {
  if (broken_ || !fd_.valid())
    return ErrnoError(ENOTCONN);
  const Clock::time_point deadline = DeadlineAfter(timeout);
  QueueTransaction(BC_TRANSACTION, handle, code, TF_ACCEPT_FDS, data);
  Result<Outcome> outcome = Talk({}, Want::kReply, handle, deadline);
  if (!outcome.ok()) {
    if (outcome.error() == std::errc::timed_out)
      broken_ = true;
    return outcome.error();
  }
  if (outcome->error)
    return outcome->error;
  return std::move(outcome->reply);
}

Result<void> Binder::TransactOneWay(std::uint32_t handle, std::uint32_t code, const Parcel& data) {
  if (broken_ || !fd_.valid())
    return ErrnoError(ENOTCONN);
  return SendUntilComplete(BC_TRANSACTION, handle, code, TF_ONE_WAY, data);
}

Result<void> Binder::SendUntilComplete(std::uint32_t command, std::uint32_t handle,
                                       std::uint32_t code, std::uint32_t flags,
                                       const Parcel& data) {
  QueueTransaction(command, handle, code, flags, data);
  // The kernel answers at once: BR_TRANSACTION_COMPLETE or the failure.
  Result<Outcome> outcome =
      Talk({}, Want::kTransactionComplete, handle, DeadlineAfter(std::chrono::seconds(10)));
  if (!outcome.ok())
    return outcome.error();
  if (outcome->error)
    return outcome->error;
  return {};
}

Result<Transaction> Binder::Receive(std::chrono::milliseconds timeout) {
  if (broken_ || !fd_.valid())
    return ErrnoError(ENOTCONN);
  if (owes_reply_)
    return ErrnoError(EINVAL);
  if (queued_.empty()) {
    Result<Outcome> outcome = Talk({}, Want::kTransaction, 0, DeadlineAfter(timeout));
    if (!outcome.ok())
      return outcome.error();
    if (outcome->error)
      return outcome->error;
  }
  Transaction txn = std::move(queued_.front());
  queued_.pop_front();
  owes_reply_ = !txn.one_way;
  return txn;
}

Result<void> Binder::Reply(const Parcel& reply) {
  if (!owes_reply_)
    return ErrnoError(EINVAL);
  owes_reply_ = false;
  return SendUntilComplete(BC_REPLY, 0, 0, 0, reply);
}

Result<void> Binder::ReplyError(int error) {
  if (error <= 0 || !owes_reply_)
    return ErrnoError(EINVAL);
  owes_reply_ = false;
  Parcel status;
  status.WriteInt32(-error);
  return SendUntilComplete(BC_REPLY, 0, 0, TF_STATUS_CODE, status);
}

Result<void> Binder::WatchDeath(std::uint32_t handle) {
  if (broken_ || !fd_.valid())
    return ErrnoError(ENOTCONN);
  if (std::find(watched_.begin(), watched_.end(), handle) != watched_.end())
    return {};
  if (handle == kContextManager) {
    // A client holds no reference to the manager until it takes one.
    AppendCommand(&pending_commands_, BC_INCREFS, handle);
    AppendCommand(&pending_commands_, BC_ACQUIRE, handle);
  }
  binder_handle_cookie death = {};
  death.handle = handle;
  death.cookie = handle;
  AppendCommand(&pending_commands_, BC_REQUEST_DEATH_NOTIFICATION, death);
  Result<Outcome> outcome = Talk({}, Want::kNothing, handle, Clock::now());
  if (!outcome.ok())
    return outcome.error();
  watched_.push_back(handle);
  return {};
}

Result<void> Binder::WaitForDeath(std::uint32_t handle, std::chrono::milliseconds timeout) {
  if (IsDead(handle))
    return {};
  // A broken connection (an abandoned reply) can still be told of deaths.
  if (!fd_.valid())
    return ErrnoError(ENOTCONN);
  if (std::find(watched_.begin(), watched_.end(), handle) == watched_.end())
    return ErrnoError(EINVAL);
  Result<Outcome> outcome = Talk({}, Want::kDeath, handle, DeadlineAfter(timeout));
  if (!outcome.ok())
    return outcome.error();
  return {};
}

bool Binder::IsDead(std::uint32_t handle) const noexcept {
  return std::find(dead_.begin(), dead_.end(), handle) != dead_.end();
}

std::error_code Binder::ExtendedError(std::error_code fallback) {
  binder_extended_error ee = {};
  if (ioctl(fd_.get(), BINDER_GET_EXTENDED_ERROR, &ee) < 0 || ee.command == BR_OK ||
      ee.param >= 0) {
    return fallback;
  }
  // No room in the receiver's buffer: the transaction is too large for it.
  if (-ee.param == ENOSPC)
    return ErrnoError(EMSGSIZE);
  return ErrnoError(-ee.param);
}

Result<Parcel> Binder::TakeBuffer(std::uintptr_t buffer, std::size_t data_size,
                                  std::uintptr_t offsets, std::size_t offsets_size) {
  // The buffer is freed whatever happens below; its fds are ours already.
  AppendFreeBuffer(buffer);
  const auto base = reinterpret_cast<std::uintptr_t>(map_);
  const auto in_map = [&](std::uintptr_t p, std::size_t n) {
    return p >= base && p - base <= map_size_ && map_size_ - (p - base) >= n;
  };
  if ((data_size != 0 && !in_map(buffer, data_size)) ||
      (offsets_size != 0 && !in_map(offsets, offsets_size)) ||
      offsets_size % sizeof(binder_size_t) != 0) {
    return Error::kProtocol;
  }
  std::vector<std::uint64_t> object_offsets(offsets_size / sizeof(binder_size_t));
  // The kernel gives the addresses in its mapping as integers.
  if (offsets_size != 0) {
    std::memcpy(object_offsets.data(),
                reinterpret_cast<const void*>(offsets),  // NOLINT(performance-no-int-to-ptr)
                offsets_size);
  }
  const auto* data =
      reinterpret_cast<const std::byte*>(buffer);  // NOLINT(performance-no-int-to-ptr)
  return Parcel::FromReceived({data, data_size}, object_offsets);
}

void Binder::AppendFreeBuffer(std::uintptr_t buffer) {
  AppendCommand(&pending_commands_, BC_FREE_BUFFER, static_cast<binder_uintptr_t>(buffer));
}

Result<void> Binder::HandleReturns(std::span<const std::byte> returns, Want want,
                                   Outcome* outcome) {
  std::size_t pos = 0;
  while (returns.size() - pos >= sizeof(std::uint32_t)) {
    std::uint32_t cmd;
    std::memcpy(&cmd, returns.data() + pos, sizeof(cmd));
    pos += sizeof(cmd);
    const std::size_t arg_size = _IOC_SIZE(cmd);
    if (returns.size() - pos < arg_size)
      return Error::kProtocol;
    const std::byte* arg = returns.data() + pos;
    pos += arg_size;
    switch (cmd) {
      case BR_NOOP:
      case BR_OK:
      case BR_SPAWN_LOOPER:
      case BR_FINISHED:
      case BR_RELEASE:
      case BR_DECREFS:
      case BR_CLEAR_DEATH_NOTIFICATION_DONE:
        break;
      case BR_TRANSACTION_COMPLETE:
      case BR_ONEWAY_SPAM_SUSPECT:
        outcome->complete = true;
        break;
      case BR_INCREFS:
      case BR_ACQUIRE: {
        // A client took a reference to a node of ours (the manager's).
        binder_ptr_cookie node = {};
        std::memcpy(&node, arg, sizeof(node));
        AppendCommand(&pending_commands_, cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
                      node);
        break;
      }
      case BR_DEAD_BINDER: {
        binder_uintptr_t cookie;
        std::memcpy(&cookie, arg, sizeof(cookie));
        const auto handle = static_cast<std::uint32_t>(cookie);
        if (!IsDead(handle))
          dead_.push_back(handle);
        AppendCommand(&pending_commands_, BC_DEAD_BINDER_DONE, cookie);
        break;
      }
      case BR_REPLY: {
        binder_transaction_data txn = {};
        std::memcpy(&txn, arg, sizeof(txn));
        Result<Parcel> parcel =
            TakeBuffer(txn.data.ptr.buffer, txn.data_size, txn.data.ptr.offsets, txn.offsets_size);
        outcome->replied = true;
        if (!parcel.ok()) {
          outcome->error = parcel.error();
        } else if ((txn.flags & TF_STATUS_CODE) != 0) {
          Result<std::int32_t> status = parcel->ReadInt32();
          outcome->error = !status.ok()  ? make_error_code(Error::kProtocol)
                           : *status < 0 ? ErrnoError(-*status)
                                         : ErrnoError(EPROTO);
        } else if (want != Want::kReply) {
          outcome->error = Error::kProtocol;  // nobody asked for it
        } else {
          outcome->reply = std::move(parcel).value();
        }
        break;
      }
      case BR_TRANSACTION: {
        binder_transaction_data txn = {};
        std::memcpy(&txn, arg, sizeof(txn));
        Result<Parcel> parcel =
            TakeBuffer(txn.data.ptr.buffer, txn.data_size, txn.data.ptr.offsets, txn.offsets_size);
        const bool one_way = (txn.flags & TF_ONE_WAY) != 0;
        if (!parcel.ok()) {
          // Malformed: refuse it to a sender that waits, then drop it.
          if (!one_way) {
            Parcel status;
            status.WriteInt32(-EBADMSG);
            binder_transaction_data reply = {};
            reply.flags = TF_STATUS_CODE;
            reply.data_size = status.data_.size();
            reply.data.ptr.buffer = reinterpret_cast<binder_uintptr_t>(status.data_.data());
            AppendCommand(&pending_commands_, BC_REPLY, reply);
            // The status is copied by the kernel within the next write.
            Result<Outcome> sent = Talk({}, Want::kNothing, 0, Clock::now());
            if (!sent.ok())
              return sent.error();
          }
          break;
        }
        Transaction received;
        received.code = txn.code;
        received.one_way = one_way;
        received.sender_pid = txn.sender_pid;
        received.sender_euid = txn.sender_euid;
        received.data = std::move(parcel).value();
        queued_.push_back(std::move(received));
        break;
      }
      case BR_DEAD_REPLY:
        outcome->replied = true;
        outcome->error = ErrnoError(EPIPE);
        break;
      case BR_FAILED_REPLY:
        outcome->replied = true;
        outcome->error = ExtendedError(ErrnoError(EPROTO));
        break;
      case BR_FROZEN_REPLY:
        outcome->replied = true;
        outcome->error = ErrnoError(EAGAIN);
        break;
      case BR_ERROR: {
        std::int32_t error;
        std::memcpy(&error, arg, sizeof(error));
        outcome->replied = true;
        outcome->error = ErrnoError(error < 0 ? -error : EPROTO);
        break;
      }
      default:
        return Error::kProtocol;
    }
  }
  return {};
}

Result<Binder::Outcome> Binder::Talk(std::span<const std::byte> commands, Want want,
                                     std::uint32_t handle, Clock::time_point deadline) {
  pending_commands_.insert(pending_commands_.end(), commands.begin(), commands.end());
  Outcome outcome;
  const auto done = [&] {
    switch (want) {
      case Want::kNothing:
        return pending_commands_.empty();
      case Want::kTransactionComplete:
        // A one-way transaction or a reply the kernel refused reports its
        // failure in place of BR_TRANSACTION_COMPLETE.
        return outcome.complete || outcome.replied;
      case Want::kReply:
        return outcome.replied;
      case Want::kTransaction:
        return !queued_.empty() || outcome.replied;
      case Want::kDeath:
        return IsDead(handle);
    }
    return true;
  };
  alignas(std::uint64_t) std::byte returns[512];
  // A read is made only when the kernel has something to return, so that it
  // never fails with EAGAIN (which the driver logs): after poll() says so,
  // or together with the write of a one-way transaction or a reply, which
  // always queues a return for this thread at once (BR_TRANSACTION_COMPLETE
  // or a failure).  A synchronous transaction's BR_TRANSACTION_COMPLETE is
  // held back by the kernel until the reply comes.
  const bool read_with_write = want == Want::kTransactionComplete;
  std::vector<std::byte> writing;
  for (;;) {
    if (writing.empty() && !pending_commands_.empty())
      writing.swap(pending_commands_);
    if (writing.empty() && done())
      return outcome;
    const bool read = want != Want::kNothing && (writing.empty() || read_with_write);
    if (writing.empty()) {
      Result<bool> ready = WaitReadable(fd_.get(), deadline);
      if (!ready.ok())
        return ready.error();
      if (!*ready)
        return ErrnoError(ETIMEDOUT);
    }
    binder_write_read bwr = {};
    bwr.write_size = writing.size();
    bwr.write_buffer = reinterpret_cast<binder_uintptr_t>(writing.data());
    bwr.read_size = read ? sizeof(returns) : 0;
    bwr.read_buffer = reinterpret_cast<binder_uintptr_t>(returns);
    const int ret = ioctl(fd_.get(), BINDER_WRITE_READ, &bwr);
    const int err = errno;
    writing.erase(writing.begin(),
                  writing.begin() + static_cast<std::ptrdiff_t>(
                                        std::min<std::size_t>(bwr.write_consumed, writing.size())));
    if (ret < 0 && err != EAGAIN && err != EINTR)
      return ErrnoError(err);
    if (ret == 0 && read) {
      Result<void> handled =
          HandleReturns({returns, static_cast<std::size_t>(bwr.read_consumed)}, want, &outcome);
      if (!handled.ok())
        return handled.error();
    }
    // Commands that the returns above produced (frees, acknowledgements)
    // go out with the next write, in this call or the next one.
    if (writing.empty() && done())
      return outcome;
  }
}

// ---- binderfs ---------------------------------------------------------------

Result<std::string> AddBinderfsDevice(std::string_view mount, std::string_view name) {
  binderfs_device device = {};
  if (name.empty() || name.size() > BINDERFS_MAX_NAME || name.find('/') != std::string_view::npos)
    return ErrnoError(EINVAL);
  std::memcpy(device.name, name.data(), name.size());
  const std::string control = std::string(mount) + "/binder-control";
  UniqueFd fd(RetryOnEintr([&] { return open(control.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd.valid())
    return ErrnoError(errno == ENOENT || errno == ENOTDIR ? ENODEV : errno);
  if (ioctl(fd.get(), BINDER_CTL_ADD, &device) < 0)
    return ErrnoError(errno);
  return std::string(mount) + "/" + std::string(name);
}

}  // namespace ashmem
