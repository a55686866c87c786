// SPDX-License-Identifier: GPL-2.0
/*
 * ASHMEM_PIN, ASHMEM_UNPIN and ASHMEM_GET_PIN_STATUS: argument checking,
 * the algebra of unpinned ranges (every merge and split), and the
 * strict_unpin module parameter.
 *
 * The algebra cases check GET_PIN_STATUS for every page and every span of
 * pages, then make the driver's page accounting visible: after draining
 * the LRU, ASHMEM_PURGE_ALL_CACHES must report exactly the unpinned pages,
 * exactly those must read back as zeros, and re-pinning exactly those must
 * report ASHMEM_WAS_PURGED.  These tests need CAP_SYS_ADMIN (the guest runs
 * them as root).
 */
#include "ashmem_helpers.h"

#define AREA_PAGES	8
#define STRICT_UNPIN	ASHMEM_PARAMS "/strict_unpin"

static const unsigned long pin_cmds[] = {
	ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS,
};

/* Purges every unpinned range in the system; returns the page count. */
static int purge_all(struct __test_metadata *_metadata, int fd)
{
	int ret = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);

	ASSERT_LE(0, ret) TH_LOG("PURGE_ALL_CACHES: %s", strerror(errno));
	return ret;
}

/* A mapped area of AREA_PAGES pages filled with a pattern. */
static int create_mapped(struct __test_metadata *_metadata, size_t size,
			 char **addr)
{
	int fd = ashmem_create(_metadata, "pin", size);

	*addr = ashmem_assert_mmap(_metadata, fd, page_align(size),
				   PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(*addr, page_align(size), 20);
	return fd;
}

/* GET_PIN_STATUS of the whole area must be @expected. */
static void assert_whole_status(struct __test_metadata *_metadata, int fd,
				int expected)
{
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_GET_PIN_STATUS, 0, 0,
			      expected);
}

TEST(range_must_be_page_aligned)
{
	const size_t ps = page_size();
	const size_t bad[][2] = {
		{ 1, ps }, { ps / 2, ps }, { ps + 1, ps }, { ps - 1, 0 },
		{ 0, 1 }, { 0, ps - 1 }, { 0, ps + 1 }, { ps, ps / 2 },
	};
	size_t i, c;
	char *addr;
	int fd = create_mapped(_metadata, AREA_PAGES * ps, &addr);

	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++)
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c],
					    bad[i][0], bad[i][1], EINVAL);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);

	/* a rejected PIN leaves unpinned pages unpinned */
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ashmem_fail_pin_cmd(_metadata, fd, ASHMEM_PIN, bad[i][0],
				    bad[i][1], EINVAL);
	for (i = 0; i < AREA_PAGES; i++)
		ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_GET_PIN_STATUS,
				      i * ps, ps, ASHMEM_IS_UNPINNED);
	ASSERT_TRUE(check_pattern(addr, AREA_PAGES * ps, 20));
	ASSERT_EQ(0, munmap(addr, AREA_PAGES * ps));
	ASSERT_EQ(0, close(fd));
}

TEST(range_past_the_end_fails_with_einval)
{
	const size_t ps = page_size(), end = AREA_PAGES * ps;
	const size_t bad[][2] = {
		{ 0, end + ps }, { end - ps, 2 * ps }, { end, ps },
		{ end + ps, 0 }, { 16 * end, 0 }, { 16 * end, ps },
	};
	size_t i, c;
	char *addr;
	int fd = create_mapped(_metadata, end, &addr);

	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++)
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c],
					    bad[i][0], bad[i][1], EINVAL);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ASSERT_TRUE(check_pattern(addr, end, 20));
	ASSERT_EQ(0, munmap(addr, end));
	ASSERT_EQ(0, close(fd));
}

/* The end is PAGE_ALIGN(size): the partial last page belongs to the area. */
TEST(unaligned_size_extends_to_the_page_end)
{
	const size_t ps = page_size(), size = (AREA_PAGES - 1) * ps + 1;
	char *addr;
	int fd = create_mapped(_metadata, size, &addr);

	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN,
			      (AREA_PAGES - 1) * ps, ps, 0);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_GET_PIN_STATUS,
			      (AREA_PAGES - 1) * ps, ps, ASHMEM_IS_UNPINNED);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN,
			      (AREA_PAGES - 1) * ps, ps, ASHMEM_NOT_PURGED);
	ashmem_fail_pin_cmd(_metadata, fd, ASHMEM_UNPIN, AREA_PAGES * ps, ps,
			    EINVAL);
	/* len 0 reaches the partial page too */
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_GET_PIN_STATUS,
			      (AREA_PAGES - 1) * ps, ps, ASHMEM_IS_UNPINNED);
	ASSERT_EQ(0, munmap(addr, AREA_PAGES * ps));
	ASSERT_EQ(0, close(fd));
}

