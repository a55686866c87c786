/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks written the way Android code uses libcutils: plain C, only
 * <cutils/ashmem.h> and libc.  They prove the drop-in claim by compiling as
 * C against libashmem's header and passing on either backend.
 */
#ifndef LIBASHMEM_TESTS_DROPIN_LIBCUTILS_CHECKS_H_
#define LIBASHMEM_TESTS_DROPIN_LIBCUTILS_CHECKS_H_

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs every check, reports each failure on log, returns how many failed. */
int libcutils_checks(FILE* log);

#ifdef __cplusplus
}
#endif

#endif /* LIBASHMEM_TESTS_DROPIN_LIBCUTILS_CHECKS_H_ */
