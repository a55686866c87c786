/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A C program using an installed libashmem: creates a region, maps it,
 * writes, narrows it to read-only and checks what the C API reports.
 */
#include <cutils/ashmem.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  const size_t size = 4096;
  int fd = ashmem_create_region("c-consumer", size);
  char* p;

  if (fd < 0)
    return fprintf(stderr, "create: %s\n", strerror(errno)), 1;
  if (ashmem_valid(fd) != 1 || ashmem_get_size_region(fd) != (int)size)
    return fprintf(stderr, "valid/size wrong\n"), 1;
  p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return fprintf(stderr, "mmap: %s\n", strerror(errno)), 1;
  strcpy(p, "from C");
  if (ashmem_set_prot_region(fd, PROT_READ) != 0)
    return fprintf(stderr, "set_prot: %s\n", strerror(errno)), 1;
  if (mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) != MAP_FAILED)
    return fprintf(stderr, "read-only region mapped writable\n"), 1;
  if (ashmem_pin_region(fd, 0, 0) != ASHMEM_NOT_PURGED || strcmp(p, "from C") != 0)
    return fprintf(stderr, "pin/content wrong\n"), 1;
  munmap(p, size);
  close(fd);
  printf("c_consumer: the C API of an installed libashmem works from a C-only project\n");
  return 0;
}
