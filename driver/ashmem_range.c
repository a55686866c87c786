// SPDX-License-Identifier: GPL-2.0
/*
 * ashmem: the set of unpinned ranges of an area.
 *
 * Each area keeps the pages its users unpinned as ranges in an rbtree
 * ordered by page.  Ranges never overlap, so their ends are ordered too and
 * the first range that can overlap a request is found in O(log n).  UNPIN
 * merges the request with every range it overlaps (ranges that only touch
 * stay apart: each keeps its own place on the LRU and its own purge state);
 * PIN cuts the request out of the ranges it overlaps, splitting one in two
 * if the request lies strictly inside it.
 *
 * This file knows nothing of files or memory: it keeps the set and tells
 * the LRU (ashmem_shrinker.c) which ranges enter, leave or change size.
 * Every function here is called with the area mutex held.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */

#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/slab.h>

#include "ashmem_compat.h"
#include "ashmem_internal.h"

static struct kmem_cache *ashmem_range_cache;

int ashmem_range_init(void)
{
	/*
	 * Charged to the caller's memory cgroup, which puts each range on
	 * that cgroup's LRU list, and not reclaimable: no shrinker frees
	 * ranges (purging one leaves it in its area's tree), so counting them
	 * as SReclaimable would make MemAvailable lie.
	 */
	ashmem_range_cache = kmem_cache_create("ashmem_range_cache",
					       sizeof(struct ashmem_range), 0,
					       SLAB_ACCOUNT, NULL);
	return ashmem_range_cache ? 0 : -ENOMEM;
}

void ashmem_range_exit(void)
{
	kmem_cache_destroy(ashmem_range_cache);
}

/**
 * ashmem_range_alloc() - allocate a range before taking the area mutex
 *
 * PIN and UNPIN need at most one new range each, and usually take the
 * area's spare.  Without one, the range code returns -ENOMEM having
 * changed nothing, and the ioctl calls this with the mutex dropped, because
 * allocating under it could recurse into the shrinker.
 * The range belongs to the memory cgroup of the caller: its limit reclaim
 * is what purges it (see "DOC: Memory cgroups" in ashmem_shrinker.c).
 *
 * Context: Process context; may sleep.  No ashmem lock held.
 * Return: the range, or %NULL when out of memory.
 */
struct ashmem_range *ashmem_range_alloc(void)
{
	struct ashmem_range *range;

	range = ashmem_range_cache_alloc(ashmem_range_cache);
	if (range)
		INIT_LIST_HEAD(&range->lru);
	return range;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_alloc);

/**
 * ashmem_range_free() - free a range that is in no tree and on no LRU
 * @range: the range, or %NULL
 */
void ashmem_range_free(struct ashmem_range *range)
{
	if (range)
		kmem_cache_free(ashmem_range_cache, range);
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_free);

/**
 * ashmem_range_keep() - keep a range object as the area's spare
 * @asma: the area
 * @range: a range in no tree and on no LRU, or %NULL
 *
 * Context: Holds the area mutex.
 * Return: %NULL if @range became the spare (or was %NULL), else @range,
 * for the caller to free once the mutex is dropped.
 */
struct ashmem_range *ashmem_range_keep(struct ashmem_area *asma,
				       struct ashmem_range *range)
{
	lockdep_assert_held(&asma->mutex);
	if (!range || asma->spare)
		return range;
	memset(range, 0, sizeof(*range));
	INIT_LIST_HEAD(&range->lru);
	asma->spare = range;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_keep);

/* The range to use for a new one: the caller's, else the spare, or NULL. */
static struct ashmem_range *take_range(struct ashmem_area *asma,
				       struct ashmem_range **prealloc)
{
	struct ashmem_range *range = *prealloc;

	if (range) {
		*prealloc = NULL;
	} else {
		range = asma->spare;
		asma->spare = NULL;
	}
	return range;
}

