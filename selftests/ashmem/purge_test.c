// SPDX-License-Identifier: GPL-2.0
/*
 * Purging: the kernel may discard unpinned ranges, and does so for all of
 * them on ASHMEM_PURGE_ALL_CACHES (CAP_SYS_ADMIN), on
 * "echo 2 > /proc/sys/vm/drop_caches" (the shrinker), and oldest first
 * when kswapd reclaims under real memory pressure.  Purged pages read
 * back as zeros through shared mappings and read(), pinned pages are never
 * touched, private mappings are not affected, and PIN reports the loss.
 * These tests need root (the guest runs them as root).
 */
#include "ashmem_pressure.h"

#define AREA_PAGES	6
#define SEED		30

static int purge_ioctl(struct __test_metadata *_metadata, int fd)
{
	int ret = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);

	ASSERT_LE(0, ret) TH_LOG("PURGE_ALL_CACHES: %s", strerror(errno));
	return ret;
}

static int purge_drop_caches(struct __test_metadata *_metadata, int fd)
{
	(void)fd;
	ASSERT_EQ(0, write_text_file("/proc/sys/vm/drop_caches", "2")) {
		TH_LOG("drop_caches: %s", strerror(errno));
	}
	return 0;
}

FIXTURE(purge) {
	int fd;
	size_t ps, len;
	char *addr;
};

FIXTURE_VARIANT(purge) {
	int (*purge)(struct __test_metadata *_metadata, int fd);
};

FIXTURE_VARIANT_ADD(purge, purge_all_caches) {
	.purge = purge_ioctl,
};

FIXTURE_VARIANT_ADD(purge, drop_caches) {
	.purge = purge_drop_caches,
};

FIXTURE_SETUP(purge)
{
	self->ps = page_size();
	self->len = AREA_PAGES * self->ps;
	self->fd = ashmem_create(_metadata, "purge", self->len);
	self->addr = ashmem_assert_mmap(_metadata, self->fd, self->len,
					PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(self->addr, self->len, SEED);
}

FIXTURE_TEARDOWN(purge)
{
	EXPECT_EQ(0, munmap(self->addr, self->len));
	EXPECT_EQ(0, close(self->fd));
}

/* Page @i holds zeros through the mapping and through pread(). */
static void assert_page_zero(struct __test_metadata *_metadata, int fd,
			     const char *addr, size_t i)
{
	size_t ps = page_size();
	char *buf = malloc(ps);

	ASSERT_TRUE(buf != NULL);
	ASSERT_TRUE(is_zero(addr + i * ps, ps)) {
		TH_LOG("page %zu still holds data in the mapping", i);
	}
	ASSERT_EQ((ssize_t)ps, pread(fd, buf, ps, i * ps));
	ASSERT_TRUE(is_zero(buf, ps)) TH_LOG("page %zu reads old data", i);
	free(buf);
}

/* Page @i still holds the pattern, through the mapping and pread(). */
static void assert_page_kept(struct __test_metadata *_metadata, int fd,
			     const char *addr, size_t i)
{
	size_t ps = page_size();
	char *buf = malloc(ps);

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(-1, pattern_mismatch(addr + i * ps, ps, SEED, i * ps)) {
		TH_LOG("pinned page %zu changed in the mapping", i);
	}
	ASSERT_EQ((ssize_t)ps, pread(fd, buf, ps, i * ps));
	ASSERT_EQ(-1, pattern_mismatch(buf, ps, SEED, i * ps)) {
		TH_LOG("pinned page %zu reads changed", i);
	}
	free(buf);
}

TEST_F(purge, unpinned_pages_read_back_as_zeros)
{
	const size_t ps = self->ps;
	const char *state = ".UU.U.";
	size_t i;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, ps, 2 * ps, 0);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 4 * ps, ps, 0);
	variant->purge(_metadata, self->fd);

	for (i = 0; i < AREA_PAGES; i++) {
		if (state[i] == 'U')
			assert_page_zero(_metadata, self->fd, self->addr, i);
		else
			assert_page_kept(_metadata, self->fd, self->addr, i);
	}
}

TEST_F(purge, pinned_pages_are_never_touched)
{
	size_t i;

	variant->purge(_metadata, self->fd);
	variant->purge(_metadata, self->fd);
	for (i = 0; i < AREA_PAGES; i++)
		assert_page_kept(_metadata, self->fd, self->addr, i);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
}

