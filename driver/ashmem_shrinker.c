// SPDX-License-Identifier: GPL-2.0
/*
 * ashmem: the LRU of unpinned ranges and the shrinker that purges them.
 *
 * Every unpinned, not yet purged range of every area sits on an LRU list,
 * least recently unpinned at the head: one list per NUMA node and memory
 * cgroup (a list_lru).  Under memory pressure the shrinker takes ranges
 * from the head of the list it is asked about and punches their pages out
 * of the backing shmem file: the memory is freed at once and the pages read
 * back as zeros.  This is the only file that deals with reclaim; see "DOC:
 * Locking" in ashmem_internal.h for the rules it follows.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */

#define pr_fmt(fmt) "ashmem: " fmt

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>

#include "ashmem_compat.h"
#include "ashmem_internal.h"

/**
 * DOC: Memory cgroups
 *
 * A range belongs to the memory cgroup of the task that unpinned it: the
 * range itself is allocated by UNPIN, charged to that cgroup, and the
 * list_lru files it under the cgroup its memory is charged to (and the
 * node it lies on).  An area keeps one freed range for its next UNPIN
 * (&ashmem_area.spare), which stays with the cgroup that allocated it.
 * The shrinker is memcg-aware, so when a cgroup reaches
 * its memory.max (or memory.high, or is told to by memory.reclaim) the
 * kernel asks it about that cgroup's lists and those below, and purges
 * their oldest ranges instead of OOM-killing a task of the group.  Global
 * reclaim visits every cgroup's lists, and ASHMEM_PURGE_ALL_CACHES walks
 * them all.
 *
 * Why the unpinner: it is the process that declared the memory
 * reclaimable, it is almost always the one that faulted the pages in (so
 * they are charged to its cgroup too: shmem pages are charged to the cgroup
 * of the task that faults them), and it is the one whose limit should
 * make it give the memory back.  When pages are charged elsewhere (another
 * container faulted them), purging still frees them but credits the
 * asking reclaim only with the pages charged within its cgroup.  The tail
 * of a range that PIN splits in two is allocated by the pinner and joins
 * the pinner's cgroup.  With kernel memory accounting off
 * (cgroup.memory=nokmem) every range is on the root lists and only global
 * reclaim purges.
 */

/* Ranges of busy areas one walk may pass over before it gives up. */
#define ASHMEM_BUSY_LIMIT	64
/* Ranges one walk claims at most, before their holes are punched. */
#define ASHMEM_CLAIM_BATCH	16

/*
 * Every unpinned, not yet purged range, on the list of its node and memory
 * cgroup: those its allocation was charged to (see ashmem_range_alloc()).
 */
static struct list_lru ashmem_lru;
/* Set once ashmem_lru is tied to the shrinker, which may run before. */
static bool ashmem_lru_ready;

/* Woken whenever a purge of some area finishes its hole punch. */
DECLARE_WAIT_QUEUE_HEAD(ashmem_purge_wait);

struct ashmem_stats ashmem_stats;
EXPORT_SYMBOL_IF_KUNIT(ashmem_stats);

static struct dentry *ashmem_debugfs_dir;
static struct shrinker *ashmem_shrinker;

/**
 * ashmem_range_cache_alloc() - allocate a range charged to the caller
 * @cache: the range cache (%SLAB_ACCOUNT)
 *
 * The range is charged to the memory cgroup of the calling task, on the
 * node it runs on, and the lists of ashmem_lru for that cgroup exist once
 * this returns, so that ashmem_lru_add() cannot fail.
 *
 * Context: Process context; may sleep.  No ashmem lock held.
 * Return: a zeroed range, or %NULL when out of memory.
 */
struct ashmem_range *ashmem_range_cache_alloc(struct kmem_cache *cache)
{
	return kmem_cache_alloc_lru(cache, &ashmem_lru,
				    GFP_KERNEL_ACCOUNT | __GFP_ZERO);
}