static struct ashmem_range *to_range(struct rb_node *node)
{
	return node ? rb_entry(node, struct ashmem_range, node) : NULL;
}

/* The lowest range that ends at or after @pgstart, or NULL. */
static struct ashmem_range *first_from(struct ashmem_area *asma,
				       pgoff_t pgstart)
{
	struct rb_node *node = asma->unpinned.rb_node;
	struct ashmem_range *found = NULL;

	while (node) {
		struct ashmem_range *range = to_range(node);

		if (range->pgend >= pgstart) {
			found = range;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

static struct ashmem_range *next_range(struct ashmem_range *range)
{
	return to_range(rb_next(&range->node));
}

static void insert_range(struct ashmem_area *asma, struct ashmem_range *new)
{
	struct rb_node **link = &asma->unpinned.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (new->pgstart < to_range(parent)->pgstart)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &asma->unpinned);
}

/*
 * Takes @range out of the tree and the LRU and keeps it as the spare, or
 * frees it if there is one.  Freeing a slab object under the area mutex is
 * fine: it is allocating that could recurse into the shrinker.
 */
static void delete_range(struct ashmem_area *asma, struct ashmem_range *range)
{
	ashmem_lru_del(range);
	rb_erase(&range->node, &asma->unpinned);
	ashmem_range_free(ashmem_range_keep(asma, range));
}

/**
 * ashmem_range_unpin() - add pages to the unpinned set of an area
 * @asma: the area
 * @pgstart: first page
 * @pgend: last page, >= @pgstart
 * @prealloc: a range from ashmem_range_alloc(), or %NULL; consumed (set to
 *	%NULL) if a new range was needed and the area had no spare
 *
 * The request is merged with every range it overlaps; the result is purged
 * if any of them was, and goes to the LRU tail otherwise.  A request that
 * lies entirely inside one existing range changes nothing, so that range
 * keeps its place on the LRU.  The result is the spare (or a merged range
 * that became it) when the area has one, else *@prealloc.
 *
 * Context: Holds the area mutex.
 * Return: 0; -%ENOMEM, with nothing changed, if a new range was needed and
 * neither *@prealloc nor a spare was there.
 */
int ashmem_range_unpin(struct ashmem_area *asma, pgoff_t pgstart,
		       pgoff_t pgend, struct ashmem_range **prealloc)
{
	struct ashmem_range *range, *next, *new;
	bool purged = false;

	lockdep_assert_held(&asma->mutex);

	range = first_from(asma, pgstart);
	if (range && range->pgstart <= pgstart && range->pgend >= pgend)
		return 0;
	/* a range the loop deletes becomes the spare if there was none */
	if (!*prealloc && !asma->spare &&
	    !(range && range->pgstart <= pgend))
		return -ENOMEM;

	for (; range && range->pgstart <= pgend; range = next) {
		next = next_range(range);
		pgstart = min(pgstart, range->pgstart);
		pgend = max(pgend, range->pgend);
		purged |= range->purged;
		delete_range(asma, range);
	}

	new = take_range(asma, prealloc);
	new->asma = asma;
	new->pgstart = pgstart;
	new->pgend = pgend;
	new->purged = purged;
	insert_range(asma, new);
	if (!purged)
		ashmem_lru_add(new);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_unpin);

/**
 * ashmem_range_pin() - remove pages from the unpinned set of an area
 * @asma: the area
 * @pgstart: first page
 * @pgend: last page, >= @pgstart
 * @prealloc: a range from ashmem_range_alloc(), or %NULL; consumed (set to
 *	%NULL) if a range had to be split and the area had no spare
 *
 * Context: Holds the area mutex, and no purge of the area is in flight.
 * Return: %ASHMEM_WAS_PURGED if any range the request overlapped was
 * purged, else %ASHMEM_NOT_PURGED; -%ENOMEM, with nothing changed, if a
 * range had to be split and neither *@prealloc nor a spare was there.
 */
int ashmem_range_pin(struct ashmem_area *asma, pgoff_t pgstart, pgoff_t pgend,
		     struct ashmem_range **prealloc)
{
	struct ashmem_range *range, *next, *tail;
	int ret = ASHMEM_NOT_PURGED;

	lockdep_assert_held(&asma->mutex);

	for (range = first_from(asma, pgstart);
	     range && range->pgstart <= pgend; range = next) {
		next = next_range(range);
		if (range->purged)
			ret = ASHMEM_WAS_PURGED;

		if (range->pgstart >= pgstart && range->pgend <= pgend) {
			/* wholly inside the request */
			delete_range(asma, range);
		} else if (range->pgstart >= pgstart) {
			/* sticks out past the end of the request */
			ashmem_lru_resize(range, pgend + 1, range->pgend);
		} else if (range->pgend <= pgend) {
			/* sticks out before the start of the request */
			ashmem_lru_resize(range, range->pgstart, pgstart - 1);
		} else {
			/*
			 * The request lies strictly inside: split in two.
			 * This range overlaps the request alone, so it is the
			 * first one met and nothing has changed yet.
			 */
			tail = take_range(asma, prealloc);
			if (!tail)
				return -ENOMEM;
			tail->asma = asma;
			tail->pgstart = pgend + 1;
			tail->pgend = range->pgend;
			tail->purged = range->purged;
			ashmem_lru_resize(range, range->pgstart, pgstart - 1);
			insert_range(asma, tail);
			/*
			 * The tail is new to the LRU, so it counts as just
			 * unpinned (list_lru adds only at the tail), as in
			 * Android's driver; the head keeps its place.
			 */
			if (!tail->purged)
				ashmem_lru_add(tail);
			break;
		}
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_pin);

/**
 * ashmem_range_pin_status() - whether any page of a span is unpinned
 * @asma: the area
 * @pgstart: first page
 * @pgend: last page, >= @pgstart
 *
 * Context: Holds the area mutex.
 * Return: %ASHMEM_IS_UNPINNED if any page in the span is unpinned (purged
 * or not), else %ASHMEM_IS_PINNED.
 */
int ashmem_range_pin_status(struct ashmem_area *asma, pgoff_t pgstart,
			    pgoff_t pgend)
{
	struct ashmem_range *range;

	lockdep_assert_held(&asma->mutex);

	range = first_from(asma, pgstart);
	if (range && range->pgstart <= pgend)
		return ASHMEM_IS_UNPINNED;
	return ASHMEM_IS_PINNED;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_pin_status);

/**
 * ashmem_range_clear() - drop every range of an area
 * @asma: the area, on its way to being freed
 *
 * Context: Holds the area mutex.
 */
void ashmem_range_clear(struct ashmem_area *asma)
{
	struct ashmem_range *range, *next;

	lockdep_assert_held(&asma->mutex);

	rbtree_postorder_for_each_entry_safe(range, next, &asma->unpinned,
					     node) {
		ashmem_lru_del(range);
		ashmem_range_free(range);
	}
	asma->unpinned = RB_ROOT;
	ashmem_range_free(asma->spare);
	asma->spare = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(ashmem_range_clear);

/**
 * ashmem_range_count() - count the unpinned and the purged pages of an area
 * @asma: the area
 * @unpinned: set to the number of unpinned pages, purged or not
 * @purged: set to the number of purged pages
 *
 * Context: Holds the area mutex.  Walks every range: for show_fdinfo only.
 */
void ashmem_range_count(struct ashmem_area *asma, unsigned long *unpinned,
			unsigned long *purged)
{
	struct ashmem_range *range;
	struct rb_node *node;

	lockdep_assert_held(&asma->mutex);

	*unpinned = 0;
	*purged = 0;
	for (node = rb_first(&asma->unpinned); node; node = rb_next(node)) {
		range = to_range(node);
		*unpinned += ashmem_range_pages(range);
		if (range->purged)
			*purged += ashmem_range_pages(range);
	}
}
