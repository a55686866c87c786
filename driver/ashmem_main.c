// SPDX-License-Identifier: GPL-2.0
/*
 * ashmem: Android's anonymous shared memory for mainline Linux.
 *
 * Every open of /dev/ashmem is a new, empty area.  Userspace uses it so:
 *
 *	fd = open("/dev/ashmem", O_RDWR | O_CLOEXEC);
 *	ioctl(fd, ASHMEM_SET_NAME, "my-buffer");
 *	ioctl(fd, ASHMEM_SET_SIZE, size);
 *	ioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ);	(optional, only narrows)
 *	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
 *	(pass fd to another process: fork, or SCM_RIGHTS over a Unix socket)
 *	ioctl(fd, ASHMEM_UNPIN, &pin);	the kernel may now purge that range
 *	ioctl(fd, ASHMEM_PIN, &pin);	returns ASHMEM_WAS_PURGED if it did
 *
 * The first mmap() creates the area's backing shmem file; from then on the
 * name and size are frozen.  This file holds the device, its file
 * operations and the ioctls; ashmem_range.c keeps the unpinned ranges and
 * ashmem_shrinker.c purges them.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */

#define pr_fmt(fmt) "ashmem: " fmt

#include <linux/compat.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/overflow.h>
#include <linux/personality.h>
#include <linux/seq_file.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "ashmem_compat.h"
#include "ashmem_internal.h"

static bool strict_unpin;
module_param(strict_unpin, bool, 0644);
MODULE_PARM_DESC(strict_unpin,
		 "refuse ASHMEM_UNPIN (EPERM) on areas whose mask lacks PROT_WRITE (default: N, as Android)");

static struct kmem_cache *ashmem_area_cache;

/*
 * shmem's file operations, and the copy that the backing file itself gets
 * (the struct file the area and its mappings hold; see "DOC: Backing
 * files").  The copy refuses mmap(), so that a mapping can never be
 * re-created through its vm_file without the area's mask (CVE-2020-0009:
 * remap_file_pages() did that), and has no write; it keeps fallocate(),
 * which only a writable shared mapping can reach (MADV_REMOVE).
 */
static const struct file_operations *ashmem_shmem_fops;
static struct file_operations ashmem_vmfile_fops;

static int ashmem_vmfile_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -EPERM;
}

/**
 * ashmem_seal_backing() - make the backing inode enforce the area's rules
 * @asma: the area, which has a backing file
 *
 * The size can never change, through any file of the inode, and once the
 * mask lacks %PROT_WRITE no file of the inode can gain write access: no
 * write(), no hole punch, no new writable shared mapping.  Mappings that
 * are writable already stay so, as with the mask itself.  Seals only ever
 * grow, as the mask only ever shrinks; shmem keeps %F_SEAL_SEAL on the
 * inodes it makes, so userspace cannot change them.
 *
 * Context: Holds the area mutex (which serialises the only writer of the
 * seals); takes no other lock.
 */
static void ashmem_seal_backing(struct ashmem_area *asma)
{
	struct shmem_inode_info *info = SHMEM_I(file_inode(asma->file));
	unsigned int seals = F_SEAL_SHRINK | F_SEAL_GROW;

	lockdep_assert_held(&asma->mutex);

	if (!(asma->prot_mask & PROT_WRITE))
		seals |= F_SEAL_FUTURE_WRITE;
	WRITE_ONCE(info->seals, READ_ONCE(info->seals) | seals);
}

/**
 * ashmem_punch_hole() - free pages of a backing file; they read back as 0
 * @file: the backing file
 * @start: first byte, page aligned
 * @len: length in bytes, page aligned
 *
 * Truncates the page range directly, without the inode's i_rwsem, so that
 * reclaim never waits for a lock under which others allocate (see "DOC:
 * Locking").  The range is unmapped from every mapping first, in one pass
 * over the mappings as fallocate() does: truncation alone would unmap page
 * by page, which takes twice as long for a mapped area.  Both take the
 * mapping's i_mmap_rwsem for reading only, as the truncation of a mapped
 * page takes it anyway.  A huge page that the range covers only in part
 * is split, or its part zeroed if it cannot be.
 *
 * Context: Process context; may sleep on page locks.  No ashmem lock held.
 */
