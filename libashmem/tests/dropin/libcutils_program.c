/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libcutils checks as a program of their own: builds with a plain C
 * compiler against an installed libashmem
 * (cc libcutils_program.c libcutils_checks.c $(pkg-config --cflags --libs libashmem)).
 */
#include "libcutils_checks.h"

int main(void) {
  int failures = libcutils_checks(stderr);

  if (failures) {
    fprintf(stderr, "libcutils_program: %d check(s) failed\n", failures);
    return 1;
  }
  printf("libcutils_program: all checks passed\n");
  return 0;
}
