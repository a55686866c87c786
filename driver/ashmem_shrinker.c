// SPDX-License-Identifier: GPL-2.0
/*
 * ashmem: the LRU of unpinned ranges and the shrinker that purges them.
 *
 * Every unpinned, not yet purged range of every area sits on one global
 * list, least recently unpinned at the head.  Under memory pressure the
 * shrinker takes ranges from the head and punches their pages out of the
 * backing shmem file: the memory is freed at once and the pages read back as
 * zeros.  This is the only file that deals with reclaim; see "DOC: Locking"
 * in ashmem_internal.h for the rules it follows.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */

#define pr_fmt(fmt) "ashmem: " fmt

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>

#include "ashmem_compat.h"
#include "ashmem_internal.h"

/* Ranges of busy areas one claim may skip before the scan gives up. */
#define ASHMEM_BUSY_LIMIT	64

static DEFINE_SPINLOCK(ashmem_lru_lock);
static LIST_HEAD(ashmem_lru);

/* Woken whenever a purge of some area finishes its hole punch. */
DECLARE_WAIT_QUEUE_HEAD(ashmem_purge_wait);

struct ashmem_stats ashmem_stats;
EXPORT_SYMBOL_IF_KUNIT(ashmem_stats);

static struct dentry *ashmem_debugfs_dir;
static struct shrinker *ashmem_shrinker;

/**
 * ashmem_lru_add() - put a range that is not purged on the LRU
 * @range: the range; its bounds are final
 * @after: %NULL to add @range as the most recently unpinned, or a range on
 *	the LRU whose age @range takes (the other half of a split)
 *
 * Context: Holds the area mutex; takes ashmem_lru_lock.
 */
void ashmem_lru_add(struct ashmem_range *range, struct ashmem_range *after)
{
	spin_lock(&ashmem_lru_lock);
	if (after && !list_empty(&after->lru))
		list_add(&range->lru, &after->lru);
	else
		list_add_tail(&range->lru, &ashmem_lru);
	atomic_long_add(ashmem_range_pages(range), &ashmem_stats.lru_pages);
	spin_unlock(&ashmem_lru_lock);
}

/**
 * ashmem_lru_del() - take a range off the LRU if it is there
 * @range: the range
 *
 * Context: Holds the area mutex; takes ashmem_lru_lock.
 */