void ashmem_punch_hole(struct file *file, loff_t start, loff_t len)
{
	unmap_mapping_range(file->f_mapping, start, len, 0);
	shmem_truncate_range(file_inode(file), start, start + len - 1);
}

/* The VM_MAY* flags that correspond to the PROT_* bits in @prot. */
static unsigned long ashmem_vm_may_flags(unsigned long prot)
{
	return (prot & PROT_READ ? VM_MAYREAD : 0) |
	       (prot & PROT_WRITE ? VM_MAYWRITE : 0) |
	       (prot & PROT_EXEC ? VM_MAYEXEC : 0);
}

/* ->open: every open is a new area of size 0 with every permission. */
static int ashmem_open(struct inode *inode, struct file *file)
{
	struct ashmem_area *asma;
	int ret;

	ret = generic_file_open(inode, file);
	if (ret)
		return ret;

	asma = kmem_cache_zalloc(ashmem_area_cache, GFP_KERNEL_ACCOUNT);
	if (!asma)
		return -ENOMEM;
	mutex_init(&asma->mutex);
	memcpy(asma->name, ASHMEM_NAME_PREFIX, ASHMEM_NAME_PREFIX_LEN);
	asma->prot_mask = ASHMEM_PROT_ALL;
	asma->unpinned = RB_ROOT;
	atomic_set(&asma->purges_in_flight, 0);
	file->private_data = asma;
	atomic_long_inc(&ashmem_stats.areas);
	return 0;
}

/*
 * ->release: the last reference to the area is gone.  Its mappings hold
 * the backing file and live on.
 */
static int ashmem_release(struct inode *ignored, struct file *file)
{
	struct ashmem_area *asma = file->private_data;

	mutex_lock(&asma->mutex);
	ashmem_range_clear(asma);
	mutex_unlock(&asma->mutex);
	/* a purge claimed before the clear may still be punching */
	wait_event(ashmem_purge_wait, !atomic_read(&asma->purges_in_flight));

	if (asma->file) {
		atomic_long_sub(asma->size, &ashmem_stats.bytes);
		fput(asma->file);
	}
	atomic_long_dec(&ashmem_stats.areas);
	mutex_destroy(&asma->mutex);
	kmem_cache_free(ashmem_area_cache, asma);
	return 0;
}

/*
 * Return the backing file, or an error pointer: 0 bytes to read for an
 * area of size 0 (NULL), EBADF for one that was never mapped.  The file
 * stays valid while the caller's reference to the area's file does.
 */
static struct file *ashmem_backing(struct ashmem_area *asma, int if_empty)
{
	struct file *backing;

	mutex_lock(&asma->mutex);
	if (!asma->size)
		backing = if_empty ? ERR_PTR(if_empty) : NULL;
	else if (!asma->file)
		backing = ERR_PTR(-EBADF);
	else
		backing = asma->file;
	mutex_unlock(&asma->mutex);
	return backing;
}

/* ->read_iter: read the content at the file position; holes read as 0. */
static ssize_t ashmem_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct ashmem_area *asma = iocb->ki_filp->private_data;
	struct file *backing;

	backing = ashmem_backing(asma, 0);
	if (IS_ERR_OR_NULL(backing))
		return PTR_ERR_OR_ZERO(backing);
	/* no lock held: the copy may fault, even on a mapping of this area */
	return vfs_iter_read(backing, iter, &iocb->ki_pos, 0);
}

/*
 * ->llseek: seek in the content as in a shmem file of the area's size,
 * SEEK_DATA and SEEK_HOLE included.
 */
static loff_t ashmem_llseek(struct file *file, loff_t offset, int whence)
{
	struct ashmem_area *asma = file->private_data;
	struct file *backing;
	loff_t ret;

	backing = ashmem_backing(asma, -EINVAL);
	if (IS_ERR(backing))
		return PTR_ERR(backing);

	/* the position is this file's, not the backing file's */
	if (whence == SEEK_CUR) {
		if (check_add_overflow(offset, file->f_pos, &offset))
			return -EINVAL;
		whence = SEEK_SET;
	}
	ret = vfs_llseek(backing, offset, whence);
	if (ret >= 0)
		file->f_pos = ret;
	return ret;
}

