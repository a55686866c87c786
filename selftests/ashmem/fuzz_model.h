/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace model of ashmem areas that fuzz_test.c checks the driver
 * against: what each area's name, size, mask, pin state and content must be
 * after every operation, following Documentation/ashmem.rst.
 *
 * Pages are tracked one byte each: the fuzzer only ever writes whole pages
 * of one value, so a page's content is that value (0 for a page never
 * written, or purged).  Unpinned pages are kept as the driver keeps them,
 * a sorted list of disjoint ranges with a purged flag each, because what
 * UNPIN merges and what PIN splits decides what PIN later reports and what
 * a purge zeroes.
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/ashmem.h>

#define FUZZ_SLOTS	4	/* areas open at a time */
#define FUZZ_MAPS	2	/* mappings per area */
#define FUZZ_PAGES	16	/* the largest area the fuzzer maps */

/* One unpinned range: pages [start, end], both inclusive. */
struct fuzz_range {
	uint32_t start, end;
	bool purged;
};

struct fuzz_map {
	char *addr;		/* NULL: this mapping slot is free */
	uint32_t pages;		/* its length */
	uint32_t pgoff;		/* its file offset, in pages */
	int prot;		/* PROT_* it has now */
	int may;		/* PROT_* mprotect() may grant */
	bool shared;
	uint8_t priv[FUZZ_PAGES + 2];	/* content of a private mapping */
};

struct fuzz_area {
	int fd;			/* -1: the slot is closed */
	char name[ASHMEM_NAME_LEN];	/* without the prefix; "" unnamed */
	size_t size;
	unsigned long mask;
	bool has_file;		/* mapped once: name and size frozen */
	bool id_known;
	unsigned long file_id;
	long long pos;		/* the file position */
	uint8_t content[FUZZ_PAGES];
	struct fuzz_range ranges[FUZZ_PAGES];
	int nranges;
	struct fuzz_map maps[FUZZ_MAPS];
};

static inline void model_area_init(struct fuzz_area *ar, int fd)
{
	memset(ar, 0, sizeof(*ar));
	ar->fd = fd;
	ar->mask = PROT_READ | PROT_WRITE | PROT_EXEC;
}

/* Pages of the area, PAGE_ALIGN(size) / page size. */
static inline uint64_t model_pages(const struct fuzz_area *ar, size_t ps)
{
	return ((uint64_t)ar->size + ps - 1) / ps;
}

static inline bool range_overlaps(const struct fuzz_range *r, uint32_t s,
				  uint32_t e)
{
	return r->start <= e && r->end >= s;
}

static inline void model_del_range(struct fuzz_area *ar, int i)
{
	memmove(&ar->ranges[i], &ar->ranges[i + 1],
		(ar->nranges - i - 1) * sizeof(ar->ranges[0]));
	ar->nranges--;
}

static inline void model_add_range(struct fuzz_area *ar, uint32_t s,
				   uint32_t e, bool purged)
{
	int i = 0;

	while (i < ar->nranges && ar->ranges[i].start < s)
		i++;
	memmove(&ar->ranges[i + 1], &ar->ranges[i],
		(ar->nranges - i) * sizeof(ar->ranges[0]));
	ar->ranges[i] = (struct fuzz_range){ s, e, purged };
	ar->nranges++;
}

/*
 * UNPIN [s, e]: nothing changes if one range already holds it; otherwise
 * it merges with every range it overlaps (not those it only touches), and
 * the union is purged if any of them was.
 */
static inline void model_unpin(struct fuzz_area *ar, uint32_t s, uint32_t e)
{
	bool purged = false;
	int i;

	for (i = 0; i < ar->nranges; i++)
		if (ar->ranges[i].start <= s && ar->ranges[i].end >= e)
			return;
	for (i = 0; i < ar->nranges;) {
		struct fuzz_range *r = &ar->ranges[i];

		if (!range_overlaps(r, s, e)) {
			i++;
			continue;
		}
		s = r->start < s ? r->start : s;
		e = r->end > e ? r->end : e;
		purged |= r->purged;
		model_del_range(ar, i);
	}
	model_add_range(ar, s, e, purged);
}

/* PIN [s, e]: cut it out of every range; WAS_PURGED if one was purged. */
static inline int model_pin(struct fuzz_area *ar, uint32_t s, uint32_t e)
{
	int ret = ASHMEM_NOT_PURGED, i;

	for (i = 0; i < ar->nranges;) {
		struct fuzz_range r = ar->ranges[i];

		if (!range_overlaps(&r, s, e)) {
			i++;
			continue;
		}
		if (r.purged)
			ret = ASHMEM_WAS_PURGED;
		model_del_range(ar, i);
		if (r.start < s)
			model_add_range(ar, r.start, s - 1, r.purged);
		if (r.end > e)
			model_add_range(ar, e + 1, r.end, r.purged);
		/* what was re-added lies outside [s, e]: rescan */
		i = 0;
	}
	return ret;
}

static inline int model_pin_status(const struct fuzz_area *ar, uint32_t s,
				   uint32_t e)
{
	int i;

	for (i = 0; i < ar->nranges; i++)
		if (range_overlaps(&ar->ranges[i], s, e))
			return ASHMEM_IS_UNPINNED;
	return ASHMEM_IS_PINNED;
}

/*
 * Purge every range not yet purged: its pages read back as zeros.  Ranges
 * purged before are not punched again, so what was written into them since
 * stays.  Returns the number of pages purged.
 */
static inline long model_purge(struct fuzz_area *ar)
{
	long pages = 0;
	uint32_t p;
	int i;

	for (i = 0; i < ar->nranges; i++) {
		struct fuzz_range *r = &ar->ranges[i];

		if (r->purged)
			continue;
		r->purged = true;
		pages += r->end - r->start + 1;
		for (p = r->start; p <= r->end && p < FUZZ_PAGES; p++)
			ar->content[p] = 0;
	}
	return pages;
}

#endif /* FUZZ_MODEL_H */