TEST_F(purge, pin_after_purge_reports_was_purged)
{
	size_t i;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	variant->purge(_metadata, self->fd);

	/* purged ranges are still unpinned until pinned again */
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_GET_PIN_STATUS, 0, 0,
			      ASHMEM_IS_UNPINNED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_WAS_PURGED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_GET_PIN_STATUS, 0, 0,
			      ASHMEM_IS_PINNED);
	for (i = 0; i < AREA_PAGES; i++)
		assert_page_zero(_metadata, self->fd, self->addr, i);

	/* a second PIN of the (now pinned) range has nothing to report */
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);

	/* the pages are usable again, and pinned data survives purges */
	fill_pattern(self->addr, self->len, SEED);
	variant->purge(_metadata, self->fd);
	for (i = 0; i < AREA_PAGES; i++)
		assert_page_kept(_metadata, self->fd, self->addr, i);
}

TEST_F(purge, pin_over_partly_purged_range_reports_was_purged)
{
	const size_t ps = self->ps;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 2 * ps, ps, 0);
	variant->purge(_metadata, self->fd);
	/* pages 0..1 and 3 were never unpinned: NOT_PURGED on their own */
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 2 * ps,
			      ASHMEM_NOT_PURGED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 4 * ps,
			      ASHMEM_WAS_PURGED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 4 * ps,
			      ASHMEM_NOT_PURGED);
	assert_page_kept(_metadata, self->fd, self->addr, 1);
	assert_page_zero(_metadata, self->fd, self->addr, 2);
	assert_page_kept(_metadata, self->fd, self->addr, 3);
}

TEST_F(purge, repinned_pages_are_safe_from_purge)
{
	const size_t ps = self->ps;
	size_t i;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, ps, 4 * ps, 0);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 2 * ps, 2 * ps,
			      ASHMEM_NOT_PURGED);
	variant->purge(_metadata, self->fd);
	for (i = 0; i < AREA_PAGES; i++) {
		if (i == 1 || i == 4)
			assert_page_zero(_metadata, self->fd, self->addr, i);
		else
			assert_page_kept(_metadata, self->fd, self->addr, i);
	}
}

TEST_F(purge, private_mapping_is_not_purged)
{
	char *priv;

	priv = ashmem_assert_mmap(_metadata, self->fd, self->len,
				  PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	fill_pattern(priv, self->len, SEED + 1);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	variant->purge(_metadata, self->fd);
	ASSERT_TRUE(check_pattern(priv, self->len, SEED + 1));
	assert_page_zero(_metadata, self->fd, self->addr, 0);
	ASSERT_EQ(0, munmap(priv, self->len));
}

/* Purging empties the LRU: nothing is left for PURGE_ALL_CACHES to count. */
TEST_F(purge, purge_leaves_nothing_to_purge)
{
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	variant->purge(_metadata, self->fd);
	ASSERT_EQ(0, purge_ioctl(_metadata, self->fd));
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_WAS_PURGED);
}

/* PURGE_ALL_CACHES returns the unpinned, not yet purged pages of all areas. */
/*
 * What a purge credits to reclaim (debugfs freed_pages) is never more than
 * it really freed: at most the pages of its ranges that were resident,
 * however the area's other pages come and go meanwhile (a thread faulting
 * them in and freeing them with MADV_REMOVE) and however many purges punch
 * the same backing inode at once.  The inode's block count alone once
 * wrapped to about 2^61 pages when faults outran the punch.
 */
#define CREDIT_RANGES	16
#define CREDIT_ROUNDS	48
#define CREDIT_SECONDS	10	/* fewer rounds on a slow guest */

struct credit_churn {
	char *addr;
	size_t len;
	atomic_bool stop;
};

static void *credit_churn_main(void *arg)
{
	struct credit_churn *c = arg;
	size_t ps = page_size();

	while (!atomic_load(&c->stop)) {
		for (size_t off = 0; off < c->len; off += ps)
			c->addr[off] = 1;
		madvise(c->addr, c->len, MADV_REMOVE);
	}
	return NULL;
}

struct credit_purger {
	int fd;
	struct spin_barrier *start;
	int ret;
};

static void *credit_purger_main(void *arg)
{
	struct credit_purger *p = arg;

	spin_barrier_wait(p->start);
	p->ret = ioctl(p->fd, ASHMEM_PURGE_ALL_CACHES);
	return NULL;
}

