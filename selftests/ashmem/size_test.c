// SPDX-License-Identifier: GPL-2.0
/*
 * Area sizes: ASHMEM_SET_SIZE and ASHMEM_GET_SIZE, and how the size bounds
 * mmap().  SET_SIZE takes any value until the first mmap(); mmap() refuses
 * a size of 0 and any length beyond the page-aligned size.
 */
#include "ashmem_helpers.h"

TEST(set_size_takes_any_value_until_mapped)
{
	size_t ps = page_size();
	const size_t sizes[] = {
		1, ps - 1, ps, ps + 1, 3 * ps, 0, 1UL << 30, 7,
	};
	size_t i;
	int fd = ashmem_open(_metadata);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ashmem_assert_set_size(_metadata, fd, sizes[i]);
		ashmem_assert_size(_metadata, fd, sizes[i]);
	}
	ASSERT_EQ(0, close(fd));
}

/* A failed mmap() must not count as "mapped": the area stays configurable. */
static void assert_still_unmapped(struct __test_metadata *_metadata, int fd,
				  size_t size)
{
	unsigned long id;

	ashmem_assert_size(_metadata, fd, size);
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id));
	ASSERT_EQ(EINVAL, errno);
	ashmem_assert_set_size(_metadata, fd, size);
}

TEST(mmap_of_size_zero_fails_with_einval)
{
	int fd = ashmem_open(_metadata);

	ashmem_fail_mmap(_metadata, fd, page_size(), PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0, EINVAL);
	ashmem_fail_mmap(_metadata, fd, page_size(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE, 0, EINVAL);
	assert_still_unmapped(_metadata, fd, 0);

	/* explicitly set to 0 after having been larger */
	ashmem_assert_set_size(_metadata, fd, page_size());
	ashmem_assert_set_size(_metadata, fd, 0);
	ashmem_fail_mmap(_metadata, fd, page_size(), PROT_READ, MAP_SHARED, 0,
			 EINVAL);
	assert_still_unmapped(_metadata, fd, 0);
	ASSERT_EQ(0, close(fd));
}

/*
 * mmap() may cover at most PAGE_ALIGN(size) bytes.  Each row gives a size
 * (in pages plus bytes) and the largest length, in pages, that maps.
 */
static const struct {
	size_t pages;
	size_t bytes;
	size_t max_pages;
} mmap_limits[] = {
	{ 0, 1, 1 },		/* 1 byte: one page, not two */
	{ 1, 0, 1 },
	{ 0, 100, 1 },
	{ 3, 0, 3 },		/* three pages: not four */
	{ 3, 1, 4 },
	{ 16, 0, 16 },
};

TEST(mmap_length_is_limited_to_page_aligned_size)
{
	size_t ps = page_size();
	size_t i, len;
	int prot = PROT_READ | PROT_WRITE;

	for (i = 0; i < ARRAY_SIZE(mmap_limits); i++) {
		size_t size = mmap_limits[i].pages * ps + mmap_limits[i].bytes;
		size_t max = mmap_limits[i].max_pages * ps;
		int fd = ashmem_create(_metadata, "limits", size);
		char *addr;

		ashmem_fail_mmap(_metadata, fd, max + ps, prot, MAP_SHARED, 0,
				 EINVAL);
		ashmem_fail_mmap(_metadata, fd, max + 1, prot, MAP_SHARED, 0,
				 EINVAL);
		ashmem_fail_mmap(_metadata, fd, max + ps, prot, MAP_PRIVATE, 0,
				 EINVAL);
		assert_still_unmapped(_metadata, fd, size);

		for (len = ps; len <= max; len += ps) {
			addr = ashmem_assert_mmap(_metadata, fd, len, prot,
						  MAP_SHARED, 0);
			ASSERT_EQ(0, munmap(addr, len));
		}
		ashmem_fail_mmap(_metadata, fd, max + ps, prot, MAP_SHARED, 0,
				 EINVAL);
		ASSERT_EQ(0, close(fd));
	}
}

/* The page that holds the last byte is mapped whole. */
TEST(one_byte_area_maps_a_whole_page)
{
	size_t ps = page_size();
	char *addr, seen = 0;
	int fd = ashmem_create(_metadata, "one-byte", 1);

	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	ASSERT_EQ(0, probe_write(addr, 'a'));
	ASSERT_EQ(0, probe_write(addr + ps - 1, 'z'));
	ASSERT_EQ(0, probe_read(addr + ps - 1, &seen));
	ASSERT_EQ('z', seen);
	ashmem_assert_size(_metadata, fd, 1);
	ASSERT_EQ(0, munmap(addr, ps));
	ASSERT_EQ(0, close(fd));
}

/* The first mmap() of any kind freezes the size. */
FIXTURE(mapped) {
	int fd;
	void *addr;
	size_t size;
};

FIXTURE_VARIANT(mapped) {
	int prot;
	int flags;
};

FIXTURE_VARIANT_ADD(mapped, shared) {
	.prot = PROT_READ | PROT_WRITE,
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mapped, private) {
	.prot = PROT_READ | PROT_WRITE,
	.flags = MAP_PRIVATE,
};

FIXTURE_VARIANT_ADD(mapped, prot_none) {
	.prot = PROT_NONE,
	.flags = MAP_SHARED,
};

FIXTURE_SETUP(mapped)
{
	self->size = 2 * page_size();
	self->fd = ashmem_create(_metadata, "sized", self->size);
	self->addr = ashmem_assert_mmap(_metadata, self->fd, self->size,
					variant->prot, variant->flags, 0);
}

FIXTURE_TEARDOWN(mapped)
{
	EXPECT_EQ(0, munmap(self->addr, self->size));
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(mapped, set_size_after_mmap_fails_with_einval)
{
	const size_t attempts[] = {
		4 * page_size(), page_size(), 0, self->size,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attempts); i++) {
		ashmem_fail_set_size(_metadata, self->fd, attempts[i], EINVAL);
		ashmem_assert_size(_metadata, self->fd, self->size);
	}
}

/* Later mappings are still bounded by the frozen size. */
TEST_F(mapped, later_mmap_is_still_bounded_by_size)
{
	ashmem_fail_set_size(_metadata, self->fd, 8 * page_size(), EINVAL);
	ashmem_fail_mmap(_metadata, self->fd, 3 * page_size(), PROT_READ,
			 MAP_SHARED, 0, EINVAL);
	ashmem_assert_size(_metadata, self->fd, self->size);
}

TEST_HARNESS_MAIN