/* offset + len is computed in 32 bits: a wrap-around must be refused. */
TEST(range_overflowing_32_bits_fails_with_einval)
{
	const size_t ps = page_size();
	const size_t top = 0xffffffffUL & ~(ps - 1);
	const size_t bad[][2] = {
		{ top, 2 * ps }, { ps, top }, { top, top }, { top, 0 },
	};
	size_t i, c;
	char *addr;
	int fd = create_mapped(_metadata, AREA_PAGES * ps, &addr);

	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++)
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c],
					    bad[i][0], bad[i][1], EINVAL);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ASSERT_EQ(0, munmap(addr, AREA_PAGES * ps));
	ASSERT_EQ(0, close(fd));
}

TEST(pin_commands_before_mmap_fail_with_einval)
{
	const size_t ps = page_size();
	size_t c;
	int fd = ashmem_open(_metadata);

	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++) {
		/* size 0 ... */
		ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c], 0, 0, EINVAL);
		/* ... or a size but no mapping yet */
		ashmem_assert_set_size(_metadata, fd, AREA_PAGES * ps);
		ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c], 0, 0, EINVAL);
		ashmem_fail_pin_cmd(_metadata, fd, pin_cmds[c], 0, ps, EINVAL);
		ashmem_assert_set_size(_metadata, fd, 0);
	}
	/* and nothing was frozen */
	ashmem_assert_set_size(_metadata, fd, ps);
	ASSERT_EQ(0, close(fd));
}

TEST(bad_pointer_fails_with_efault)
{
	const size_t ps = page_size();
	void *bad;
	size_t c;
	char *addr;
	int fd = create_mapped(_metadata, AREA_PAGES * ps, &addr);

	bad = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(bad != MAP_FAILED);
	ASSERT_EQ(0, munmap(bad, ps));
	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++) {
		errno = 0;
		ASSERT_EQ(-1, ioctl(fd, pin_cmds[c], bad)) {
			TH_LOG("%s accepted a bad pointer",
			       pin_cmd_name(pin_cmds[c]));
		}
		ASSERT_EQ(EFAULT, errno);
		errno = 0;
		ASSERT_EQ(-1, ioctl(fd, pin_cmds[c], NULL));
		ASSERT_EQ(EFAULT, errno);
	}
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ASSERT_EQ(0, munmap(addr, AREA_PAGES * ps));
	ASSERT_EQ(0, close(fd));
}

/* offset == PAGE_ALIGN(size) with len 0 is an empty range: a no-op. */
TEST(empty_range_at_the_end_is_a_noop)
{
	const size_t ps = page_size(), end = AREA_PAGES * ps;
	char *addr;
	int fd = create_mapped(_metadata, end, &addr);

	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, end, 0, 0);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, end, 0,
			      ASHMEM_NOT_PURGED);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ASSERT_EQ(0, munmap(addr, end));
	ASSERT_EQ(0, close(fd));
}

/* Pinning pages that were never unpinned is harmless and reports nothing. */
TEST(pin_of_pinned_pages_reports_not_purged)
{
	const size_t ps = page_size(), end = AREA_PAGES * ps;
	char *addr;
	int fd = create_mapped(_metadata, end, &addr);

	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, ps, ps,
			      ASHMEM_NOT_PURGED);
	assert_whole_status(_metadata, fd, ASHMEM_IS_PINNED);
	ASSERT_TRUE(check_pattern(addr, end, 20));
	ASSERT_EQ(0, munmap(addr, end));
	ASSERT_EQ(0, close(fd));
}

/*
 * The algebra.  Each variant applies a list of PIN/UNPIN operations (pages
 * [first, first + count); count 0 passes len 0, "to the end") to a fresh
 * area of AREA_PAGES pages and gives the expected state of every page:
 * 'U' unpinned, '.' pinned.
 */
struct pin_op {
	unsigned long cmd;	/* 0 ends the list */
	unsigned int first;
	unsigned int count;
};