/* Create the backing file of an area.  Called with the area mutex held. */
static int ashmem_create_backing(struct ashmem_area *asma,
				 unsigned long vm_flags)
{
	const char *name = ASHMEM_NAME_DEF;
	struct file *file;

	lockdep_assert_held(&asma->mutex);

	if (asma->name[ASHMEM_NAME_PREFIX_LEN])
		name = asma->name;
	/* VM_NORESERVE of the first mapping decides the memory accounting */
	file = ashmem_shmem_file_setup(name, asma->size, vm_flags);
	if (IS_ERR(file)) {
		/* shmem says ENOSPC when it cannot get an inode: out of memory */
		return PTR_ERR(file) == -ENOSPC ? -ENOMEM : PTR_ERR(file);
	}

	file->f_mode |= FMODE_LSEEK;
	/*
	 * Only this file gets the restricted operations; its inode stays
	 * shmem's own, and the seals restrict every other file of it.  The
	 * file holds a module reference, dropped by fput().
	 */
	fops_put(file->f_op);
	__module_get(THIS_MODULE);
	file->f_op = &ashmem_vmfile_fops;

	asma->file = file;
	ashmem_seal_backing(asma);
	atomic_long_add(asma->size, &ashmem_stats.bytes);
	return 0;
}

/*
 * ->mmap: map the area.  MAP_SHARED maps its content, MAP_PRIVATE gives
 * private, zero-filled copy-on-write memory.  Both are limited to the
 * area's mask, now and through later mprotect() calls.
 */
static int ashmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ashmem_area *asma = file->private_data;
	unsigned long denied;
	int ret = 0;

	mutex_lock(&asma->mutex);

	/* PAGE_ALIGN() of a size near SIZE_MAX wraps to 0: refused too */
	if (!asma->size ||
	    vma->vm_end - vma->vm_start > PAGE_ALIGN(asma->size)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	denied = calc_vm_prot_bits(ASHMEM_PROT_ALL & ~asma->prot_mask, 0);
	if (vma->vm_flags & denied) {
		ret = -EPERM;
		goto out_unlock;
	}
	ashmem_vm_flags_clear(vma, ashmem_vm_may_flags(~asma->prot_mask));

	if (!asma->file) {
		ret = ashmem_create_backing(asma, vma->vm_flags);
		if (ret)
			goto out_unlock;
	}

	if (vma->vm_flags & VM_SHARED) {
		/* shmem's own mmap, not the refusing one of the copy */
		ret = ashmem_shmem_mmap(ashmem_shmem_fops, asma->file, vma);
		if (ret)
			goto out_unlock;
	} else {
		vma_set_anonymous(vma);
	}
	vma_set_file(vma, asma->file);

out_unlock:
	mutex_unlock(&asma->mutex);
	return ret;
}

static long ashmem_set_name(struct ashmem_area *asma, void __user *uname)
{
	char name[ASHMEM_NAME_LEN];
	long len;
	long ret = 0;

	/* copy before locking: the copy may fault, and mmap() holds the lock */
	len = strncpy_from_user(name, uname, sizeof(name));
	if (len < 0)
		return -EFAULT;
	/* a name that fills the buffer is cut to ASHMEM_NAME_LEN - 1 bytes */
	name[sizeof(name) - 1] = '\0';

	mutex_lock(&asma->mutex);
	if (asma->file)
		ret = -EINVAL;
	else
		strscpy(asma->name + ASHMEM_NAME_PREFIX_LEN, name,
			sizeof(asma->name) - ASHMEM_NAME_PREFIX_LEN);
	mutex_unlock(&asma->mutex);
	return ret;
}

static long ashmem_get_name(struct ashmem_area *asma, void __user *uname)
{
	char name[ASHMEM_NAME_LEN];
	size_t len;

	mutex_lock(&asma->mutex);
	if (asma->name[ASHMEM_NAME_PREFIX_LEN]) {
		len = strlen(asma->name + ASHMEM_NAME_PREFIX_LEN) + 1;
		memcpy(name, asma->name + ASHMEM_NAME_PREFIX_LEN, len);
	} else {
		len = sizeof(ASHMEM_NAME_DEF);
		memcpy(name, ASHMEM_NAME_DEF, len);
	}
	mutex_unlock(&asma->mutex);

	/* only the name and its NUL: the rest of the buffer stays untouched */
	if (copy_to_user(uname, name, len))
		return -EFAULT;
	return 0;
}

