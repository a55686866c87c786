// SPDX-License-Identifier: GPL-2.0
/*
 * Area names: ASHMEM_SET_NAME and ASHMEM_GET_NAME.
 *
 * A name is at most ASHMEM_NAME_LEN - 1 bytes, an empty name means
 * "unnamed" (reported as ASHMEM_NAME_DEF), GET_NAME writes only the name and
 * its NUL, and the name is frozen by the first mmap().
 */
#include "ashmem_helpers.h"

/* An address with nothing mapped at it (two pages, so @addr + 1 page too). */
static void *unmapped_address(void)
{
	size_t len = 2 * page_size();
	void *addr = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	if (addr == MAP_FAILED || munmap(addr, len))
		return NULL;
	return addr;
}

TEST(unnamed_area_reports_default_name)
{
	int fd = ashmem_open(_metadata);

	ashmem_assert_name(_metadata, fd, "dev/ashmem");
	ASSERT_EQ(0, close(fd));
}

TEST(name_can_change_until_mapped)
{
	int fd = ashmem_open(_metadata);

	ashmem_assert_set_name(_metadata, fd, "first");
	ashmem_assert_name(_metadata, fd, "first");
	ashmem_assert_set_name(_metadata, fd, "second name, with spaces");
	ashmem_assert_name(_metadata, fd, "second name, with spaces");
	ashmem_assert_set_name(_metadata, fd, "dev/ashmem/nested");
	ashmem_assert_name(_metadata, fd, "dev/ashmem/nested");
	ASSERT_EQ(0, close(fd));
}

TEST(name_of_255_bytes_is_kept_whole)
{
	char name[ASHMEM_NAME_LEN];
	int fd = ashmem_open(_metadata);

	memset(name, 'n', ASHMEM_NAME_LEN - 1);
	name[ASHMEM_NAME_LEN - 1] = '\0';
	ashmem_assert_set_name(_metadata, fd, name);
	ashmem_assert_name(_metadata, fd, name);
	ASSERT_EQ(0, close(fd));
}

TEST(longer_name_is_truncated_to_255_bytes)
{
	char name[3 * ASHMEM_NAME_LEN], expected[ASHMEM_NAME_LEN];
	int fd = ashmem_open(_metadata);

	fill_pattern(name, sizeof(name), 1);
	/* printable and never NUL */
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = 'a' + (unsigned char)name[i] % 26;
	name[sizeof(name) - 1] = '\0';
	memcpy(expected, name, ASHMEM_NAME_LEN - 1);
	expected[ASHMEM_NAME_LEN - 1] = '\0';

	ashmem_assert_set_name(_metadata, fd, name);
	ashmem_assert_name(_metadata, fd, expected);
	ASSERT_EQ(0, close(fd));
}

/*
 * A name with no NUL in its first 256 bytes, directly followed by an
 * unmapped page: the driver reads no more than ASHMEM_NAME_LEN bytes, so it
 * neither faults nor needs the terminator.
 */
