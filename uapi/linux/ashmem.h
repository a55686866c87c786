/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/*
 * Anonymous shared memory (ashmem): the userspace ABI of /dev/ashmem.
 *
 * These numbers, names and layouts are Android's, bit for bit, so that
 * unmodified Android userspace (libcutils and everything built on it) works
 * against this driver.  The ABI is frozen, including its warts:
 *
 * - ASHMEM_SET_SIZE is encoded with size_t and ASHMEM_SET_PROT_MASK with
 *   unsigned long, so their numbers differ between 32-bit and 64-bit
 *   callers; both take their argument by value, not through a pointer.
 * - ASHMEM_GET_PIN_STATUS is encoded _IO() yet takes a pointer to a
 *   struct ashmem_pin.
 * - ASHMEM_GET_FILE_ID is encoded with unsigned long, so a 32-bit caller
 *   receives a 32-bit value.
 *
 * Any new ioctl must use fixed-width types, explicit padding and a flags
 * field that must be zero.
 */
#ifndef _UAPI_LINUX_ASHMEM_H
#define _UAPI_LINUX_ASHMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Size of a name buffer, including the terminating NUL. */
#define ASHMEM_NAME_LEN		256

/* The name ASHMEM_GET_NAME reports for an area that was never named. */
#define ASHMEM_NAME_DEF		"dev/ashmem"

/* Return values of ASHMEM_PIN. */
#define ASHMEM_NOT_PURGED	0
#define ASHMEM_WAS_PURGED	1

/* Return values of ASHMEM_GET_PIN_STATUS. */
#define ASHMEM_IS_UNPINNED	0
#define ASHMEM_IS_PINNED	1

/**
 * struct ashmem_pin - a byte range of an area, for the pinning ioctls
 * @offset: start of the range in bytes; a multiple of the page size
 * @len: length in bytes, a multiple of the page size; 0 means "up to the
 *	end of the area"
 *
 * The struct is eight bytes on every ABI, so it needs no compat handling.
 */
struct ashmem_pin {
	__u32 offset;
	__u32 len;
};

#define __ASHMEMIOC		0x77

/**
 * DOC: ASHMEM_SET_NAME
 *
 * Takes a pointer to a NUL-terminated name.  At most ASHMEM_NAME_LEN - 1
 * bytes are read; a longer name is truncated.  An empty name makes the area
 * unnamed again.  The name appears as /dev/ashmem/<name> in
 * /proc/<pid>/maps.  Returns 0; EFAULT for a bad pointer; EINVAL once the
 * area has been mapped.
 */
#define ASHMEM_SET_NAME		_IOW(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN])

/**
 * DOC: ASHMEM_GET_NAME
 *
 * Takes a pointer to a buffer of ASHMEM_NAME_LEN bytes and writes the name
 * there, or ASHMEM_NAME_DEF for an unnamed area.  Only strlen(name) + 1
 * bytes are written.  Returns 0; EFAULT for a bad pointer.
 */
#define ASHMEM_GET_NAME		_IOR(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN])

/**
 * DOC: ASHMEM_SET_SIZE
 *
 * Takes the size in bytes by value.  Any value is accepted here; mmap()
 * checks it.  Returns 0; EINVAL once the area has been mapped.
 */
#define ASHMEM_SET_SIZE		_IOW(__ASHMEMIOC, 3, size_t)

/**
 * DOC: ASHMEM_GET_SIZE
 *
 * Takes no argument.  Returns the size in bytes (0 for a new area).
 */
#define ASHMEM_GET_SIZE		_IO(__ASHMEMIOC, 4)

/**
 * DOC: ASHMEM_SET_PROT_MASK
 *
 * Takes a mask of PROT_READ, PROT_WRITE and PROT_EXEC by value.  The mask
 * can only shrink; it limits future mmap() calls and mprotect() on the
 * mappings they create, not mappings that already exist.  Returns 0;
 * EINVAL for a bit outside the current mask.
 */
#define ASHMEM_SET_PROT_MASK	_IOW(__ASHMEMIOC, 5, unsigned long)

/**
 * DOC: ASHMEM_GET_PROT_MASK
 *
 * Takes no argument.  Returns the mask (PROT_READ | PROT_WRITE | PROT_EXEC
 * for a new area).
 */
#define ASHMEM_GET_PROT_MASK	_IO(__ASHMEMIOC, 6)

/**
 * DOC: ASHMEM_PIN
 *
 * Takes a pointer to a struct ashmem_pin and pins that range again, so the
 * kernel may no longer purge it.  Returns ASHMEM_WAS_PURGED if any part of
 * the range was purged while unpinned (its content then reads as zeros),
 * else ASHMEM_NOT_PURGED.  EFAULT for a bad pointer; EINVAL for an
 * unaligned, overflowing or out-of-bounds range, or an area not yet mapped;
 * ENOMEM when the range bookkeeping cannot be allocated.
 */
#define ASHMEM_PIN		_IOW(__ASHMEMIOC, 7, struct ashmem_pin)

/**
 * DOC: ASHMEM_UNPIN
 *
 * Takes a pointer to a struct ashmem_pin and unpins that range: under
 * memory pressure the kernel may purge it, least recently unpinned first.
 * Returns 0; errors as for ASHMEM_PIN.
 */
#define ASHMEM_UNPIN		_IOW(__ASHMEMIOC, 8, struct ashmem_pin)

/**
 * DOC: ASHMEM_GET_PIN_STATUS
 *
 * Takes a pointer to a struct ashmem_pin, despite the _IO() encoding.
 * Returns ASHMEM_IS_UNPINNED if any page of the range is unpinned, else
 * ASHMEM_IS_PINNED; errors as for ASHMEM_PIN.
 */
#define ASHMEM_GET_PIN_STATUS	_IO(__ASHMEMIOC, 9)

/**
 * DOC: ASHMEM_PURGE_ALL_CACHES
 *
 * Takes no argument.  Purges every unpinned range of every area and
 * returns the number of unpinned, not yet purged pages there were.
 * Requires CAP_SYS_ADMIN (EPERM otherwise).
 */
#define ASHMEM_PURGE_ALL_CACHES	_IO(__ASHMEMIOC, 10)

/**
 * DOC: ASHMEM_GET_FILE_ID
 *
 * Takes a pointer to an unsigned long and stores there the inode number of
 * the area's backing file, which identifies the area.  Returns 0; EINVAL
 * if the area was never mapped; EFAULT for a bad pointer.
 */
#define ASHMEM_GET_FILE_ID	_IOR(__ASHMEMIOC, 11, unsigned long)

#endif /* _UAPI_LINUX_ASHMEM_H */
