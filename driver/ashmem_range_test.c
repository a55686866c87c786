// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the unpinned-range set (ashmem_range.c).
 *
 * Each test drives one fake area through ashmem_range_unpin(),
 * ashmem_range_pin() and ashmem_range_pin_status() and compares the tree,
 * the results and the LRU accounting with a reference model: a plain
 * sorted array updated by the obvious O(n) algorithm.  Built as the module
 * ashmem_linux_kunit on kernels that have KUnit; the tests run when it is
 * loaded, after ashmem_linux.
 *
 * The fake area's mutex is held for the whole test, so the shrinker can
 * never claim its ranges (it only trylocks): they have no backing file.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "ashmem_compat.h"
#include "ashmem_internal.h"

#define MODEL_PAGES	64
#define MODEL_MAX	MODEL_PAGES

struct model_range {
	pgoff_t start;
	pgoff_t end;
	bool purged;
};

/* The reference: sorted, non-overlapping ranges, as Android keeps them. */
struct model {
	struct model_range r[MODEL_MAX];
	int n;
};

struct range_test {
	struct ashmem_area asma;
	struct model model;
	long lru_base;
};

static void model_remove(struct model *m, int i)
{
	memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
}

static void model_insert(struct model *m, pgoff_t start, pgoff_t end,
			 bool purged)
{
	int i = 0;

	while (i < m->n && m->r[i].start < start)
		i++;
	memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(m->r[0]));
	m->r[i] = (struct model_range){ start, end, purged };
	m->n++;
}

static bool overlaps(const struct model_range *r, pgoff_t start, pgoff_t end)
{
	return r->start <= end && r->end >= start;
}

static void model_unpin(struct model *m, pgoff_t start, pgoff_t end)
{
	bool purged = false;
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].start <= start && m->r[i].end >= end)
			return;
	for (i = 0; i < m->n;) {
		if (overlaps(&m->r[i], start, end)) {
			start = min(start, m->r[i].start);
			end = max(end, m->r[i].end);
			purged |= m->r[i].purged;
			model_remove(m, i);
		} else {
			i++;
		}
	}
	model_insert(m, start, end, purged);
}

static int model_pin(struct model *m, pgoff_t start, pgoff_t end)
{
	int ret = ASHMEM_NOT_PURGED;
	struct model_range r;
	int i;

	for (i = 0; i < m->n;) {
		r = m->r[i];
		if (!overlaps(&r, start, end)) {
			i++;
			continue;
		}
		if (r.purged)
			ret = ASHMEM_WAS_PURGED;
		model_remove(m, i);
		if (r.start < start)
			model_insert(m, r.start, start - 1, r.purged);
		if (r.end > end)
			model_insert(m, end + 1, r.end, r.purged);
		i = 0;
		/* restart: the pieces put back never overlap the request */
		while (i < m->n && !overlaps(&m->r[i], start, end))
			i++;
	}
	return ret;
}

static int model_status(struct model *m, pgoff_t start, pgoff_t end)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (overlaps(&m->r[i], start, end))
			return ASHMEM_IS_UNPINNED;
	return ASHMEM_IS_PINNED;
}

/* What the shrinker does to the range holding @page, minus the punch. */
static void purge_page(struct range_test *t, pgoff_t page)
{
	struct ashmem_range *range;
	struct rb_node *node;
	int i;

	for (node = rb_first(&t->asma.unpinned); node; node = rb_next(node)) {
		range = rb_entry(node, struct ashmem_range, node);
		if (range->pgstart <= page && range->pgend >= page) {
			ashmem_lru_del(range);
			range->purged = true;
		}
	}
	for (i = 0; i < t->model.n; i++)
		if (t->model.r[i].start <= page && t->model.r[i].end >= page)
			t->model.r[i].purged = true;
}

