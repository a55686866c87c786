// SPDX-License-Identifier: Apache-2.0
//
// What the four Binder examples share: each is one program that forks a
// service (the context manager of /dev/binder) and talks to it as a client,
// the two processes Android would have.
#ifndef ASHMEM_EXAMPLES_BINDER_EXAMPLE_H_
#define ASHMEM_EXAMPLES_BINDER_EXAMPLE_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <system_error>

#include <ashmem/binder.h>

#include "demo_story.h"

namespace demo {

// Runs service in a child process that is the context manager of
// /dev/binder, then client in this one; returns 0 if both succeeded.  The
// child's exit code is service's return value.  Before returning it waits
// until the kernel has released the manager, so the next program can be one.
inline int RunWithService(const char* name, const std::function<int(ashmem::Binder&)>& service,
                          const std::function<int(ashmem::Binder&)>& client) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0)
    return Fail(name, "making a pipe", std::error_code(errno, std::generic_category()));
  const pid_t pid = fork();
  if (pid < 0)
    return Fail(name, "forking the service", std::error_code(errno, std::generic_category()));
  if (pid == 0) {
    close(ready[0]);
    ashmem::Result<ashmem::Binder> binder = ashmem::Binder::Open();
    if (!binder.ok())
      _exit(Fail("service", "opening /dev/binder", binder.error()));
    if (ashmem::Result<void> ret = binder->BecomeContextManager(); !ret.ok())
      _exit(Fail("service", "becoming the context manager", ret.error()));
    Say("service", "is the context manager of %s (handle 0 for every client)",
        binder->device().c_str());
    char c = 1;
    if (write(ready[1], &c, 1) != 1)
      _exit(1);
    _exit(service(*binder));
  }
  close(ready[1]);
  char c;
  const bool up = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  int status = 1;
  std::optional<ashmem::Binder> binder;
  if (!up) {
    Fail("client", "waiting for the service", std::error_code());
  } else if (ashmem::Result<ashmem::Binder> opened = ashmem::Binder::Open(); !opened.ok()) {
    Fail("client", "opening /dev/binder", opened.error());
  } else {
    binder.emplace(std::move(opened).value());
    if (ashmem::Result<void> watched = binder->WatchDeath(ashmem::kContextManager); !watched.ok())
      Fail("client", "watching the service", watched.error());
    else
      status = client(*binder);
  }
  if (status != 0)
    kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  const bool service_ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  if (!service_ok && status == 0)
    status = Fail(name, "the service failed", std::error_code());
  if (binder && !binder->WaitForDeath(ashmem::kContextManager, std::chrono::seconds(10)).ok())
    status = Fail(name, "waiting for the kernel to release the service", std::error_code());
  return status;
}

}  // namespace demo

#endif  // ASHMEM_EXAMPLES_BINDER_EXAMPLE_H_