#define UNPIN(f, n)	{ ASHMEM_UNPIN, f, n }
#define PIN(f, n)	{ ASHMEM_PIN, f, n }

FIXTURE(algebra) {
	int fd;
	char *addr;
	size_t ps;
};

FIXTURE_VARIANT(algebra) {
	struct pin_op ops[10];
	const char *expect;
};

FIXTURE_VARIANT_ADD(algebra, unpin_middle) {
	.ops = { UNPIN(2, 3) },
	.expect = "..UUU...",
};

FIXTURE_VARIANT_ADD(algebra, unpin_len_zero_from_start) {
	.ops = { UNPIN(0, 0) },
	.expect = "UUUUUUUU",
};

FIXTURE_VARIANT_ADD(algebra, unpin_len_zero_from_offset) {
	.ops = { UNPIN(3, 0) },
	.expect = "...UUUUU",
};

FIXTURE_VARIANT_ADD(algebra, unpin_first_and_last_page) {
	.ops = { UNPIN(0, 1), UNPIN(7, 1) },
	.expect = "U......U",
};

FIXTURE_VARIANT_ADD(algebra, unpin_adjacent_ranges) {
	.ops = { UNPIN(0, 2), UNPIN(2, 2) },
	.expect = "UUUU....",
};

FIXTURE_VARIANT_ADD(algebra, unpin_adjacent_ranges_reversed) {
	.ops = { UNPIN(4, 2), UNPIN(2, 2) },
	.expect = "..UUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_overlapping_high) {
	.ops = { UNPIN(1, 3), UNPIN(3, 3) },
	.expect = ".UUUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_overlapping_low) {
	.ops = { UNPIN(3, 3), UNPIN(1, 3) },
	.expect = ".UUUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_inside_unpinned) {
	.ops = { UNPIN(1, 5), UNPIN(2, 2) },
	.expect = ".UUUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_covering_unpinned) {
	.ops = { UNPIN(2, 2), UNPIN(1, 5) },
	.expect = ".UUUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_same_range_twice) {
	.ops = { UNPIN(2, 2), UNPIN(2, 2) },
	.expect = "..UU....",
};

FIXTURE_VARIANT_ADD(algebra, unpin_bridging_two_ranges) {
	.ops = { UNPIN(0, 2), UNPIN(4, 2), UNPIN(1, 4) },
	.expect = "UUUUUU..",
};

FIXTURE_VARIANT_ADD(algebra, unpin_swallowing_three_ranges) {
	.ops = { UNPIN(1, 1), UNPIN(3, 1), UNPIN(5, 1), UNPIN(0, 7) },
	.expect = "UUUUUUU.",
};

FIXTURE_VARIANT_ADD(algebra, unpin_ascending_pages) {
	.ops = { UNPIN(0, 1), UNPIN(1, 1), UNPIN(2, 1), UNPIN(3, 1),
		 UNPIN(4, 1), UNPIN(5, 1), UNPIN(6, 1), UNPIN(7, 1) },
	.expect = "UUUUUUUU",
};

FIXTURE_VARIANT_ADD(algebra, unpin_descending_pages) {
	.ops = { UNPIN(7, 1), UNPIN(6, 1), UNPIN(5, 1), UNPIN(4, 1),
		 UNPIN(3, 1), UNPIN(2, 1), UNPIN(1, 1), UNPIN(0, 1) },
	.expect = "UUUUUUUU",
};

FIXTURE_VARIANT_ADD(algebra, unpin_every_other_page) {
	.ops = { UNPIN(6, 1), UNPIN(0, 1), UNPIN(4, 1), UNPIN(2, 1) },
	.expect = "U.U.U.U.",
};

FIXTURE_VARIANT_ADD(algebra, pin_splits_range) {
	.ops = { UNPIN(0, 0), PIN(3, 2) },
	.expect = "UUU..UUU",
};

FIXTURE_VARIANT_ADD(algebra, pin_trims_low_end) {
	.ops = { UNPIN(2, 4), PIN(1, 2) },
	.expect = "...UUU..",
};

FIXTURE_VARIANT_ADD(algebra, pin_trims_high_end) {
	.ops = { UNPIN(2, 4), PIN(5, 2) },
	.expect = "..UUU...",
};

FIXTURE_VARIANT_ADD(algebra, pin_exact_range) {
	.ops = { UNPIN(2, 4), PIN(2, 4) },
	.expect = "........",
};