/* The tree, the LRU membership and the page count must match the model. */
static void check_model(struct kunit *test, struct range_test *t)
{
	struct ashmem_range *range;
	long lru_pages = 0;
	struct rb_node *node;
	int i = 0;

	for (node = rb_first(&t->asma.unpinned); node; node = rb_next(node)) {
		range = rb_entry(node, struct ashmem_range, node);
		KUNIT_ASSERT_LT(test, i, t->model.n);
		KUNIT_EXPECT_EQ(test, range->pgstart, t->model.r[i].start);
		KUNIT_EXPECT_EQ(test, range->pgend, t->model.r[i].end);
		KUNIT_EXPECT_EQ(test, range->purged, t->model.r[i].purged);
		KUNIT_EXPECT_EQ(test, list_empty(&range->lru), range->purged);
		KUNIT_EXPECT_PTR_EQ(test, range->asma, &t->asma);
		if (!range->purged)
			lru_pages += ashmem_range_pages(range);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, t->model.n);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ashmem_stats.lru_pages),
			t->lru_base + lru_pages);
}

static void do_unpin(struct kunit *test, struct range_test *t, pgoff_t start,
		     pgoff_t end)
{
	struct ashmem_range *prealloc = ashmem_range_alloc();

	KUNIT_ASSERT_NOT_NULL(test, prealloc);
	KUNIT_EXPECT_EQ(test, ashmem_range_unpin(&t->asma, start, end,
						 &prealloc), 0);
	ashmem_range_free(prealloc);
	model_unpin(&t->model, start, end);
	check_model(test, t);
}

/*
 * PIN as the driver calls it: without a range first, and with one only if
 * it must split (and then, having changed nothing, said so).
 */
static void do_pin(struct kunit *test, struct range_test *t, pgoff_t start,
		   pgoff_t end)
{
	struct ashmem_range *prealloc = NULL;
	int expected, ret;

	ret = ashmem_range_pin(&t->asma, start, end, &prealloc);
	if (ret == -ENOMEM) {
		check_model(test, t);
		prealloc = ashmem_range_alloc();
		KUNIT_ASSERT_NOT_NULL(test, prealloc);
		ret = ashmem_range_pin(&t->asma, start, end, &prealloc);
		KUNIT_EXPECT_NULL(test, prealloc);
	}
	expected = model_pin(&t->model, start, end);
	KUNIT_EXPECT_EQ(test, ret, expected);
	ashmem_range_free(prealloc);
	check_model(test, t);
}

static void do_status(struct kunit *test, struct range_test *t,
		      pgoff_t start, pgoff_t end)
{
	KUNIT_EXPECT_EQ(test, ashmem_range_pin_status(&t->asma, start, end),
			model_status(&t->model, start, end));
}

static int range_test_init(struct kunit *test)
{
	struct range_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	mutex_init(&t->asma.mutex);
	t->asma.unpinned = RB_ROOT;
	mutex_lock(&t->asma.mutex);
	t->lru_base = atomic_long_read(&ashmem_stats.lru_pages);
	test->priv = t;
	return 0;
}

static void range_test_exit(struct kunit *test)
{
	struct range_test *t = test->priv;

	ashmem_range_clear(&t->asma);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ashmem_stats.lru_pages),
			t->lru_base);
	mutex_unlock(&t->asma.mutex);
	mutex_destroy(&t->asma.mutex);
}

static void unpin_merges_overlapping_ranges(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 4, 7);
	do_unpin(test, t, 6, 9);	/* overlaps the end */
	do_unpin(test, t, 2, 4);	/* overlaps the start */
	do_unpin(test, t, 20, 21);
	do_unpin(test, t, 0, 30);	/* swallows both */
	KUNIT_EXPECT_EQ(test, t->model.n, 1);
}

static void unpin_keeps_touching_ranges_apart(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 0, 0);
	do_unpin(test, t, 1, 1);
	do_unpin(test, t, 2, 5);
	KUNIT_EXPECT_EQ(test, t->model.n, 3);
	do_status(test, t, 0, 5);
	do_status(test, t, 6, 6);
}

static void unpin_inside_a_range_changes_nothing(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 2, 9);
	purge_page(t, 2);
	do_unpin(test, t, 3, 4);	/* stays one purged range */
	KUNIT_EXPECT_EQ(test, t->model.n, 1);
	KUNIT_EXPECT_TRUE(test, t->model.r[0].purged);
}