void ashmem_lru_del(struct ashmem_range *range)
{
	spin_lock(&ashmem_lru_lock);
	if (!list_empty(&range->lru)) {
		list_del_init(&range->lru);
		atomic_long_sub(ashmem_range_pages(range),
				&ashmem_stats.lru_pages);
	}
	spin_unlock(&ashmem_lru_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_lru_del);

/**
 * ashmem_lru_resize() - change the bounds of a range, on the LRU or not
 * @range: the range
 * @pgstart: its new first page
 * @pgend: its new last page
 *
 * Context: Holds the area mutex; takes ashmem_lru_lock.
 */
void ashmem_lru_resize(struct ashmem_range *range, pgoff_t pgstart,
		       pgoff_t pgend)
{
	spin_lock(&ashmem_lru_lock);
	if (!list_empty(&range->lru))
		atomic_long_sub(ashmem_range_pages(range),
				&ashmem_stats.lru_pages);
	range->pgstart = pgstart;
	range->pgend = pgend;
	if (!list_empty(&range->lru))
		atomic_long_add(ashmem_range_pages(range),
				&ashmem_stats.lru_pages);
	spin_unlock(&ashmem_lru_lock);
}

/*
 * Claim the oldest range whose area mutex is free: mark it purged, take it
 * off the LRU, pin its backing file and count the purge as in flight.  The
 * ranges of busy areas are passed over where they are, keeping their age;
 * after ASHMEM_BUSY_LIMIT of those the scan gives up, so the spinlock is
 * never held for long.  Sets @first and @pages to the range's first page
 * and length.
 * Returns the area (with its mutex dropped again), or NULL.
 */
static struct ashmem_area *claim_oldest(struct file **file, pgoff_t *first,
					unsigned long *pages)
{
	struct ashmem_range *range;
	struct ashmem_area *asma;
	unsigned long busy = 0;

	spin_lock(&ashmem_lru_lock);
	list_for_each_entry(range, &ashmem_lru, lru) {
		asma = range->asma;
		/* the range is on the LRU, so its area is not yet released */
		if (!mutex_trylock(&asma->mutex)) {
			if (++busy > ASHMEM_BUSY_LIMIT)
				break;
			continue;
		}
		range->purged = true;
		*pages = ashmem_range_pages(range);
		list_del_init(&range->lru);
		atomic_long_sub(*pages, &ashmem_stats.lru_pages);
		*file = get_file(asma->file);
		*first = range->pgstart;
		atomic_inc(&asma->purges_in_flight);
		mutex_unlock(&asma->mutex);
		spin_unlock(&ashmem_lru_lock);
		return asma;
	}
	spin_unlock(&ashmem_lru_lock);
	return NULL;
}

/*
 * The pages of [@first, @first + @pages) that are in @mapping's page
 * cache: the most that truncating that range can give back.
 */
static unsigned long ashmem_resident_pages(struct address_space *mapping,
					   pgoff_t first, unsigned long pages)
{
	pgoff_t last = first + pages - 1, index = first;
	unsigned long resident = 0;
	struct folio_batch fbatch;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t from = max(folio->index, first);
			pgoff_t to = min(folio->index + folio_nr_pages(folio) - 1,
					 last);

			resident += to - from + 1;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return min(resident, pages);
}

/*
 * The pages that a punch of @pages pages, @before of them resident, gave
 * back: the drop of the inode's block count, but never more than were
 * resident in the range.  The block count alone is not enough: it moves
 * with faults and with other punches of the same inode meanwhile (another
 * reclaimer's, a MADV_REMOVE), in either direction.
 */
static unsigned long ashmem_freed_pages(blkcnt_t blocks_before,
					blkcnt_t blocks_after,
					unsigned long before)
{
	blkcnt_t dropped;

	if (blocks_after >= blocks_before)
		return 0;
	dropped = (blocks_before - blocks_after) >> (PAGE_SHIFT - 9);
	return min_t(blkcnt_t, dropped, before);
}

/*
 * Purge the oldest unpinned ranges until @nr_to_scan pages of ranges are
 * gone.  @reclaim: the kernel's reclaim asked (the shrinker).  @resident
 * gets the pages that the purges gave back to the page allocator (see
 * ashmem_freed_pages()); a fault in the range during the punch can only
 * make it smaller than the truth, never larger.
 */
static unsigned long ashmem_purge(unsigned long nr_to_scan, bool reclaim,
				  unsigned long *resident)
{
	unsigned long freed = 0, pages, before, gone;
	struct ashmem_area *asma;
	struct file *file;
	blkcnt_t blocks;
	unsigned int nofs;
	pgoff_t first;

	atomic_long_inc(&ashmem_stats.shrinker_scans);
	/* see "DOC: Locking": nothing below may recurse into the shrinker */
	nofs = memalloc_nofs_save();

	while (freed < nr_to_scan) {
		asma = claim_oldest(&file, &first, &pages);
		if (!asma)
			break;
		/*
		 * No lock is held here.  The file reference keeps the backing
		 * file alive and purges_in_flight keeps the area alive.
		 */
		before = ashmem_resident_pages(file->f_mapping, first, pages);
		blocks = READ_ONCE(file_inode(file)->i_blocks);
		ashmem_punch_hole(file, (loff_t)first << PAGE_SHIFT,
				  (loff_t)pages << PAGE_SHIFT);
		gone = ashmem_freed_pages(blocks,
					  READ_ONCE(file_inode(file)->i_blocks),
					  before);
		*resident += gone;
		atomic_long_add(gone, &ashmem_stats.freed_pages);
		fput(file);
		freed += pages;
		atomic_long_add(pages, &ashmem_stats.purged_pages);
		if (reclaim)
			atomic_long_add(pages, &ashmem_stats.reclaim_pages);
		/* after this the area may be freed: touch only the wait queue */
		if (atomic_dec_and_test(&asma->purges_in_flight))
			wake_up_all(&ashmem_purge_wait);
	}
	memalloc_nofs_restore(nofs);
	return freed;
}

static unsigned long ashmem_shrink_count(struct shrinker *shrink,
					 struct shrink_control *sc)
{
	unsigned long pages = atomic_long_read(&ashmem_stats.lru_pages);

	return pages ? pages : SHRINK_EMPTY;
}

static unsigned long ashmem_shrink_scan(struct shrinker *shrink,
					struct shrink_control *sc)
{
	unsigned long freed, resident = 0;

	/* punching a hole goes through the filesystem */
	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	freed = ashmem_purge(sc->nr_to_scan, true, &resident);
	ashmem_account_reclaimed(resident);
	return freed;
}

/**
 * ashmem_purge_all() - purge every unpinned range now
 *
 * Purges what was on the LRU when it was called, oldest first, and no
 * more: ranges that others unpin meanwhile join the tail and are left, so
 * that the call ends however busy the unpinning is.
 *
 * Context: Process context; may sleep.  No ashmem lock held.
 * Return: the number of unpinned, not yet purged pages before the purge.
 */
unsigned long ashmem_purge_all(void)
{
	unsigned long pages = atomic_long_read(&ashmem_stats.lru_pages);
	unsigned long resident = 0;

	ashmem_purge(pages, false, &resident);
	return pages;
}

static int ashmem_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "areas:\t\t%ld\n", atomic_long_read(&ashmem_stats.areas));
	seq_printf(m, "bytes:\t\t%ld\n", atomic_long_read(&ashmem_stats.bytes));
	seq_printf(m, "lru_pages:\t%ld\n",
		   atomic_long_read(&ashmem_stats.lru_pages));
	seq_printf(m, "purged_pages:\t%ld\n",
		   atomic_long_read(&ashmem_stats.purged_pages));
	seq_printf(m, "reclaim_pages:\t%ld\n",
		   atomic_long_read(&ashmem_stats.reclaim_pages));
	seq_printf(m, "freed_pages:\t%ld\n",
		   atomic_long_read(&ashmem_stats.freed_pages));
	seq_printf(m, "shrinker_scans:\t%ld\n",
		   atomic_long_read(&ashmem_stats.shrinker_scans));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ashmem_stats);

