// SPDX-License-Identifier: Apache-2.0
//
// channel_bench: libashmem's Channel against an AF_UNIX socketpair and
// memcpy, two processes, payloads of 4 KiB to 16 MiB.
//
// Prints one "name,value,unit" line per figure on stdout (bench/run.sh
// collects them into results.csv) and a summary on stderr.  Every figure
// is a median over interleaved trials, and every ratio the median of the
// ratios of figures measured one right after the other in this run, so
// that a noisy machine moves both sides alike.
//
// In every two-process trial the producer builds each message (it writes
// every byte) and the consumer reads every byte of it:
//   channel       BeginWrite, build in place, Commit / Acquire, read, Release
//   channel_xxh3  the same on a channel with XXH3 integrity
//   channel_copy  build in a private buffer, Write / ReadInto a reused Message
//   socket        build in a private buffer, write() / read() into a buffer
//   raw           two buffers in one shared region and polled flags, no
//                 library: the floor for any shared-memory transport
// and memcpy copies the payload within one process.
//
// Heap allocations are counted by wrapping malloc and its relatives at link
// time (-Wl,--wrap, see CMakeLists.txt) and routing operator new to malloc;
// a message's allocations are those of both processes in the steady state.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <ashmem/channel.h>
#include <ashmem/region.h>

// ---- allocation counting ------------------------------------------------

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

extern "C" {
void* __real_malloc(std::size_t size);
void* __real_calloc(std::size_t count, std::size_t size);
void* __real_realloc(void* ptr, std::size_t size);
void* __real_aligned_alloc(std::size_t alignment, std::size_t size);
int __real_posix_memalign(void** ptr, std::size_t alignment, std::size_t size);

void* __wrap_malloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_malloc(size);
}
void* __wrap_calloc(std::size_t count, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_calloc(count, size);
}
void* __wrap_realloc(void* ptr, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_realloc(ptr, size);
}
void* __wrap_aligned_alloc(std::size_t alignment, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_aligned_alloc(alignment, size);
}
int __wrap_posix_memalign(void** ptr, std::size_t alignment, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_posix_memalign(ptr, alignment, size);
}
}  // extern "C"

// Every operator new goes through the (wrapped) malloc, so it is counted
// wherever it is called from, libstdc++ included.
void* operator new(std::size_t size) {
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  std::abort();  // the benchmark has no use for bad_alloc
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  void* p = nullptr;
  if (posix_memalign(&p, std::max(sizeof(void*), static_cast<std::size_t>(alignment)),
                     size == 0 ? 1 : size) != 0) {
    std::abort();
  }
  return p;
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return operator new(size, alignment);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
constexpr int kTrials = 7;

// The channel's ring: about 1 MiB in flight, at least 2 slots, at most 256,
// so that what the producer writes is still in its 2 MiB L2 cache when the
// consumer reads it.  Measured here at 1 MiB: 2 slots 18 GB/s, 4 slots 10-11,
// 8 slots 10-12; at 64 KiB, 16 slots beat 8 and 32.  (The socketpair has
// about 400 KiB of buffers.)
std::uint32_t SlotsFor(std::size_t size) {
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(kMiB / size, 2, 256));
}
constexpr auto kTimeout = 60s;  // a loaded machine has stalled a side for 10 s

// ---- the work on each message ---------------------------------------------

// The producer's part: every byte of the message, from its number.
void Build(std::byte* data, std::size_t size, std::uint64_t n) {
  std::memset(data, static_cast<int>(n & 0xff), size);
}