TEST(unterminated_name_is_read_up_to_256_bytes)
{
	size_t ps = page_size();
	char *buf, *name, expected[ASHMEM_NAME_LEN];
	int fd = ashmem_open(_metadata);

	buf = ashmem_assert_mmap(_metadata, -1, 2 * ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_EQ(0, munmap(buf + ps, ps));
	name = buf + ps - ASHMEM_NAME_LEN;
	memset(name, 'u', ASHMEM_NAME_LEN);
	memset(expected, 'u', ASHMEM_NAME_LEN - 1);
	expected[ASHMEM_NAME_LEN - 1] = '\0';

	ashmem_assert_set_name(_metadata, fd, name);
	ashmem_assert_name(_metadata, fd, expected);
	ASSERT_EQ(0, munmap(buf, ps));
	ASSERT_EQ(0, close(fd));
}

/*
 * A short name at the very end of the last mapped page: the driver must
 * stop at the NUL and not insist on reading a full 256-byte buffer.
 */
TEST(short_name_before_unmapped_page_is_accepted)
{
	size_t ps = page_size();
	char *buf, *name;
	int fd = ashmem_open(_metadata);

	buf = ashmem_assert_mmap(_metadata, -1, 2 * ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_EQ(0, munmap(buf + ps, ps));
	name = buf + ps - sizeof("edge");
	memcpy(name, "edge", sizeof("edge"));

	ashmem_assert_set_name(_metadata, fd, name);
	ashmem_assert_name(_metadata, fd, "edge");
	ASSERT_EQ(0, munmap(buf, ps));
	ASSERT_EQ(0, close(fd));
}

TEST(empty_name_makes_area_unnamed)
{
	int fd = ashmem_open(_metadata);

	ashmem_assert_set_name(_metadata, fd, "named");
	ashmem_assert_name(_metadata, fd, "named");
	ashmem_assert_set_name(_metadata, fd, "");
	ashmem_assert_name(_metadata, fd, ASHMEM_NAME_DEF);
	ASSERT_EQ(0, close(fd));
}

/* GET_NAME must not write past the NUL: no kernel stack leaks out. */
static void assert_get_name_writes_exactly(struct __test_metadata *_metadata,
					   int fd, const char *expected)
{
	unsigned char buf[ASHMEM_NAME_LEN];
	size_t len = strlen(expected) + 1, i;

	memset(buf, 0xAA, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_NAME, buf));
	ASSERT_EQ(0, memcmp(buf, expected, len));
	for (i = len; i < sizeof(buf); i++) {
		ASSERT_EQ(0xAA, buf[i]) TH_LOG("byte %zu was written", i);
	}
}

TEST(get_name_writes_only_the_name_and_its_nul)
{
	int fd = ashmem_open(_metadata);

	assert_get_name_writes_exactly(_metadata, fd, ASHMEM_NAME_DEF);
	ashmem_assert_set_name(_metadata, fd, "x");
	assert_get_name_writes_exactly(_metadata, fd, "x");
	ashmem_assert_set_name(_metadata, fd, "a somewhat longer name");
	assert_get_name_writes_exactly(_metadata, fd, "a somewhat longer name");
	ASSERT_EQ(0, close(fd));
}

TEST(set_name_with_bad_pointer_fails_with_efault)
{
	void *bad = unmapped_address();
	int fd = ashmem_open(_metadata);

	ASSERT_TRUE(bad != NULL);
	ashmem_assert_set_name(_metadata, fd, "kept");
	ashmem_fail_set_name(_metadata, fd, bad, EFAULT);
	ashmem_assert_name(_metadata, fd, "kept");
	ASSERT_EQ(0, close(fd));
}

TEST(get_name_with_bad_pointer_fails_with_efault)
{
	void *bad = unmapped_address();
	int fd = ashmem_open(_metadata);

	ASSERT_TRUE(bad != NULL);
	ashmem_assert_set_name(_metadata, fd, "kept");
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_NAME, bad));
	ASSERT_EQ(EFAULT, errno);
	ashmem_assert_name(_metadata, fd, "kept");
	ASSERT_EQ(0, close(fd));
}

/* The first mmap() of any kind freezes the name. */
FIXTURE(mapped) {
	int fd;
	void *addr;
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
	self->fd = ashmem_create(_metadata, "before-mmap", page_size());
	self->addr = ashmem_assert_mmap(_metadata, self->fd, page_size(),
					variant->prot, variant->flags, 0);
}

FIXTURE_TEARDOWN(mapped)
{
	EXPECT_EQ(0, munmap(self->addr, page_size()));
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(mapped, set_name_after_mmap_fails_with_einval)
{
	ashmem_fail_set_name(_metadata, self->fd, "after-mmap", EINVAL);
	ashmem_assert_name(_metadata, self->fd, "before-mmap");
	ashmem_fail_set_name(_metadata, self->fd, "", EINVAL);
	ashmem_assert_name(_metadata, self->fd, "before-mmap");
}

TEST_F(mapped, name_stays_frozen_after_munmap)
{
	ASSERT_EQ(0, munmap(self->addr, page_size()));
	self->addr = ashmem_assert_mmap(_metadata, -1, page_size(), PROT_READ,
					MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ashmem_fail_set_name(_metadata, self->fd, "after-munmap", EINVAL);
	ashmem_assert_name(_metadata, self->fd, "before-mmap");
}

TEST_HARNESS_MAIN