/**
 * ashmem_lru_add() - put a range that is not purged on the LRU
 * @range: the range; its bounds are final
 *
 * The range becomes the most recently unpinned of its node and cgroup.
 *
 * Context: Holds the area mutex; takes the list lock.
 */
void ashmem_lru_add(struct ashmem_range *range)
{
	if (ashmem_list_lru_add(&ashmem_lru, &range->lru))
		atomic_long_add(ashmem_range_pages(range),
				&ashmem_stats.lru_pages);
}

/**
 * ashmem_lru_del() - take a range off the LRU if it is there
 * @range: the range
 *
 * Context: Holds the area mutex; takes the list lock.
 */
void ashmem_lru_del(struct ashmem_range *range)
{
	if (ashmem_list_lru_del(&ashmem_lru, &range->lru))
		atomic_long_sub(ashmem_range_pages(range),
				&ashmem_stats.lru_pages);
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_lru_del);

/**
 * ashmem_lru_resize() - change the bounds of a range, on the LRU or not
 * @range: the range
 * @pgstart: its new first page
 * @pgend: its new last page
 *
 * Context: Holds the area mutex, which keeps the range on or off the LRU
 * meanwhile: the shrinker takes a range off only with that mutex.
 */
void ashmem_lru_resize(struct ashmem_range *range, pgoff_t pgstart,
		       pgoff_t pgend)
{
	long change = (long)(pgend - pgstart) -
		      (long)(range->pgend - range->pgstart);

	lockdep_assert_held(&range->asma->mutex);
	range->pgstart = pgstart;
	range->pgend = pgend;
	if (!list_empty(&range->lru))
		atomic_long_add(change, &ashmem_stats.lru_pages);
}

/* One range claimed for a purge: what punching it needs once unlocked. */
struct ashmem_claim {
	struct ashmem_area *asma;
	struct file *file;
	pgoff_t first;
	unsigned long pages;
};

/* The state of one walk over a list of ashmem_lru. */
struct ashmem_claims {
	unsigned long want;	/* pages to claim, at least */
	unsigned long pages;	/* pages claimed */
	unsigned int busy;	/* ranges of busy areas passed over */
	unsigned int nr;
	struct ashmem_claim claim[ASHMEM_CLAIM_BATCH];
};

/*
 * The walk callback, under the list lock: claim the range if its area
 * mutex is free (mark it purged, take it off the list, pin the backing
 * file, count the purge as in flight) and record what the punch needs.  A
 * range of a busy area is passed over where it is, keeping its age; so is
 * every range once the batch is full (6.1 has no way to stop a walk).
 */
static ASHMEM_LRU_WALK_CB(ashmem_claim_one)
{
	struct ashmem_range *range = list_entry(item, struct ashmem_range, lru);
	struct ashmem_area *asma = range->asma;
	struct ashmem_claims *claims = arg;
	struct ashmem_claim *claim;

	if (claims->nr == ASHMEM_CLAIM_BATCH || claims->pages >= claims->want)
		return LRU_SKIP;
	/* the range is on the list, so its area is not yet released */
	if (!mutex_trylock(&asma->mutex)) {
		claims->busy++;
		return LRU_SKIP;
	}
	claim = &claims->claim[claims->nr++];
	range->purged = true;
	list_lru_isolate(list, item);
	claim->asma = asma;
	claim->file = get_file(asma->file);
	claim->first = range->pgstart;
	claim->pages = ashmem_range_pages(range);
	claims->pages += claim->pages;
	atomic_long_sub(claim->pages, &ashmem_stats.lru_pages);
	atomic_inc(&asma->purges_in_flight);
	mutex_unlock(&asma->mutex);
	return LRU_REMOVED;
}

/* Which pages of a purge count as given back to the reclaim that asked. */
struct ashmem_target {
	int nid;			/* NUMA_NO_NODE: any node */
	struct mem_cgroup *memcg;	/* NULL: any cgroup */
};

