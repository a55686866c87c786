/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ashmem: structures shared by the files of the driver.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */
#ifndef _ASHMEM_INTERNAL_H
#define _ASHMEM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <linux/ashmem.h>

/* Every backing file's name starts with this, so maps show /dev/ashmem/... */
#define ASHMEM_NAME_PREFIX	"dev/ashmem/"
#define ASHMEM_NAME_PREFIX_LEN	(sizeof(ASHMEM_NAME_PREFIX) - 1)
#define ASHMEM_FULL_NAME_LEN	(ASHMEM_NAME_LEN + ASHMEM_NAME_PREFIX_LEN)

/* The protection bits an area can grant, and the mask of a new area. */
#define ASHMEM_PROT_ALL		(PROT_READ | PROT_WRITE | PROT_EXEC)

/* The numbers a 32-bit process uses for the ioctls encoded with a long. */
#define COMPAT_ASHMEM_SET_SIZE		_IOW(__ASHMEMIOC, 3, compat_size_t)
#define COMPAT_ASHMEM_SET_PROT_MASK	_IOW(__ASHMEMIOC, 5, unsigned int)
#define COMPAT_ASHMEM_GET_FILE_ID	_IOR(__ASHMEMIOC, 11, unsigned int)

/**
 * DOC: Locking
 *
 * Two kinds of lock, always taken in this order:
 *
 * 1. &ashmem_area.mutex, one per area.  It protects everything in the area:
 *    its name, size, mask, backing file and its set of unpinned ranges
 *    (the tree and each range's bounds and purged flag).  Operations on
 *    different areas never wait for each other.  mmap() takes it with the
 *    mmap lock held, so nothing may fault on user memory while holding it:
 *    user copies happen before it is taken or after it is dropped.
 *
 * 2. The list locks of the LRU of unpinned, not yet purged ranges, a
 *    list_lru with one list per node and memory cgroup (in ashmem_shrinker.c).
 *    They protect the lists (&ashmem_range.lru) and are held only for list
 *    updates and for the shrinker's walk; the page count beside them is an
 *    atomic.
 *
 * The shrinker runs in reclaim, maybe under a caller that holds an area
 * mutex and allocates.  So it never sleeps on a lock: it walks a list under
 * its lock and only *tries* the area mutex of each range it meets (lockdep
 * accepts the reverse order for a trylock).  Holding both, it marks the
 * range purged, takes it off the list, takes a reference on the backing
 * file and counts itself in &ashmem_area.purges_in_flight.  It then drops
 * every lock and punches the hole.  ASHMEM_PIN waits, under the area
 * mutex, until no purge of its area is in flight, so that a range that PIN
 * has returned can never be zeroed by a late hole punch; release waits the
 * same way before it frees the area.  The shrinker never takes the mutex
 * again once it dropped it, so neither wait can deadlock.
 *
 * The hole punch truncates the page range without the backing inode's
 * i_rwsem (shmem_truncate_range(), as DRM's shmem helpers do in their
 * shrinkers): others allocate under that lock (a huge page split in a
 * MADV_REMOVE, an xattr set through a reopened backing file, any write to
 * tmpfs), so reclaim must never wait for it.  It takes page locks, as
 * reclaim itself does, and runs in a GFP_NOFS scope, so that an allocation
 * it makes (splitting a huge page) never recurses into the shrinker, which
 * could find a range inside the very page it holds locked.
 * Nothing in ashmem takes i_rwsem; nothing of ashmem is taken under it.
 */

/**
 * DOC: Backing files
 *
 * An area's content is a shmem file made by the first mmap().  The
 * area, and every mapping through its vm_file, holds that struct file, whose
 * file operations are the driver's copy of shmem's: they refuse mmap() and
 * write, and pin the module.  The inode behind it is left exactly as shmem
 * made it (operations, lock classes), so that nothing a process can keep
 * after the last area and mapping are gone -- a backing file reopened
 * through /proc/<pid>/map_files, an O_PATH file or a bind mount of one --
 * points into the module: it may be unloaded, and such a file stays a
 * plain shmem file.
 *
 * The inode's seals carry the area's rules to every other file of it:
 * %F_SEAL_SHRINK and %F_SEAL_GROW from the start (the size is the area's),
 * and %F_SEAL_FUTURE_WRITE as soon as the mask lacks %PROT_WRITE, so that
 * no reopened file can write, punch or map writable a read-only area.
 * shmem's own %F_SEAL_SEAL keeps userspace from changing them.
 */