// The consumer's part: reads every byte (an XOR of 64-bit words into
// eight independent accumulators, so that the loop runs at the speed of the
// loads, not of one chain of additions) and checks that the message is the
// expected one.  Returns false on a wrong message.
bool Consume(const std::byte* data, std::size_t size, std::uint64_t n, std::uint64_t* sink) {
  constexpr std::size_t kLanes = 8;
  std::uint64_t lanes[kLanes] = {};
  const std::size_t words = size / sizeof(std::uint64_t);
  std::size_t i = 0;
  for (; i + kLanes <= words; i += kLanes) {
    for (std::size_t k = 0; k < kLanes; ++k) {
      std::uint64_t w;
      std::memcpy(&w, data + (i + k) * sizeof(w), sizeof(w));
      lanes[k] ^= w;
    }
  }
  std::uint64_t sum = 0;
  for (; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, data + i * sizeof(w), sizeof(w));
    sum ^= w;
  }
  for (std::uint64_t lane : lanes)
    sum ^= lane;
  *sink += sum;
  const auto expected = static_cast<std::byte>(n & 0xff);
  return size == 0 || (data[0] == expected && data[size - 1] == expected);
}

// ---- two processes ------------------------------------------------------

// What the consumer sends back when it is done.
struct Report {
  std::uint64_t sink = 0;
  std::uint64_t allocations = 0;  // during the timed messages
  int failed = 0;                 // 0, or the step that went wrong
};

bool WriteAll(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The two halves of a trial.  Each does `warmup` messages, then meets the
// other (the consumer says it has taken them all, so nothing is in flight
// when the clock starts), then `count` timed messages, counting the heap
// allocations of the timed part.
struct Plan {
  std::size_t size;
  std::uint64_t warmup;
  std::uint64_t count;
};

struct Trial {
  double seconds = 0;
  std::uint64_t allocations = 0;  // both processes, timed messages only
};

// Runs consume(plan, warm, &report) in a child and produce(plan, wait_warm)
// in this process, and times the timed messages: from the meeting to the
// consumer's report.  produce returns its own allocation count, or nullopt
// on failure.
template <typename Produce, typename Consume>
std::optional<Trial> RunTwoProcesses(const Plan& plan, Produce produce, Consume consume) {
  int warm[2];
  int done[2];
  if (pipe(warm) != 0 || pipe(done) != 0)
    return std::nullopt;
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0)
    return std::nullopt;
  if (child == 0) {
    close(warm[0]);
    close(done[0]);
    Report report;
    consume(
        plan, [&] { return WriteAll(warm[1], "w", 1); }, &report);
    _exit(WriteAll(done[1], &report, sizeof(report)) ? 0 : 1);
  }
  close(warm[1]);
  close(done[1]);
  Clock::time_point start;
  std::optional<std::uint64_t> produced = produce(plan, [&] {
    char c;
    const bool ok = ReadAll(warm[0], &c, 1);
    start = Clock::now();
    return ok;
  });
  Report report;
  const bool reported = ReadAll(done[0], &report, sizeof(report));
  const Clock::time_point end = Clock::now();
  close(warm[0]);
  close(done[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!produced || !reported || report.failed != 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "channel_bench: a trial failed (consumer step %d)\n", report.failed);
    return std::nullopt;
  }
  return Trial{std::chrono::duration<double>(end - start).count(), *produced + report.allocations};
}

// ---- the channel ----------------------------------------------------------

struct ChannelSetup {
  std::uint32_t slots;
  ashmem::Channel::Integrity integrity;
  bool copy;  // Write/ReadInto instead of building and reading in place
};

// After a failure: every slot's state word and sequence, as the protocol
// documents them (descriptor i at 64 + 64 * i).
void DumpSlots(const ashmem::Channel::Reader& reader) {
  for (std::uint32_t i = 0; i < reader.slots(); ++i) {
    const std::byte* d = reader.mapping().data() + ashmem::Channel::kHeaderSize +
                         i * ashmem::Channel::kSlotHeaderSize;
    std::uint32_t state;
    std::uint64_t sequence;
    std::memcpy(&state, d, sizeof(state));
    std::memcpy(&sequence, d + 8, sizeof(sequence));
    std::fprintf(stderr, "  slot %u: state %#x, sequence %llu\n", i, state,
                 static_cast<unsigned long long>(sequence));
  }
}