/* Whether @folio's memory is what @target reclaims. */
static bool ashmem_folio_counts(struct folio *folio,
				const struct ashmem_target *target)
{
	bool counts;

	if (target->nid != NUMA_NO_NODE && folio_nid(folio) != target->nid)
		return false;
	if (!target->memcg)
		return true;
	rcu_read_lock();
	counts = ashmem_memcg_within(folio_memcg(folio), target->memcg);
	rcu_read_unlock();
	return counts;
}

/*
 * Count the pages of [@first, @first + @pages) that are in @mapping's page
 * cache: all of them in @all, the most that truncating the range can give
 * back, and in @wanted those that @target reclaims.
 */
static void ashmem_resident_pages(struct address_space *mapping,
				  pgoff_t first, unsigned long pages,
				  const struct ashmem_target *target,
				  unsigned long *all, unsigned long *wanted)
{
	pgoff_t last = first + pages - 1, index = first;
	struct folio_batch fbatch;
	unsigned int i;

	*all = 0;
	*wanted = 0;
	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t from = max(folio->index, first);
			pgoff_t to = min(folio->index + folio_nr_pages(folio) - 1,
					 last);

			*all += to - from + 1;
			if (ashmem_folio_counts(folio, target))
				*wanted += to - from + 1;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	*all = min(*all, pages);
	*wanted = min(*wanted, *all);
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
 * Punch the holes of the ranges one walk claimed.  Returns the pages that
 * went back to the page allocator and that @target reclaims (see
 * ashmem_freed_pages()); a fault in a range during its punch can only make
 * that smaller than the truth, never larger.
 */
static unsigned long ashmem_punch_claims(struct ashmem_claims *claims,
					 const struct ashmem_target *target,
					 bool reclaim)
{
	unsigned long credit = 0, before, wanted, gone;
	struct ashmem_claim *claim;
	struct inode *inode;
	blkcnt_t blocks;
	unsigned int i;

	for (i = 0; i < claims->nr; i++) {
		claim = &claims->claim[i];
		inode = file_inode(claim->file);
		/*
		 * No lock is held here.  The file reference keeps the backing
		 * file alive and purges_in_flight keeps the area alive.
		 */
		ashmem_resident_pages(claim->file->f_mapping, claim->first,
				      claim->pages, target, &before, &wanted);
		blocks = READ_ONCE(inode->i_blocks);
		ashmem_punch_hole(claim->file,
				  (loff_t)claim->first << PAGE_SHIFT,
				  (loff_t)claim->pages << PAGE_SHIFT);
		gone = ashmem_freed_pages(blocks, READ_ONCE(inode->i_blocks),
					  before);
		credit += min(gone, wanted);
		atomic_long_add(gone, &ashmem_stats.freed_pages);
		atomic_long_add(claim->pages, &ashmem_stats.purged_pages);
		if (reclaim)
			atomic_long_add(claim->pages,
					&ashmem_stats.reclaim_pages);
		fput(claim->file);
		/* after this the area may be freed: touch only the wait queue */
		if (atomic_dec_and_test(&claim->asma->purges_in_flight))
			wake_up_all(&ashmem_purge_wait);
	}
	return credit;
}

/*
 * Purge the oldest unpinned ranges of one list (@sc's node and memory
 * cgroup: the kernel's reclaim asked), or of every list (@sc %NULL:
 * ASHMEM_PURGE_ALL_CACHES), until @nr_to_scan pages of ranges are gone or
 * no range can be claimed.  @credit gets the pages given back that are
 * charged to @sc's cgroup (or below it) and, on a NUMA machine, on its
 * node.  Returns the pages purged.
 */
static unsigned long ashmem_purge(struct shrink_control *sc,
				  unsigned long nr_to_scan,
				  unsigned long *credit)
{
	struct ashmem_target target = { .nid = NUMA_NO_NODE };
	struct ashmem_claims claims;
	unsigned long purged = 0, walk;
	unsigned int nofs;

	atomic_long_inc(&ashmem_stats.shrinker_scans);
	if (sc) {
		target.memcg = sc->memcg;
		if (nr_node_ids > 1)
			target.nid = sc->nid;
	}
	/* see "DOC: Locking": nothing below may recurse into the shrinker */
	nofs = memalloc_nofs_save();

	do {
		claims.want = nr_to_scan - purged;
		claims.pages = 0;
		claims.busy = 0;
		claims.nr = 0;
		walk = ASHMEM_CLAIM_BATCH + ASHMEM_BUSY_LIMIT;
		if (sc)
			list_lru_walk_one(&ashmem_lru, sc->nid, sc->memcg,
					  ashmem_claim_one, &claims, &walk);
		else
			list_lru_walk(&ashmem_lru, ashmem_claim_one, &claims,
				      walk);
		*credit += ashmem_punch_claims(&claims, &target, sc);
		purged += claims.pages;
	} while (claims.nr && purged < nr_to_scan);

	memalloc_nofs_restore(nofs);
	return purged;
}

/*
 * The shrinker counts pages, as the memory it would free, but ashmem_lru
 * counts ranges per node and cgroup.  A list's pages are estimated from its
 * ranges and the mean size of all the ranges on the LRU.
 */
static unsigned long ashmem_shrink_count(struct shrinker *shrink,
					 struct shrink_control *sc)
{
	unsigned long ranges, all, pages;

	/* pairs with the release in ashmem_shrinker_init() */
	if (!smp_load_acquire(&ashmem_lru_ready))
		return 0;
	ranges = list_lru_shrink_count(&ashmem_lru, sc);
	all = list_lru_count(&ashmem_lru);
	pages = atomic_long_read(&ashmem_stats.lru_pages);
	if (!ranges || !all || pages <= 0)
		return SHRINK_EMPTY;
	if (ranges >= all)
		return pages;
	return max_t(unsigned long, 1, div64_u64((u64)ranges * pages, all));
}

static unsigned long ashmem_shrink_scan(struct shrinker *shrink,
					struct shrink_control *sc)
{
	unsigned long purged, credit = 0;

	/*
	 * Punching a hole goes through the filesystem.  The acquire pairs
	 * with the release in ashmem_shrinker_init().
	 */
	if (!(sc->gfp_mask & __GFP_FS) || !smp_load_acquire(&ashmem_lru_ready))
		return SHRINK_STOP;
	purged = ashmem_purge(sc, sc->nr_to_scan, &credit);
	ashmem_account_reclaimed(credit);
	return purged ? purged : SHRINK_STOP;
}

/**
 * ashmem_purge_all() - purge every unpinned range now
 *
 * Purges what was on the LRU when it was called, oldest first within each
 * node and memory cgroup, and no more: ranges that others unpin meanwhile
 * join the tails and may be left, so that the call ends however busy the
 * unpinning is.
 *
 * Context: Process context; may sleep.  No ashmem lock held.
 * Return: the number of unpinned, not yet purged pages before the purge.
 */
unsigned long ashmem_purge_all(void)
{
	long pages = atomic_long_read(&ashmem_stats.lru_pages);
	unsigned long credit = 0;

	if (pages > 0)
		ashmem_purge(NULL, pages, &credit);
	return max(pages, 0L);
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

	ashmem_shrinker = ashmem_shrinker_alloc(SHRINKER_MEMCG_AWARE |
						SHRINKER_NUMA_AWARE,
						"android-ashmem");
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
	/* registered first: it has its id, which the memcg lists need */
	ret = ashmem_shrinker_register(ashmem_shrinker, "android-ashmem");
	if (ret)
		goto err_free;
	ret = list_lru_init_memcg(&ashmem_lru, ashmem_shrinker);
	if (ret)
		goto err_free;
	/* the callbacks may run from here: they acquire this flag */
	smp_store_release(&ashmem_lru_ready, true);

	/* debugfs is optional: its failures are not errors */
	ashmem_debugfs_dir = debugfs_create_dir("ashmem", NULL);
	debugfs_create_file("stats", 0444, ashmem_debugfs_dir, NULL,
			    &ashmem_stats_fops);
	return 0;

err_free:
	ashmem_shrinker_free(ashmem_shrinker);
	return ret;
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
	list_lru_destroy(&ashmem_lru);
}