FIXTURE_VARIANT_ADD(algebra, pin_covering_several_ranges) {
	.ops = { UNPIN(1, 1), UNPIN(3, 1), UNPIN(5, 1), PIN(0, 0) },
	.expect = "........",
};

FIXTURE_VARIANT_ADD(algebra, pin_across_several_ranges) {
	.ops = { UNPIN(0, 2), UNPIN(3, 2), UNPIN(6, 2), PIN(1, 6) },
	.expect = "U......U",
};

FIXTURE_VARIANT_ADD(algebra, pin_first_page_of_range) {
	.ops = { UNPIN(2, 4), PIN(2, 1) },
	.expect = "...UUU..",
};

FIXTURE_VARIANT_ADD(algebra, pin_last_page_of_range) {
	.ops = { UNPIN(2, 4), PIN(5, 1) },
	.expect = "..UUU...",
};

FIXTURE_VARIANT_ADD(algebra, pin_len_zero_from_offset) {
	.ops = { UNPIN(0, 0), PIN(4, 0) },
	.expect = "UUUU....",
};

FIXTURE_VARIANT_ADD(algebra, pin_between_ranges_changes_nothing) {
	.ops = { UNPIN(0, 2), UNPIN(5, 2), PIN(3, 1) },
	.expect = "UU...UU.",
};

FIXTURE_VARIANT_ADD(algebra, pin_split_then_unpin_again) {
	.ops = { UNPIN(0, 0), PIN(3, 2), UNPIN(3, 2) },
	.expect = "UUUUUUUU",
};

FIXTURE_VARIANT_ADD(algebra, repeated_splits) {
	.ops = { UNPIN(0, 0), PIN(1, 1), PIN(3, 1), PIN(5, 1), PIN(7, 1) },
	.expect = "U.U.U.U.",
};

FIXTURE_VARIANT_ADD(algebra, split_then_merge_across) {
	.ops = { UNPIN(0, 0), PIN(2, 1), PIN(5, 1), UNPIN(1, 6) },
	.expect = "UUUUUUUU",
};

FIXTURE_VARIANT_ADD(algebra, pin_everything_back) {
	.ops = { UNPIN(0, 3), UNPIN(5, 3), UNPIN(2, 4), PIN(0, 0) },
	.expect = "........",
};

FIXTURE_SETUP(algebra)
{
	self->ps = page_size();
	self->fd = create_mapped(_metadata, AREA_PAGES * self->ps,
				 &self->addr);
}

FIXTURE_TEARDOWN(algebra)
{
	EXPECT_EQ(0, munmap(self->addr, AREA_PAGES * self->ps));
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(algebra, unpinned_pages_are_exactly_the_purged_ones)
{
	const size_t ps = self->ps;
	const char *expect = variant->expect;
	const struct pin_op *op;
	unsigned int i, j, unpinned = 0;
	char *buf;

	ASSERT_EQ((size_t)AREA_PAGES, strlen(expect));
	for (i = 0; i < AREA_PAGES; i++)
		unpinned += expect[i] == 'U';

	/* start from an empty LRU, so that the purge count is ours alone */
	purge_all(_metadata, self->fd);
	ASSERT_EQ(0, purge_all(_metadata, self->fd));

	for (op = variant->ops; op->cmd; op++)
		ashmem_assert_pin_cmd(_metadata, self->fd, op->cmd,
				      op->first * ps, op->count * ps,
				      op->cmd == ASHMEM_PIN ?
				      ASHMEM_NOT_PURGED : 0);

	/* every span [i, j]: unpinned if any of its pages is */
	for (i = 0; i < AREA_PAGES; i++) {
		bool any = false;

		for (j = i; j < AREA_PAGES; j++) {
			any |= expect[j] == 'U';
			ashmem_assert_pin_cmd(_metadata, self->fd,
					      ASHMEM_GET_PIN_STATUS, i * ps,
					      (j - i + 1) * ps,
					      any ? ASHMEM_IS_UNPINNED :
					      ASHMEM_IS_PINNED);
		}
	}
	assert_whole_status(_metadata, self->fd, unpinned ?
			    ASHMEM_IS_UNPINNED : ASHMEM_IS_PINNED);

	/* the LRU holds exactly the unpinned pages, no page twice */
	ASSERT_EQ((int)unpinned, purge_all(_metadata, self->fd));
	ASSERT_EQ(0, purge_all(_metadata, self->fd));

	/* exactly they were purged: zeros, and PIN says so */
	buf = malloc(ps);
	ASSERT_TRUE(buf != NULL);
	for (i = 0; i < AREA_PAGES; i++) {
		bool purged = expect[i] == 'U';

		ASSERT_EQ((ssize_t)ps, pread(self->fd, buf, ps, i * ps));
		if (purged) {
			ASSERT_TRUE(is_zero(self->addr + i * ps, ps))
				TH_LOG("page %u kept its content", i);
			ASSERT_TRUE(is_zero(buf, ps))
				TH_LOG("page %u reads its old content", i);
		} else {
			ASSERT_EQ(-1, pattern_mismatch(self->addr + i * ps, ps,
						       20, i * ps))
				TH_LOG("pinned page %u was changed", i);
			ASSERT_EQ(-1, pattern_mismatch(buf, ps, 20, i * ps))
				TH_LOG("pinned page %u reads changed", i);
		}
		ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, i * ps,
				      ps, purged ? ASHMEM_WAS_PURGED :
				      ASHMEM_NOT_PURGED);
	}
	free(buf);
	assert_whole_status(_metadata, self->fd, ASHMEM_IS_PINNED);
}