std::optional<Trial> ChannelTrial(const Plan& plan, const ChannelSetup& setup) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t bytes =
      (ashmem::Channel::MemorySize(plan.size, setup.slots) + page - 1) / page * page;
  ashmem::Result<ashmem::Region> region = ashmem::Region::Create("channel-bench", bytes);
  if (!region.ok())
    return std::nullopt;
  ashmem::Result<ashmem::Mapping> mapping = region->Map(PROT_READ | PROT_WRITE);
  if (!mapping.ok())
    return std::nullopt;
  ashmem::Result<ashmem::Channel::Writer> writer = ashmem::Channel::Writer::Create(
      std::move(mapping).value(), {.slots = setup.slots, .integrity = setup.integrity});
  if (!writer.ok())
    return std::nullopt;

  auto produce = [&](const Plan& p, auto meet) -> std::optional<std::uint64_t> {
    std::vector<std::byte> buffer(setup.copy ? p.size : 0);
    std::uint64_t before = 0;
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      if (n == p.warmup + 1) {
        if (!meet())
          return std::nullopt;
        before = g_allocations.load();
      }
      if (setup.copy) {
        Build(buffer.data(), p.size, n);
        if (!writer->Write(buffer, kTimeout).ok())
          return std::nullopt;
        continue;
      }
      ashmem::Result<std::span<std::byte>> slot = writer->BeginWrite(p.size, kTimeout);
      if (!slot.ok()) {
        std::fprintf(stderr, "channel_bench: producer, message %llu: %s\n",
                     static_cast<unsigned long long>(n), slot.error().message().c_str());
        return std::nullopt;
      }
      Build(slot->data(), p.size, n);
      if (!writer->Commit().ok())
        return std::nullopt;
    }
    return g_allocations.load() - before;
  };
  auto consume = [&](const Plan& p, auto warmed, Report* report) {
    ashmem::Result<ashmem::Mapping> view = region->Map(PROT_READ | PROT_WRITE);
    if (!view.ok()) {
      report->failed = 1;
      return;
    }
    ashmem::Result<ashmem::Channel::Reader> reader =
        ashmem::Channel::Reader::Attach(std::move(view).value());
    if (!reader.ok()) {
      report->failed = 2;
      return;
    }
    ashmem::Channel::Message message;
    std::uint64_t before = 0;
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      if (setup.copy) {
        ashmem::Result<void> got = reader->ReadInto(&message, kTimeout);
        if (!got.ok() || message.sequence != n ||
            !Consume(message.payload.data(), message.payload.size(), n, &report->sink)) {
          std::fprintf(stderr, "channel_bench: message %llu: %s (sequence %llu, %zu bytes)\n",
                       static_cast<unsigned long long>(n),
                       got.ok() ? "not the one sent" : got.error().message().c_str(),
                       static_cast<unsigned long long>(message.sequence), message.payload.size());
          DumpSlots(*reader);
          report->failed = 3;
          return;
        }
      } else {
        ashmem::Result<ashmem::Channel::View> got = reader->Acquire(kTimeout);
        if (!got.ok()) {
          std::fprintf(stderr, "channel_bench: message %llu: %s\n",
                       static_cast<unsigned long long>(n), got.error().message().c_str());
          DumpSlots(*reader);
          report->failed = 4;
          return;
        }
        // Each check says what failed, with the slots as they are then.
        const char* wrong = nullptr;
        if (got->sequence != n)
          wrong = "its sequence is another";
        else if (got->payload.size() != p.size)
          wrong = "its size is another";
        else if (!Consume(got->payload.data(), got->payload.size(), n, &report->sink))
          wrong = "its first or last byte is another";
        if (wrong != nullptr) {
          std::fprintf(stderr,
                       "channel_bench: message %llu is not the one sent: %s "
                       "(sequence %llu, %zu bytes, first byte %#x)\n",
                       static_cast<unsigned long long>(n), wrong,
                       static_cast<unsigned long long>(got->sequence), got->payload.size(),
                       got->payload.empty() ? 0u : static_cast<unsigned>(got->payload[0]));
          DumpSlots(*reader);
          report->failed = 9;
          return;
        }
        if (ashmem::Result<void> released = reader->Release(); !released.ok()) {
          std::fprintf(stderr, "channel_bench: message %llu: Release: %s\n",
                       static_cast<unsigned long long>(n), released.error().message().c_str());
          DumpSlots(*reader);
          report->failed = 10;
          return;
        }
      }
      if (n == p.warmup) {
        if (!warmed()) {
          report->failed = 5;
          return;
        }
        before = g_allocations.load();
      }
    }
    report->allocations = g_allocations.load() - before;
  };
  return RunTwoProcesses(plan, produce, consume);
}