static long ashmem_set_size(struct ashmem_area *asma, unsigned long size)
{
	long ret = 0;

	mutex_lock(&asma->mutex);
	if (asma->file)
		ret = -EINVAL;
	else
		asma->size = size;
	mutex_unlock(&asma->mutex);
	return ret;
}

static long ashmem_get_size(struct ashmem_area *asma)
{
	long size;

	mutex_lock(&asma->mutex);
	size = asma->size;
	mutex_unlock(&asma->mutex);
	return size;
}

static long ashmem_set_prot_mask(struct ashmem_area *asma, unsigned long prot)
{
	long ret = 0;

	mutex_lock(&asma->mutex);
	if (prot & ~asma->prot_mask) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/*
	 * Under READ_IMPLIES_EXEC every PROT_READ mapping asks for exec as
	 * well.  Keep exec with read then, but only if the mask still has it:
	 * unlike Android's driver, this never widens the mask.
	 */
	if ((prot & PROT_READ) && (current->personality & READ_IMPLIES_EXEC))
		prot |= asma->prot_mask & PROT_EXEC;
	asma->prot_mask = prot;
	if (asma->file)
		ashmem_seal_backing(asma);
out_unlock:
	mutex_unlock(&asma->mutex);
	return ret;
}

static long ashmem_get_prot_mask(struct ashmem_area *asma)
{
	long prot;

	mutex_lock(&asma->mutex);
	prot = asma->prot_mask;
	mutex_unlock(&asma->mutex);
	return prot;
}

/*
 * Check a pin range against the area and turn it into pages.  Lengths are
 * computed in 64 bits, so "len == 0" reaches the end of areas beyond 4 GiB.
 * Returns 0 with *pgend < *pgstart for the empty range at the very end.
 */
static int ashmem_pin_pages(struct ashmem_area *asma,
			    const struct ashmem_pin *pin,
			    pgoff_t *pgstart, pgoff_t *pgend)
{
	u64 end = PAGE_ALIGN(asma->size);
	u64 offset = pin->offset;
	u64 len = pin->len;

	lockdep_assert_held(&asma->mutex);

	if (!asma->file)
		return -EINVAL;
	if (!PAGE_ALIGNED(offset) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (offset > end)
		return -EINVAL;
	if (!len)
		len = end - offset;
	if (offset + len > end)
		return -EINVAL;

	*pgstart = offset >> PAGE_SHIFT;
	*pgend = *pgstart + (len >> PAGE_SHIFT) - 1;
	return 0;
}

static long ashmem_pin_unpin(struct ashmem_area *asma, unsigned int cmd,
			     void __user *upin)
{
	struct ashmem_range *prealloc = NULL;
	struct ashmem_pin pin;
	pgoff_t pgstart, pgend;
	long ret;
	u64 raw;

	/* one 8-byte load rather than a copy: this is the hot path */
	if (get_user(raw, (u64 __user *)upin))
		return -EFAULT;
	memcpy(&pin, &raw, sizeof(pin));

	/*
	 * No allocation under the mutex: it could recurse into the shrinker.
	 * The range a new unpinned range or a split needs is the area's spare
	 * (what the last PIN freed); without one, the range code says so
	 * having changed nothing, and the call allocates one and starts over.
	 */
again:
	mutex_lock(&asma->mutex);
	ret = ashmem_pin_pages(asma, &pin, &pgstart, &pgend);
	if (ret)
		goto out_unlock;

	switch (cmd) {
	case ASHMEM_PIN:
		/* a hole punch still under way must not hit what we return */
		wait_event(ashmem_purge_wait,
			   !atomic_read(&asma->purges_in_flight));
		ret = ASHMEM_NOT_PURGED;
		if (pgend >= pgstart)
			ret = ashmem_range_pin(asma, pgstart, pgend, &prealloc);
		break;
	case ASHMEM_UNPIN:
		if (READ_ONCE(strict_unpin) && !(asma->prot_mask & PROT_WRITE)) {
			ret = -EPERM;
			break;
		}
		ret = 0;
		if (pgend >= pgstart)
			ret = ashmem_range_unpin(asma, pgstart, pgend,
						 &prealloc);
		break;
	case ASHMEM_GET_PIN_STATUS:
		ret = ASHMEM_IS_PINNED;
		if (pgend >= pgstart)
			ret = ashmem_range_pin_status(asma, pgstart, pgend);
		break;
	}
	if (ret == -ENOMEM && !prealloc) {
		/* a range was needed, and nothing changed: allocate, redo */
		mutex_unlock(&asma->mutex);
		prealloc = ashmem_range_alloc();
		if (!prealloc)
			return -ENOMEM;
		goto again;
	}
	prealloc = ashmem_range_keep(asma, prealloc);
out_unlock:
	mutex_unlock(&asma->mutex);
	ashmem_range_free(prealloc);
	return ret;
}

static long ashmem_purge_all_caches(void)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return ashmem_purge_all();
}

