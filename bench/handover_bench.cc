// SPDX-License-Identifier: Apache-2.0
//
// handover_bench: the round-trip time of handing a region to another
// process, asked for by name and answered with its fd, over Binder
// (RegionServer::ListenBinder, a transaction and its reply with the fd
// translated by the kernel) and over a Unix socket (RegionServer::Listen,
// SCM_RIGHTS).  It needs /dev/binder, so `make bench` runs it in the QEMU
// guest (TCG: compare the two figures with each other, not with hardware).
// Prints "name,value,unit" rows: the median of each, and their ratio.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <ashmem/region.h>
#include <ashmem/region_server.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 200;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Serves kRounds requests for "bench" in a child; returns its pid.
pid_t StartServer(bool binder, const std::string& path, int ready) {
  const pid_t pid = fork();
  if (pid != 0)
    return pid;
  ashmem::Result<ashmem::RegionServer> server =
      binder ? ashmem::RegionServer::ListenBinder() : ashmem::RegionServer::Listen(path);
  ashmem::Result<ashmem::Region> region = ashmem::Region::Create("bench", 4096);
  if (!server.ok() || !region.ok() ||
      !server->Publish("bench", *region, ashmem::Access::kReadWrite).ok()) {
    _exit(1);
  }
  char c = 1;
  if (write(ready, &c, 1) != 1)
    _exit(1);
  // Over Binder each ServeClient is one request; over the socket one
  // client with all of them.
  for (int i = 0; i < (binder ? kRounds : 1); ++i) {
    if (!server->ServeClient(std::chrono::seconds(60)).ok())
      _exit(1);
  }
  _exit(0);
}

// The median round trip in microseconds, or a negative number on failure.
double Measure(bool binder) {
  const std::string path = "/tmp/handover-bench." + std::to_string(getpid()) + ".sock";
  int ready[2];
  if (pipe(ready) != 0)
    return -1;
  const pid_t pid = StartServer(binder, path, ready[1]);
  close(ready[1]);
  char c;
  const bool up = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  std::vector<double> us;
  if (up) {
    ashmem::Result<ashmem::RegionClient> client =
        binder ? ashmem::RegionClient::ConnectBinder() : ashmem::RegionClient::Connect(path);
    for (int i = 0; client.ok() && i < kRounds; ++i) {
      const Clock::time_point start = Clock::now();
      ashmem::Result<ashmem::Region> got = client->Get("bench", ashmem::Access::kReadWrite);
      const Clock::time_point end = Clock::now();
      if (!got.ok())
        break;
      us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!binder)
    unlink(path.c_str());
  if (us.size() != kRounds || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return Median(us);
}

}  // namespace

int main() {
  const double socket_us = Measure(false);
  const double binder_us = Measure(true);
  if (socket_us < 0 || binder_us < 0) {
    std::fprintf(stderr, "handover_bench: a round failed (socket %g, binder %g)\n", socket_us,
                 binder_us);
    return 1;
  }
  std::printf("handover_socket_rtt,%.4g,us\n", socket_us);
  std::printf("handover_binder_rtt,%.4g,us\n", binder_us);
  std::printf("handover_binder_per_socket,%.4g,x\n", binder_us / socket_us);
  return 0;
}