FIXTURE(credit) {
	int unused;
};

FIXTURE_SETUP(credit)
{
}

FIXTURE_TEARDOWN(credit)
{
}

TEST_F_TIMEOUT(credit, purge_credits_no_more_than_it_freed_while_faults_race, 120)
{
	size_t range_len = 64 * page_size();
	size_t ranges_len = CREDIT_RANGES * range_len, len = 2 * ranges_len;
	struct spin_thread churn_thread, purger_threads[2];
	struct credit_purger purgers[2];
	struct credit_churn churn;
	struct spin_barrier start;
	long freed_total = 0, purged_total = 0;
	uint64_t start_ns = now_ns();
	int round;
	char *addr;
	int fd = ashmem_create(_metadata, "credit", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	churn.addr = addr + ranges_len;
	churn.len = ranges_len;
	atomic_init(&churn.stop, false);
	ASSERT_EQ(0, spin_thread_start(&churn_thread, credit_churn_main, &churn));

	for (round = 0; round < CREDIT_ROUNDS; round++) {
		if (round >= 4 && now_ns() - start_ns > CREDIT_SECONDS * 1000000000ull)
			break;
		long freed = ashmem_stat("freed_pages:");
		long purged = ashmem_stat("purged_pages:");

		ASSERT_LE(0, freed) TH_LOG("no freed_pages in %s", ASHMEM_STATS_FILE);
		ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, ranges_len,
				      round ? ASHMEM_WAS_PURGED : ASHMEM_NOT_PURGED);
		memset(addr, 'c', ranges_len);
		for (int r = 0; r < CREDIT_RANGES; r++) {
			ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN,
					      r * range_len, range_len, 0);
		}
		/* two purges at once, over ranges of the one inode */
		spin_barrier_init(&start, 2);
		for (int t = 0; t < 2; t++) {
			purgers[t].fd = fd;
			purgers[t].start = &start;
			ASSERT_EQ(0, spin_thread_start(&purger_threads[t],
						       credit_purger_main,
						       &purgers[t]));
		}
		for (int t = 0; t < 2; t++) {
			spin_thread_wait(&purger_threads[t]);
			ASSERT_LE(0, purgers[t].ret) {
				TH_LOG("PURGE_ALL_CACHES: %s", strerror(errno));
			}
		}
		/* a purge passes over a range whose area the other holds */
		purge_ioctl(_metadata, fd);
		freed = ashmem_stat("freed_pages:") - freed;
		purged = ashmem_stat("purged_pages:") - purged;
		ASSERT_EQ((long)(ranges_len / page_size()), purged);
		ASSERT_LE(0, freed);
		ASSERT_GE(purged, freed) {
			TH_LOG("round %d: %ld pages credited for %ld purged",
			       round, freed, purged);
		}
		freed_total += freed;
		purged_total += purged;
	}
	atomic_store(&churn.stop, true);
	spin_thread_wait(&churn_thread);
	/*
	 * The ranges were resident, so much of them came back; faults on
	 * the churned half of the inode make the count of what a purge freed
	 * come short (65-94% of the purged pages on a quiet machine, 49%
	 * with a kernel build beside the guest), never over.
	 */
	ASSERT_LE(purged_total / 4, freed_total) {
		TH_LOG("%ld pages credited for %ld purged", freed_total,
		       purged_total);
	}
	TH_LOG("%d rounds: %ld of %ld purged pages freed", round, freed_total,
	       purged_total);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

