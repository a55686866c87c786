/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libcutils ashmem API, for code written against Android's
 * <cutils/ashmem.h>: the same six functions with the same signatures, and
 * libcutils' contract wherever Android code meets ours (its regions, seals,
 * device names and return values), so that such code builds and behaves
 * unchanged on Linux.  The deliberate differences (this library never
 * aborts, rejects pin ranges beyond 32 bits instead of truncating them, and
 * fails with EOVERFLOW instead of returning a wrong size past 2 GiB) are
 * listed in Documentation/libashmem.rst.
 *
 * Every function returns a value >= 0 on success and -1 with errno set on
 * failure.  A file descriptor that is neither an ashmem region nor a region
 * of the memfd backend fails with ENOTTY (EBADF if it is not open at all).
 * Interrupted system calls are retried; errno is preserved across cleanup.
 * Nothing here aborts, logs or throws.
 *
 * A region comes from /dev/ashmem when the device is present, else from
 * memfd_create(); ASHMEM_BACKEND=ashmem|memfd in the environment forces
 * one (see Documentation/libashmem.rst).  The C++ API in <ashmem/region.h>
 * is the same library with typed handles.
 */
#ifndef LIBASHMEM_CUTILS_ASHMEM_H_
#define LIBASHMEM_CUTILS_ASHMEM_H_

#include <stddef.h>

/* ashmem_pin_region() returns one of these, as the kernel's ASHMEM_PIN does. */
#ifndef ASHMEM_NOT_PURGED
#define ASHMEM_NOT_PURGED 0
#endif
#ifndef ASHMEM_WAS_PURGED
#define ASHMEM_WAS_PURGED 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns 1 if fd is a region (an open /dev/ashmem, validated by its device
 * number, or a memfd carrying F_SEAL_GROW and F_SEAL_SHRINK, as libcutils
 * makes them; further seals such as F_SEAL_FUTURE_WRITE, F_SEAL_SEAL or
 * F_SEAL_EXEC are accepted), 0 if it is not.  Never sets errno on a
 * successful check.
 */
int ashmem_valid(int fd);

/*
 * Creates a region of size bytes named name (may be NULL; a longer name is
 * cut to what the backend stores: 255 bytes on ashmem, 249 on memfd) and
 * returns its fd, owned by the caller and
 * close-on-exec.  The region reads as zeros, is pinned, and may be mapped
 * with any protection until ashmem_set_prot_region() narrows it.
 * Fails with EINVAL for a size that does not fit in off_t, or with the
 * error of open(), memfd_create() or the kernel.
 */
int ashmem_create_region(const char* name, size_t size);

/*
 * Narrows the protections with which the region may be mapped from now on
 * (PROT_READ, PROT_WRITE, PROT_EXEC); existing mappings keep theirs.  The
 * set can only shrink: asking for a bit that was already removed, or an
 * unknown bit, fails with EINVAL.  Returns 0.  The memfd backend can only
 * remove PROT_WRITE (by sealing); other bits are accepted and not enforced.
 */
int ashmem_set_prot_region(int fd, int prot);

/*
 * Pins [offset, offset + len) again (len 0: to the end) so the kernel may no
 * longer purge it.  Returns ASHMEM_WAS_PURGED if part of the range was
 * purged while it was unpinned (that part now reads as zeros), else
 * ASHMEM_NOT_PURGED.  offset and len must be page-aligned and inside the
 * region (EINVAL otherwise).  The memfd backend never purges.
 */
int ashmem_pin_region(int fd, size_t offset, size_t len);

/*
 * Unpins [offset, offset + len) (len 0: to the end): under memory pressure
 * the kernel may now drop its contents.  Returns 0; fails as for
 * ashmem_pin_region().
 */
int ashmem_unpin_region(int fd, size_t offset, size_t len);

/* Returns the size of the region in bytes. */
int ashmem_get_size_region(int fd);

#ifdef __cplusplus
}
#endif

#endif /* LIBASHMEM_CUTILS_ASHMEM_H_ */