static long ashmem_get_file_id(struct ashmem_area *asma, void __user *uid,
			       bool compat)
{
	unsigned long ino;

	mutex_lock(&asma->mutex);
	if (!asma->file) {
		mutex_unlock(&asma->mutex);
		return -EINVAL;
	}
	ino = file_inode(asma->file)->i_ino;
	mutex_unlock(&asma->mutex);

	if (compat)
		return put_user((u32)ino, (u32 __user *)uid) ? -EFAULT : 0;
	return put_user(ino, (unsigned long __user *)uid) ? -EFAULT : 0;
}

/* ->unlocked_ioctl: one handler per command; ENOTTY for any other. */
static long ashmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct ashmem_area *asma = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ASHMEM_SET_NAME:
		return ashmem_set_name(asma, uarg);
	case ASHMEM_GET_NAME:
		return ashmem_get_name(asma, uarg);
	case ASHMEM_SET_SIZE:
		return ashmem_set_size(asma, arg);
	case ASHMEM_GET_SIZE:
		return ashmem_get_size(asma);
	case ASHMEM_SET_PROT_MASK:
		return ashmem_set_prot_mask(asma, arg);
	case ASHMEM_GET_PROT_MASK:
		return ashmem_get_prot_mask(asma);
	case ASHMEM_PIN:
	case ASHMEM_UNPIN:
	case ASHMEM_GET_PIN_STATUS:
		return ashmem_pin_unpin(asma, cmd, uarg);
	case ASHMEM_PURGE_ALL_CACHES:
		return ashmem_purge_all_caches();
	case ASHMEM_GET_FILE_ID:
		return ashmem_get_file_id(asma, uarg, false);
	default:
		/* libcutils relies on ENOTTY to tell "not ashmem" */
		return -ENOTTY;
	}
}

#ifdef CONFIG_COMPAT
/*
 * ->compat_ioctl: 32-bit callers encode SET_SIZE, SET_PROT_MASK and
 * GET_FILE_ID with a 32-bit long.  Like Android's driver, the 64-bit
 * numbers are accepted from them too.
 */
static long ashmem_compat_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	switch (cmd) {
	case COMPAT_ASHMEM_SET_SIZE:
		return ashmem_ioctl(file, ASHMEM_SET_SIZE, arg);
	case COMPAT_ASHMEM_SET_PROT_MASK:
		return ashmem_ioctl(file, ASHMEM_SET_PROT_MASK, arg);
	case COMPAT_ASHMEM_GET_FILE_ID:
		return ashmem_get_file_id(file->private_data, compat_ptr(arg),
					  true);
	case ASHMEM_SET_SIZE:
	case ASHMEM_GET_SIZE:
	case ASHMEM_SET_PROT_MASK:
	case ASHMEM_GET_PROT_MASK:
	case ASHMEM_PURGE_ALL_CACHES:
		/* arguments by value */
		return ashmem_ioctl(file, cmd, arg);
	default:
		return ashmem_ioctl(file, cmd, (unsigned long)compat_ptr(arg));
	}
}
#endif