TEST(purge_all_caches_counts_unpinned_pages_of_all_areas)
{
	const size_t ps = page_size();
	char *a_addr, *b_addr;
	int a, b;

	a = ashmem_create(_metadata, "count-a", 8 * ps);
	b = ashmem_create(_metadata, "count-b", 8 * ps);
	a_addr = ashmem_assert_mmap(_metadata, a, 8 * ps, PROT_READ, MAP_SHARED,
				    0);
	b_addr = ashmem_assert_mmap(_metadata, b, 8 * ps, PROT_READ, MAP_SHARED,
				    0);

	purge_ioctl(_metadata, a);
	ASSERT_EQ(0, purge_ioctl(_metadata, a));
	ashmem_assert_pin_cmd(_metadata, a, ASHMEM_UNPIN, 0, 3 * ps, 0);
	ashmem_assert_pin_cmd(_metadata, b, ASHMEM_UNPIN, 6 * ps, 0, 0);
	ashmem_assert_pin_cmd(_metadata, b, ASHMEM_UNPIN, 2 * ps, ps, 0);
	/* counted by whichever area asks */
	ASSERT_EQ(6, purge_ioctl(_metadata, b));
	ASSERT_EQ(0, purge_ioctl(_metadata, a));

	/* purged pages no longer count, even when unpinned again */
	ashmem_assert_pin_cmd(_metadata, a, ASHMEM_UNPIN, 0, 3 * ps, 0);
	ASSERT_EQ(0, purge_ioctl(_metadata, a));
	ashmem_assert_pin_cmd(_metadata, a, ASHMEM_PIN, 0, 0,
			      ASHMEM_WAS_PURGED);
	ashmem_assert_pin_cmd(_metadata, a, ASHMEM_UNPIN, 0, 3 * ps, 0);
	ASSERT_EQ(3, purge_ioctl(_metadata, a));

	ASSERT_EQ(0, munmap(a_addr, 8 * ps));
	ASSERT_EQ(0, munmap(b_addr, 8 * ps));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(b));
}

/* Closing an area drops its ranges; its mappings keep their content. */
TEST(closing_an_area_forgets_its_unpinned_ranges)
{
	const size_t ps = page_size(), len = 4 * ps;
	char *addr;
	int fd, other;

	other = ashmem_open(_metadata);
	fd = ashmem_create(_metadata, "forget", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, SEED);
	purge_ioctl(_metadata, other);
	ASSERT_EQ(0, purge_ioctl(_metadata, other));

	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, purge_ioctl(_metadata, other));
	ASSERT_EQ(0, write_text_file("/proc/sys/vm/drop_caches", "2"));
	ASSERT_TRUE(check_pattern(addr, len, SEED));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(other));
}

/* Without CAP_SYS_ADMIN, PURGE_ALL_CACHES is refused and purges nothing. */
TEST(purge_all_caches_needs_cap_sys_admin)
{
	const size_t ps = page_size(), len = 2 * ps;
	char *addr;
	pid_t pid;
	int fd;

	fd = ashmem_create(_metadata, "unprivileged", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, SEED);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(setresgid(65534, 65534, 65534) == 0);
		CHILD_CHECK(setresuid(65534, 65534, 65534) == 0);
		errno = 0;
		CHILD_CHECK(ioctl(fd, ASHMEM_PURGE_ALL_CACHES) == -1);
		CHILD_CHECK(errno == EPERM);
		/* the rest of the ABI needs no privilege */
		CHILD_CHECK(ioctl(fd, ASHMEM_GET_SIZE) == (int)len);
		_exit(0);
	}
	assert_child_ok(_metadata, pid);

	ASSERT_TRUE(check_pattern(addr, len, SEED));
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * Real memory pressure, nothing else: no drop_caches, no PURGE_ALL_CACHES.
 * A quarter of the largest zone, written and then unpinned as RANGES
 * ranges one after the other, and one pinned range; then anonymous
 * allocations hold the zone inside its kswapd band (ashmem_pressure.h)
 * until kswapd, through the shrinker, has brought the zone back to its
 * high watermark.  Every range is then either purged whole (PIN says
 * WAS_PURGED, it reads zeros) or untouched (NOT_PURGED, its data intact);
 * the purged ones are the oldest (an LRU prefix); the pages found purged
 * are exactly those the shrinker reports; the pinned range is intact.
 */
#define RANGES			64
#define RECLAIM_SECONDS		60

FIXTURE(reclaim) {
	struct pressure *p;
	int fd;
	char *addr;
	size_t len;
};