// ---- raw shared memory ---------------------------------------------------

// The floor under any shared-memory transport on this machine: the same
// kind of region as the channel, two buffers and two flag words, no
// library, no checks, and waiting by polling (with sched_yield, so that a
// loaded machine still runs the other side).  The channel's distance from
// this is what the library costs; this one's distance from memcpy is what
// moving the bytes between two cores costs.
void WaitFor(std::uint64_t& flag, std::uint64_t value) {
  std::atomic_ref<std::uint64_t> word(flag);
  for (int i = 1; word.load(std::memory_order_acquire) != value; ++i) {
    if (i % 64 == 0)
      sched_yield();
  }
}

std::optional<Trial> RawTrial(const Plan& plan) {
  constexpr std::size_t kBuffers = 2;
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t slot = (plan.size + page - 1) / page * page;
  ashmem::Result<ashmem::Region> region =
      ashmem::Region::Create("raw-bench", page + kBuffers * slot);
  if (!region.ok())
    return std::nullopt;
  auto mapping_of = [&](ashmem::Mapping* m) {
    ashmem::Result<ashmem::Mapping> got = region->Map(PROT_READ | PROT_WRITE);
    if (got.ok())
      *m = std::move(got).value();
    return !m->empty();
  };
  auto produce = [&](const Plan& p, auto meet) -> std::optional<std::uint64_t> {
    ashmem::Mapping m;
    if (!mapping_of(&m))
      return std::nullopt;
    auto* flags = reinterpret_cast<std::uint64_t*>(m.data());
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      if (n == p.warmup + 1 && !meet())
        return std::nullopt;
      const std::size_t b = n % kBuffers;
      WaitFor(flags[b], 0);
      Build(m.data() + page + b * slot, p.size, n);
      std::atomic_ref<std::uint64_t>(flags[b]).store(n, std::memory_order_release);
    }
    return 0;
  };
  auto consume = [&](const Plan& p, auto warmed, Report* report) {
    ashmem::Mapping m;
    if (!mapping_of(&m)) {
      report->failed = 7;
      return;
    }
    auto* flags = reinterpret_cast<std::uint64_t*>(m.data());
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      const std::size_t b = n % kBuffers;
      WaitFor(flags[b], n);
      if (!Consume(m.data() + page + b * slot, p.size, n, &report->sink)) {
        report->failed = 8;
        return;
      }
      std::atomic_ref<std::uint64_t>(flags[b]).store(0, std::memory_order_release);
      if (n == p.warmup && !warmed()) {
        report->failed = 5;
        return;
      }
    }
  };
  return RunTwoProcesses(plan, produce, consume);
}

// ---- the socketpair -----------------------------------------------------

std::optional<Trial> SocketTrial(const Plan& plan) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return std::nullopt;
  auto produce = [&](const Plan& p, auto meet) -> std::optional<std::uint64_t> {
    close(fds[1]);
    std::vector<std::byte> buffer(p.size);
    std::uint64_t before = 0;
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      if (n == p.warmup + 1) {
        if (!meet())
          return std::nullopt;
        before = g_allocations.load();
      }
      Build(buffer.data(), p.size, n);
      if (!WriteAll(fds[0], buffer.data(), p.size))
        return std::nullopt;
    }
    close(fds[0]);
    return g_allocations.load() - before;
  };
  auto consume = [&](const Plan& p, auto warmed, Report* report) {
    close(fds[0]);
    std::vector<std::byte> buffer(p.size);
    std::uint64_t before = 0;
    for (std::uint64_t n = 1; n <= p.warmup + p.count; ++n) {
      if (!ReadAll(fds[1], buffer.data(), p.size) ||
          !Consume(buffer.data(), p.size, n, &report->sink)) {
        report->failed = 6;
        return;
      }
      if (n == p.warmup) {
        if (!warmed()) {
          report->failed = 5;
          return;
        }
        before = g_allocations.load();
      }
    }
    report->allocations = g_allocations.load() - before;
  };
  return RunTwoProcesses(plan, produce, consume);
}