/**
 * ashmem_shrinker_init() - register the shrinker and the debugfs counters
 *
 * Context: Module init.
 * Return: 0 or a negative errno.
 */
int ashmem_shrinker_init(void)
{
	int ret;

	ashmem_shrinker = ashmem_shrinker_alloc(0, "android-ashmem");
	if (!ashmem_shrinker)
		return -ENOMEM;
	ashmem_shrinker->count_objects = ashmem_shrink_count;
	ashmem_shrinker->scan_objects = ashmem_shrink_scan;
	/*
	 * DEFAULT_SEEKS rather than a higher cost: an unpinned range is
	 * memory its owner declared it can rebuild, and with a higher value
	 * a single drop_caches pass skips an LRU of fewer than a few hundred
	 * pages.
	 */
	ashmem_shrinker->seeks = DEFAULT_SEEKS;
	ret = ashmem_shrinker_register(ashmem_shrinker, "android-ashmem");
	if (ret) {
		ashmem_shrinker_free(ashmem_shrinker);
		return ret;
	}
	/* debugfs is optional: its failures are not errors */
	ashmem_debugfs_dir = debugfs_create_dir("ashmem", NULL);
	debugfs_create_file("stats", 0444, ashmem_debugfs_dir, NULL,
			    &ashmem_stats_fops);
	return 0;
}

/**
 * ashmem_shrinker_exit() - undo ashmem_shrinker_init()
 *
 * Context: Module exit, after every area is gone.
 */
void ashmem_shrinker_exit(void)
{
	debugfs_remove_recursive(ashmem_debugfs_dir);
	ashmem_shrinker_free(ashmem_shrinker);
}