FIXTURE_SETUP(reclaim)
{
	self->p = mmap(NULL, sizeof(*self->p), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	self->fd = -1;
	ASSERT_EQ(0, pressure_begin(self->p)) {
		TH_LOG("%s: %s", WMARK_SCALE_FILE, strerror(errno));
	}
}

FIXTURE_TEARDOWN(reclaim)
{
	EXPECT_EQ(0, pressure_end(self->p));
	munmap(self->p, sizeof(*self->p));
	if (self->addr)
		EXPECT_EQ(0, munmap(self->addr, self->len));
	if (self->fd >= 0)
		EXPECT_EQ(0, close(self->fd));
}

TEST_F_TIMEOUT(reclaim, kswapd_purges_oldest_unpinned_ranges_first, 300)
{
	const size_t ps = page_size();
	struct pressure *p = self->p;
	long before, purged, found = 0;
	struct zone_wmark z;
	size_t rlen, i;
	uint64_t start;
	char *buf;
	int ret;

	ASSERT_EQ(0, pressure_zone(&z)) TH_LOG("cannot parse /proc/zoneinfo");
	rlen = (size_t)(z.managed / 4 / (RANGES + 1)) * ps;
	ASSERT_LT(0, rlen);
	self->len = (RANGES + 1) * rlen;
	self->fd = ashmem_create(_metadata, "reclaim", self->len);
	self->addr = ashmem_assert_mmap(_metadata, self->fd, self->len,
					PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(self->addr, self->len, SEED);
	before = ashmem_stat("reclaim_pages:");
	ASSERT_LE(0, before) TH_LOG("no %s", ASHMEM_STATS_FILE);

	/* range 0 stays pinned; ranges 1..RANGES enter the LRU in order */
	for (i = 1; i <= RANGES; i++)
		ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN,
				      i * rlen, rlen, 0);

	start = now_ns();
	ASSERT_EQ(0, pressure_until_purged(p, before, RECLAIM_SECONDS, &z)) {
		TH_LOG("allocating or reading the zone: %s", strerror(errno));
	}
	printf("# zone: %ld pages, watermarks min %ld low %ld high %ld; held %ld MiB (peak %ld MiB) for %.1f s\n",
	       z.managed, z.min, z.low, z.high,
	       p->pages * (long)ps >> 20, p->peak_pages * (long)ps >> 20,
	       (now_ns() - start) / 1e9);
	pressure_release(p);

	/* pinning takes every range off the LRU: nothing can purge after */
	buf = malloc(rlen);
	ASSERT_TRUE(buf != NULL);
	for (i = 1; i <= RANGES; i++) {
		ret = ioctl(self->fd, ASHMEM_PIN,
			    &(struct ashmem_pin){ i * rlen, rlen });
		ASSERT_TRUE(ret == ASHMEM_WAS_PURGED || ret == ASHMEM_NOT_PURGED) {
			TH_LOG("PIN of range %zu: %d (%s)", i, ret, strerror(errno));
		}
		ASSERT_EQ((ssize_t)rlen, pread(self->fd, buf, rlen, i * rlen));
		if (ret == ASHMEM_WAS_PURGED) {
			found += rlen / ps;
			ASSERT_TRUE(is_zero(self->addr + i * rlen, rlen)) {
				TH_LOG("range %zu was purged but holds data", i);
			}
			ASSERT_TRUE(is_zero(buf, rlen));
		} else {
			ASSERT_EQ(-1, pattern_mismatch(self->addr + i * rlen,
						       rlen, SEED, i * rlen)) {
				TH_LOG("range %zu not purged but changed", i);
			}
			ASSERT_EQ(-1, pattern_mismatch(buf, rlen, SEED, i * rlen));
		}
		if (i == 1)
			ASSERT_EQ(ASHMEM_WAS_PURGED, ret) {
				TH_LOG("reclaim did not purge the oldest range in %d s",
				       RECLAIM_SECONDS);
			}
		/* least recently unpinned first: the purged ones are a prefix */
		if (ret == ASHMEM_WAS_PURGED)
			ASSERT_EQ((long)(i - 1) * (long)(rlen / ps),
				  found - (long)(rlen / ps)) {
				TH_LOG("range %zu purged before an older one", i);
			}
	}
	free(buf);
	purged = ashmem_stat("reclaim_pages:") - before;
	printf("# kswapd purged %ld of %d ranges (%ld MiB of %zu MiB unpinned)\n",
	       found / (long)(rlen / ps), RANGES, found * (long)ps >> 20,
	       RANGES * rlen >> 20);
	ASSERT_EQ(found, purged) {
		TH_LOG("the shrinker counted %ld pages, the ranges show %ld",
		       purged, found);
	}
	ASSERT_EQ(-1, pattern_mismatch(self->addr, rlen, SEED, 0)) {
		TH_LOG("the pinned range changed");
	}
}

TEST_HARNESS_MAIN