/* ->show_fdinfo: what /proc/<pid>/fdinfo/<fd> shows of the area. */
static void ashmem_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ashmem_area *asma = file->private_data;
	unsigned long unpinned, purged;

	mutex_lock(&asma->mutex);
	if (asma->file)
		seq_printf(m, "inode:\t%llu\n",
			   (unsigned long long)file_inode(asma->file)->i_ino);
	if (asma->name[ASHMEM_NAME_PREFIX_LEN]) {
		/* a name is any bytes: it must not forge the lines below */
		seq_puts(m, "name:\t");
		seq_escape(m, asma->name + ASHMEM_NAME_PREFIX_LEN, " \t\n\\");
		seq_putc(m, '\n');
	}
	seq_printf(m, "size:\t%zu\n", asma->size);
	ashmem_range_count(asma, &unpinned, &purged);
	seq_printf(m, "unpinned_pages:\t%lu\n", unpinned);
	seq_printf(m, "purged_pages:\t%lu\n", purged);
	mutex_unlock(&asma->mutex);
}

static const struct file_operations ashmem_fops = {
	.owner = THIS_MODULE,
	.open = ashmem_open,
	.release = ashmem_release,
	.read_iter = ashmem_read_iter,
	.llseek = ashmem_llseek,
	.mmap = ashmem_mmap,
	.unlocked_ioctl = ashmem_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = ashmem_compat_ioctl,
#endif
	.show_fdinfo = ashmem_show_fdinfo,
};

static struct miscdevice ashmem_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ashmem",
	.fops = &ashmem_fops,
	.mode = 0666,
};

/*
 * Learn shmem's file operations from a throwaway shmem file and derive the
 * backing file's: no mmap() (see ashmem_vmfile_mmap()), no write, and the
 * default get_unmapped_area, since shmem's expects its own fops.
 */
static int __init ashmem_vmfile_init(void)
{
	struct file *probe;

	probe = ashmem_shmem_file_setup("ashmem-probe", 0, VM_NORESERVE);
	if (IS_ERR(probe))
		return PTR_ERR(probe);
	ashmem_shmem_fops = probe->f_op;
	fput(probe);

	ashmem_vmfile_fops = *ashmem_shmem_fops;
	ashmem_vmfile_fops.owner = THIS_MODULE;
	ashmem_fops_refuse_mmap(&ashmem_vmfile_fops, ashmem_vmfile_mmap);
	ashmem_vmfile_fops.get_unmapped_area = NULL;
	ashmem_vmfile_fops.write_iter = NULL;
	ashmem_vmfile_fops.splice_write = NULL;
	return 0;
}

/*
 * A kernel with ashmem built in already has a misc device of that name;
 * registering a second one would fail with a sysfs warning.  Say why
 * instead.
 */
static int __init ashmem_check_name_free(void)
{
	struct path path;

	if (kern_path("/sys/class/misc/ashmem", 0, &path))
		return 0;
	path_put(&path);
	pr_err("a misc device named ashmem already exists (ashmem built into this kernel?)\n");
	return -EEXIST;
}

static int __init ashmem_init(void)
{
	int ret;

	ret = ashmem_check_name_free();
	if (ret)
		return ret;

	ashmem_area_cache = kmem_cache_create("ashmem_area_cache",
					      sizeof(struct ashmem_area), 0,
					      SLAB_ACCOUNT, NULL);
	if (!ashmem_area_cache)
		return -ENOMEM;

	ret = ashmem_range_init();
	if (ret)
		goto err_destroy_area_cache;

	ret = ashmem_vmfile_init();
	if (ret)
		goto err_range_exit;

	ret = ashmem_shrinker_init();
	if (ret)
		goto err_range_exit;

	ret = misc_register(&ashmem_misc);
	if (ret) {
		pr_err("failed to register misc device: %d\n", ret);
		goto err_shrinker_exit;
	}
	return 0;

err_shrinker_exit:
	ashmem_shrinker_exit();
err_range_exit:
	ashmem_range_exit();
err_destroy_area_cache:
	kmem_cache_destroy(ashmem_area_cache);
	return ret;
}

/*
 * Every area and every backing file holds a module reference, so exit runs
 * only once they are all gone.  What may outlive the module (a backing
 * inode held through /proc/<pid>/map_files, by an O_PATH file or a bind
 * mount) is shmem's alone and points at nothing of the module.
 */
static void __exit ashmem_exit(void)
{
	misc_deregister(&ashmem_misc);
	ashmem_shrinker_exit();
	ashmem_range_exit();
	kmem_cache_destroy(ashmem_area_cache);
}

module_init(ashmem_init);
module_exit(ashmem_exit);

MODULE_DESCRIPTION("Android anonymous shared memory (ashmem) for mainline Linux");
MODULE_LICENSE("GPL");