/*
 * strict_unpin: off by default (Android lets a read-only holder UNPIN);
 * when on, UNPIN is refused with EPERM to areas whose mask lacks
 * PROT_WRITE.  The fixture restores the parameter.
 */
FIXTURE(strict) {
	char saved[8];
	int fd;
	char *addr;
};

FIXTURE_SETUP(strict)
{
	ASSERT_LT(0, read_text_file(STRICT_UNPIN, self->saved,
				    sizeof(self->saved))) {
		TH_LOG("%s: %s", STRICT_UNPIN, strerror(errno));
	}
	self->fd = create_mapped(_metadata, AREA_PAGES * page_size(),
				 &self->addr);
}

FIXTURE_TEARDOWN(strict)
{
	EXPECT_EQ(0, write_text_file(STRICT_UNPIN, self->saved));
	EXPECT_EQ(0, munmap(self->addr, AREA_PAGES * page_size()));
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(strict, strict_unpin_is_off_by_default)
{
	ASSERT_STREQ("N\n", self->saved);
}

TEST_F(strict, default_lets_read_only_area_unpin)
{
	ASSERT_EQ(0, write_text_file(STRICT_UNPIN, "N"));
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	assert_whole_status(_metadata, self->fd, ASHMEM_IS_UNPINNED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
}

TEST_F(strict, strict_refuses_unpin_without_prot_write)
{
	const int masks[] = { PROT_READ, PROT_NONE, PROT_READ | PROT_EXEC };
	size_t i;

	ASSERT_EQ(0, write_text_file(STRICT_UNPIN, "Y"));
	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		ashmem_assert_set_prot(_metadata, self->fd, masks[i]);
		ashmem_fail_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0,
				    EPERM);
		ashmem_fail_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0,
				    page_size(), EPERM);
		assert_whole_status(_metadata, self->fd, ASHMEM_IS_PINNED);
		ASSERT_TRUE(check_pattern(self->addr,
					  AREA_PAGES * page_size(), 20));
		/* fresh area for the next mask */
		ASSERT_EQ(0, munmap(self->addr, AREA_PAGES * page_size()));
		ASSERT_EQ(0, close(self->fd));
		self->fd = create_mapped(_metadata, AREA_PAGES * page_size(),
					 &self->addr);
	}
}

TEST_F(strict, strict_still_lets_writable_area_unpin)
{
	ASSERT_EQ(0, write_text_file(STRICT_UNPIN, "Y"));
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ | PROT_WRITE);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	assert_whole_status(_metadata, self->fd, ASHMEM_IS_UNPINNED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
}

TEST_F(strict, strict_unpin_can_be_turned_off_again)
{
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ);
	ASSERT_EQ(0, write_text_file(STRICT_UNPIN, "Y"));
	ashmem_fail_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, EPERM);
	ASSERT_EQ(0, write_text_file(STRICT_UNPIN, "N"));
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 0, 0, 0);
	assert_whole_status(_metadata, self->fd, ASHMEM_IS_UNPINNED);
}

TEST_HARNESS_MAIN
