/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A program written against Android's libcutils ashmem API, unchanged:
 * only the six functions of <cutils/ashmem.h>, and libc.
 */
#define _GNU_SOURCE
#include "libcutils_checks.h"

#include <cutils/ashmem.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(log, failures, cond)                                                              \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      fprintf(log, "libcutils check failed: %s (%s:%d, errno %d)\n", #cond, __FILE__, __LINE__, \
              errno);                                                                           \
      (failures)++;                                                                             \
    }                                                                                           \
  } while (0)

int libcutils_checks(FILE* log) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t size = 4 * page;
  int failures = 0;
  char *rw, *ro;
  int fd, null_fd;

  fd = ashmem_create_region("dropin", size);
  CHECK(log, failures, fd >= 0);
  if (fd < 0)
    return failures;
  CHECK(log, failures, ashmem_valid(fd) == 1);
  CHECK(log, failures, ashmem_get_size_region(fd) == (int)size);
  CHECK(log, failures, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);

  rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(log, failures, rw != MAP_FAILED);
  if (rw == MAP_FAILED) {
    close(fd);
    return failures;
  }
  strcpy(rw, "written before sharing");

  CHECK(log, failures, ashmem_unpin_region(fd, page, 0) == 0);
  CHECK(log, failures, ashmem_pin_region(fd, page, 0) >= ASHMEM_NOT_PURGED);
  CHECK(log, failures, ashmem_pin_region(fd, 1, page) == -1 && errno == EINVAL);

  CHECK(log, failures, ashmem_set_prot_region(fd, PROT_READ) == 0);
  CHECK(log, failures, ashmem_set_prot_region(fd, PROT_READ | PROT_WRITE) == -1 && errno == EINVAL);
  CHECK(
      log, failures,
      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
  ro = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(log, failures, ro != MAP_FAILED);
  if (ro != MAP_FAILED) {
    CHECK(log, failures, strcmp(ro, "written before sharing") == 0);
    munmap(ro, size);
  }

  null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(log, failures, ashmem_valid(null_fd) == 0);
  CHECK(log, failures, ashmem_get_size_region(null_fd) == -1 && errno == ENOTTY);
  close(null_fd);
  CHECK(log, failures, ashmem_get_size_region(null_fd) == -1 && errno == EBADF);

  munmap(rw, size);
  close(fd);
  return failures;
}