/**
 * struct ashmem_area - one area: the state behind one open of /dev/ashmem
 * @mutex: protects every field below except @purges_in_flight
 * @name: "dev/ashmem/" followed by the user's name, or only the prefix if
 *	the area was never named
 * @file: the shmem backing file, created by the first successful mmap();
 *	%NULL before.  Once set, it never changes and the name and size are
 *	frozen.
 * @size: the size set by ASHMEM_SET_SIZE, in bytes (not page aligned)
 * @prot_mask: the PROT_* bits mmap() may grant; can only shrink
 * @unpinned: the unpinned ranges, an rbtree of &struct ashmem_range
 *	ordered by page; ranges never overlap
 * @spare: a range object kept for the next PIN or UNPIN that needs one,
 *	so that a pair of them allocates nothing; %NULL if none.  It is in
 *	no tree and on no LRU.
 * @purges_in_flight: hole punches of this area's ranges under way in the
 *	shrinker with every lock dropped; waited for on ashmem_purge_wait
 */
struct ashmem_area {
	struct mutex mutex;	/* see "DOC: Locking" */
	char name[ASHMEM_FULL_NAME_LEN];
	struct file *file;
	size_t size;
	unsigned long prot_mask;
	struct rb_root unpinned;
	struct ashmem_range *spare;
	atomic_t purges_in_flight;
};

/**
 * struct ashmem_range - a run of unpinned pages of one area
 * @node: in &ashmem_area.unpinned; protected by the area mutex
 * @lru: on the LRU while not purged, in the list of the node and memory
 *	cgroup the range was charged to; protected by that list's lock, and
 *	taken off it only under the area mutex.  Empty (list_empty()) when
 *	off the LRU.
 * @asma: the area this range belongs to (invariant)
 * @pgstart: first page, inclusive; protected by the area mutex
 * @pgend: last page, inclusive; protected by the area mutex
 * @purged: whether the shrinker punched this range (or a range merged into
 *	it); protected by the area mutex.  A purged range stays in the tree
 *	so that ASHMEM_PIN can report it, but is never on the LRU.
 */
struct ashmem_range {
	struct rb_node node;
	struct list_head lru;
	struct ashmem_area *asma;
	pgoff_t pgstart;
	pgoff_t pgend;
	bool purged;
};

static inline pgoff_t ashmem_range_pages(const struct ashmem_range *range)
{
	return range->pgend - range->pgstart + 1;
}

/* ashmem_range.c: the set of unpinned ranges of an area */
int ashmem_range_init(void);
void ashmem_range_exit(void);
struct ashmem_range *ashmem_range_alloc(void);
void ashmem_range_free(struct ashmem_range *range);
struct ashmem_range *ashmem_range_keep(struct ashmem_area *asma,
				       struct ashmem_range *range);
int ashmem_range_unpin(struct ashmem_area *asma, pgoff_t pgstart,
		       pgoff_t pgend, struct ashmem_range **prealloc);
int ashmem_range_pin(struct ashmem_area *asma, pgoff_t pgstart, pgoff_t pgend,
		     struct ashmem_range **prealloc);
int ashmem_range_pin_status(struct ashmem_area *asma, pgoff_t pgstart,
			    pgoff_t pgend);
void ashmem_range_clear(struct ashmem_area *asma);
void ashmem_range_count(struct ashmem_area *asma, unsigned long *unpinned,
			unsigned long *purged);

/* ashmem_main.c */
void ashmem_punch_hole(struct file *file, loff_t start, loff_t len);

/* ashmem_shrinker.c: the global LRU, the shrinker and the counters */
extern wait_queue_head_t ashmem_purge_wait;
int ashmem_shrinker_init(void);
void ashmem_shrinker_exit(void);
struct kmem_cache;
struct ashmem_range *ashmem_range_cache_alloc(struct kmem_cache *cache);
void ashmem_lru_add(struct ashmem_range *range);
void ashmem_lru_del(struct ashmem_range *range);
void ashmem_lru_resize(struct ashmem_range *range, pgoff_t pgstart,
		       pgoff_t pgend);
unsigned long ashmem_purge_all(void);

/**
 * struct ashmem_stats - global counters, shown in debugfs
 * @areas: areas that exist (open files of /dev/ashmem)
 * @bytes: sum of the sizes of the areas that have a backing file
 * @lru_pages: unpinned pages not yet purged (on the LRU)
 * @purged_pages: pages purged since the module was loaded
 * @reclaim_pages: those of @purged_pages that the kernel's reclaim asked
 *	for through the shrinker (memory pressure, drop_caches), rather
 *	than ASHMEM_PURGE_ALL_CACHES
 * @freed_pages: pages that purges gave back to the page allocator (the
 *	resident part of @purged_pages); what the shrinker credits to
 *	reclaim is the reclaim share of these
 * @shrinker_scans: purge passes, from the shrinker or PURGE_ALL_CACHES
 */
struct ashmem_stats {
	atomic_long_t areas;
	atomic_long_t bytes;
	atomic_long_t lru_pages;
	atomic_long_t purged_pages;
	atomic_long_t reclaim_pages;
	atomic_long_t freed_pages;
	atomic_long_t shrinker_scans;
};

extern struct ashmem_stats ashmem_stats;

#endif /* _ASHMEM_INTERNAL_H */