// ---- memcpy -------------------------------------------------------------

// Seconds per copy of size bytes within one process (a warm buffer pair).
double MemcpySeconds(std::size_t size, std::uint64_t count) {
  std::vector<std::byte> src(size, std::byte{1});
  std::vector<std::byte> dst(size);
  for (int i = 0; i < 2; ++i)
    std::memcpy(dst.data(), src.data(), size);
  const Clock::time_point start = Clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::memcpy(dst.data(), src.data(), size);
    asm volatile("" : : "r"(dst.data()) : "memory");  // keep every copy
  }
  return std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(count);
}

// ---- the run ------------------------------------------------------------

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The median of a[t] / b[t]: each ratio is of two figures measured one
// right after the other, so that a load that comes and goes moves both.
double MedianRatio(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> ratios;
  for (std::size_t t = 0; t < a.size() && t < b.size(); ++t)
    ratios.push_back(a[t] / b[t]);
  return Median(ratios);
}

std::string SizeName(std::size_t size) {
  return size >= kMiB ? std::to_string(size / kMiB) + "MiB" : std::to_string(size / kKiB) + "KiB";
}

void Row(const std::string& name, double value, const char* unit) {
  std::printf("%s,%.6g,%s\n", name.c_str(), value, unit);
}

// Options, for exploring: channel_bench [SIZE_BYTES...] runs only those
// payload sizes; CHANNEL_BENCH_SLOTS=N sets the channels' slot count;
// CHANNEL_BENCH_MIB=N moves about N MiB per trial instead of 256, and at
// least 4 messages instead of 32; CHANNEL_BENCH_TRIALS=N runs N trials per
// figure (the emulated guest, bench/run-guest.sh, is 30-300 times slower).
int Run(const std::vector<std::size_t>& only) {
  ashmem::Result<ashmem::Backend> backend = ashmem::DefaultBackend();
  if (!backend.ok()) {
    std::fprintf(stderr, "channel_bench: no backend: %s\n", backend.error().message().c_str());
    return 1;
  }
  const char* trials_env = std::getenv("CHANNEL_BENCH_TRIALS");
  const int trials = trials_env != nullptr ? std::max(1, std::atoi(trials_env)) : kTrials;
  std::fprintf(stderr, "channel_bench: %s backend, %d trials per figure\n",
               std::string(ashmem::BackendName(*backend)).c_str(), trials);

  struct Series {
    const char* name;
    std::optional<ChannelSetup> channel;  // nullopt: the socketpair, or raw
  };
  constexpr std::size_t kSocket = 3;  // the series the others are compared with
  constexpr std::size_t kRaw = 4;
  const char* slots_env = std::getenv("CHANNEL_BENCH_SLOTS");
  const char* mib_env = std::getenv("CHANNEL_BENCH_MIB");
  const std::uint64_t trial_bytes =
      (mib_env != nullptr ? std::max(1, std::atoi(mib_env)) : 256) * std::uint64_t{kMiB};
  const std::uint64_t min_messages = mib_env != nullptr ? 4 : 32;
  const std::vector<std::size_t> sizes =
      only.empty() ? std::vector<std::size_t>{4 * kKiB, 64 * kKiB, 1 * kMiB, 16 * kMiB} : only;
  std::uint64_t channel_allocations = 0;
  std::uint64_t channel_messages = 0;
  std::uint64_t copy_allocations = 0;
  std::uint64_t copy_messages = 0;

  for (std::size_t size : sizes) {
    // About 256 MiB per trial, at least 32 messages and at most 100000.
    const Plan plan{size, 16, std::clamp<std::uint64_t>(trial_bytes / size, min_messages, 100000)};
    const std::string tag = SizeName(size);
    const std::uint32_t slots =
        slots_env != nullptr ? static_cast<std::uint32_t>(std::atoi(slots_env)) : SlotsFor(size);
    const Series series[] = {
        {"channel", ChannelSetup{slots, ashmem::Channel::Integrity::kNone, false}},
        {"channel_xxh3", ChannelSetup{slots, ashmem::Channel::Integrity::kXxh3, false}},
        {"channel_copy", ChannelSetup{slots, ashmem::Channel::Integrity::kNone, true}},
        {"socket", std::nullopt},
        {"raw", std::nullopt},
    };
    std::fprintf(stderr, "  %s: %u slots\n", tag.c_str(), slots);
    // One row per series, then memcpy; column t is trial t.
    std::vector<std::vector<double>> rates(std::size(series) + 1);
    for (int trial = 0; trial < trials; ++trial) {
      for (std::size_t s = 0; s < std::size(series); ++s) {
        std::optional<Trial> t = series[s].channel ? ChannelTrial(plan, *series[s].channel)
                                 : s == kRaw       ? RawTrial(plan)
                                                   : SocketTrial(plan);
        if (!t)
          return 1;
        rates[s].push_back(static_cast<double>(plan.count) / t->seconds);
        if (s == 0) {
          channel_allocations += t->allocations;
          channel_messages += plan.count;
        } else if (series[s].channel && series[s].channel->copy) {
          copy_allocations += t->allocations;
          copy_messages += plan.count;
        }
      }
      rates[std::size(series)].push_back(1.0 / MemcpySeconds(size, plan.count));
    }
    const std::vector<double>& socket = rates[kSocket];
    const std::vector<double>& copies = rates[std::size(series)];
    for (std::size_t s = 0; s < std::size(series); ++s) {
      const double rate = Median(rates[s]);
      Row(std::string("rate_") + series[s].name + "_" + tag, rate, "msg/s");
      Row(std::string("throughput_") + series[s].name + "_" + tag,
          rate * static_cast<double>(size) / 1e9, "GB/s");
      std::fprintf(stderr, "  %-13s %7s %12.0f msg/s %8.2f GB/s\n", series[s].name, tag.c_str(),
                   rate, rate * static_cast<double>(size) / 1e9);
    }
    const double memcpy_rate = Median(copies);
    Row("rate_memcpy_" + tag, memcpy_rate, "copy/s");
    Row("throughput_memcpy_" + tag, memcpy_rate * static_cast<double>(size) / 1e9, "GB/s");
    Row("channel_vs_socket_" + tag, MedianRatio(rates[0], socket), "x");
    Row("channel_xxh3_vs_socket_" + tag, MedianRatio(rates[1], socket), "x");
    Row("channel_copy_vs_socket_" + tag, MedianRatio(rates[2], socket), "x");
    Row("channel_vs_memcpy_" + tag, MedianRatio(rates[0], copies), "x");
    Row("socket_vs_memcpy_" + tag, MedianRatio(socket, copies), "x");
    Row("channel_vs_raw_" + tag, MedianRatio(rates[0], rates[kRaw]), "x");
    Row("raw_vs_memcpy_" + tag, MedianRatio(rates[kRaw], copies), "x");
    std::fflush(stdout);
  }
  Row("channel_allocations",
      static_cast<double>(channel_allocations) / static_cast<double>(channel_messages),
      "alloc/msg");
  Row("channel_copy_allocations",
      static_cast<double>(copy_allocations) / static_cast<double>(copy_messages), "alloc/msg");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> only;
  for (int i = 1; i < argc; ++i)
    only.push_back(std::strtoull(argv[i], nullptr, 0));
  return Run(only);
}