static void unpin_over_a_purged_range_is_purged(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 0, 1);
	purge_page(t, 0);
	do_unpin(test, t, 1, 3);
	check_model(test, t);
	do_pin(test, t, 3, 3);		/* conservative: reports the purge */
}

static void pin_splits_and_trims(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 0, 20);
	do_pin(test, t, 5, 6);		/* split */
	do_pin(test, t, 0, 1);		/* trim the start */
	do_pin(test, t, 19, 25);	/* trim the end */
	do_pin(test, t, 8, 8);		/* split again */
	KUNIT_EXPECT_EQ(test, t->model.n, 3);
	do_pin(test, t, 0, MODEL_PAGES - 1);	/* everything */
	KUNIT_EXPECT_EQ(test, t->model.n, 0);
}

static void pin_over_many_ranges_reports_any_purge(struct kunit *test)
{
	struct range_test *t = test->priv;
	pgoff_t p;

	for (p = 0; p < 40; p += 4)
		do_unpin(test, t, p, p + 1);
	purge_page(t, 17);
	do_pin(test, t, 2, 14);		/* none purged */
	do_pin(test, t, 15, 33);	/* one purged */
	do_pin(test, t, 37, 37);
}

static void boundaries_first_and_last_page(struct kunit *test)
{
	struct range_test *t = test->priv;

	do_unpin(test, t, 0, 0);
	do_unpin(test, t, MODEL_PAGES - 1, MODEL_PAGES - 1);
	do_status(test, t, 0, 0);
	do_status(test, t, 1, MODEL_PAGES - 2);
	do_status(test, t, MODEL_PAGES - 1, MODEL_PAGES - 1);
	purge_page(t, MODEL_PAGES - 1);
	do_pin(test, t, MODEL_PAGES - 1, MODEL_PAGES - 1);
	do_pin(test, t, 0, 0);
	KUNIT_EXPECT_EQ(test, t->model.n, 0);
}

/* Random sequences against the model, several seeds. */
static void random_sequences_match_the_model(struct kunit *test)
{
	struct range_test *t = test->priv;
	struct rnd_state rnd;
	pgoff_t a, b;
	u64 seed;
	int i;

	for (seed = 1; seed <= 8; seed++) {
		prandom_seed_state(&rnd, seed);
		for (i = 0; i < 1500; i++) {
			a = prandom_u32_state(&rnd) % MODEL_PAGES;
			b = a + prandom_u32_state(&rnd) % 8;
			if (b >= MODEL_PAGES)
				b = MODEL_PAGES - 1;
			switch (prandom_u32_state(&rnd) % 8) {
			case 0 ... 2:
				do_unpin(test, t, a, b);
				break;
			case 3 ... 5:
				do_pin(test, t, a, b);
				break;
			case 6:
				do_status(test, t, a, b);
				break;
			case 7:
				purge_page(t, a);
				check_model(test, t);
				break;
			}
			if (test->status == KUNIT_FAILURE) {
				kunit_info(test, "seed %llu, step %d", seed, i);
				return;
			}
		}
		do_pin(test, t, 0, MODEL_PAGES - 1);
	}
}

static struct kunit_case ashmem_range_cases[] = {
	KUNIT_CASE(unpin_merges_overlapping_ranges),
	KUNIT_CASE(unpin_keeps_touching_ranges_apart),
	KUNIT_CASE(unpin_inside_a_range_changes_nothing),
	KUNIT_CASE(unpin_over_a_purged_range_is_purged),
	KUNIT_CASE(pin_splits_and_trims),
	KUNIT_CASE(pin_over_many_ranges_reports_any_purge),
	KUNIT_CASE(boundaries_first_and_last_page),
	KUNIT_CASE(random_sequences_match_the_model),
	{}
};

static struct kunit_suite ashmem_range_suite = {
	.name = "ashmem_range",
	.init = range_test_init,
	.exit = range_test_exit,
	.test_cases = ashmem_range_cases,
};

kunit_test_suite(ashmem_range_suite);

MODULE_DESCRIPTION("KUnit tests of ashmem's unpinned-range set");
MODULE_LICENSE("GPL");
ASHMEM_IMPORT_FOR_KUNIT();
