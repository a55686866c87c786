// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings of an area: MAP_SHARED maps the shared content, MAP_PRIVATE
 * gives private zero-filled memory, /proc/self/maps names the area, and the
 * backing file can never be mapped again by another route (CVE-2020-0009:
 * /proc/self/map_files, remap_file_pages()).
 */
#include "ashmem_helpers.h"

TEST(shared_mappings_share_content)
{
	size_t len = 4 * page_size();
	char *a, *b, *buf;
	int fd = ashmem_create(_metadata, "shared", len);

	a = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0);
	b = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0);
	ASSERT_TRUE(is_zero(a, len));
	fill_pattern(a, len, 1);
	ASSERT_TRUE(check_pattern(b, len, 1));
	b[len - 1] = 0;
	ASSERT_EQ(0, a[len - 1]);

	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	ASSERT_EQ(0, memcmp(a, buf, len));
	free(buf);
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
	ASSERT_EQ(0, close(fd));
}

TEST(mmap_at_offset_maps_that_part)
{
	size_t ps = page_size();
	char *whole, *part;
	int fd = ashmem_create(_metadata, "offset", 4 * ps);

	whole = ashmem_assert_mmap(_metadata, fd, 4 * ps,
				   PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(whole, 4 * ps, 2);
	part = ashmem_assert_mmap(_metadata, fd, 2 * ps, PROT_READ, MAP_SHARED,
				  ps);
	ASSERT_EQ(0, memcmp(whole + ps, part, 2 * ps));
	ASSERT_EQ(0, munmap(whole, 4 * ps));
	ASSERT_EQ(0, munmap(part, 2 * ps));
	ASSERT_EQ(0, close(fd));
}

TEST(mapping_outlives_the_fd)
{
	size_t len = 2 * page_size();
	char *a, *b;
	int fd = ashmem_create(_metadata, "outlives", len);

	a = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0);
	b = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0);
	ASSERT_EQ(0, close(fd));
	fill_pattern(a, len, 3);
	ASSERT_TRUE(check_pattern(b, len, 3));
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_TRUE(check_pattern(b, len, 3));
	ASSERT_EQ(0, munmap(b, len));
}

/* MAP_PRIVATE behaves like /dev/zero: it never shows the shared content. */
TEST(private_mapping_is_zero_filled)
{
	size_t len = 3 * page_size();
	char *shared, *priv;
	int fd = ashmem_create(_metadata, "private", len);

	shared = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0);
	fill_pattern(shared, len, 4);
	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	ASSERT_TRUE(is_zero(priv, len));
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, munmap(shared, len));
	ASSERT_EQ(0, close(fd));
}

TEST(first_mmap_private_is_zero_filled_and_writable)
{
	size_t len = 2 * page_size();
	char *priv;
	int fd = ashmem_create(_metadata, "private-first", len);

	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	ASSERT_TRUE(is_zero(priv, len));
	ASSERT_EQ(0, probe_write(priv + len - 1, 'p'));
	ASSERT_EQ('p', priv[len - 1]);
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, close(fd));
}

TEST(private_writes_are_invisible_to_others)
{
	size_t len = 3 * page_size();
	char *shared, *priv, *priv2, *buf;
	int fd = ashmem_create(_metadata, "private-writes", len);

	shared = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0);
	fill_pattern(shared, len, 5);
	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	priv2 = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, 0);
	fill_pattern(priv, len, 6);

	ASSERT_TRUE(check_pattern(shared, len, 5));
	ASSERT_TRUE(is_zero(priv2, len));
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	ASSERT_TRUE(check_pattern(buf, len, 5));
	/* and shared writes do not reach the private copy either */
	memset(shared, 's', len);
	ASSERT_TRUE(check_pattern(priv, len, 6));
	free(buf);
	ASSERT_EQ(0, munmap(priv2, len));
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, munmap(shared, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * /proc/self/maps names a mapping "/dev/ashmem/<name>", or "/dev/ashmem"
 * when unnamed, possibly followed by " (deleted)".
 */
static void assert_maps_path(struct __test_metadata *_metadata,
			     const void *addr, const char *expected)
{
	char line[512], deleted[512];
	const char *path;

	ASSERT_TRUE(find_maps_line(addr, line, sizeof(line))) {
		TH_LOG("no mapping at %p in /proc/self/maps", addr);
	}
	path = strchr(line, '/');
	ASSERT_TRUE(path != NULL) TH_LOG("no path in '%s'", line);
	snprintf(deleted, sizeof(deleted), "%s (deleted)", expected);
	ASSERT_TRUE(!strcmp(path, expected) || !strcmp(path, deleted)) {
		TH_LOG("maps shows '%s', expected '%s'", path, expected);
	}
}

FIXTURE(maps) {
	int fd;
	size_t len;
};

FIXTURE_VARIANT(maps) {
	const char *name;	/* NULL: never named */
	const char *path;
};

FIXTURE_VARIANT_ADD(maps, named) {
	.name = "maps-test",
	.path = "/dev/ashmem/maps-test",
};

FIXTURE_VARIANT_ADD(maps, unnamed) {
	.name = NULL,
	.path = "/dev/ashmem",
};

FIXTURE_VARIANT_ADD(maps, renamed_to_empty) {
	.name = "",
	.path = "/dev/ashmem",
};

FIXTURE_VARIANT_ADD(maps, name_with_spaces) {
	.name = "with spaces",
	.path = "/dev/ashmem/with spaces",
};

FIXTURE_SETUP(maps)
{
	self->len = 2 * page_size();
	self->fd = ashmem_open(_metadata);
	if (variant->name) {
		ashmem_assert_set_name(_metadata, self->fd, "placeholder");
		ashmem_assert_set_name(_metadata, self->fd, variant->name);
	}
	ashmem_assert_set_size(_metadata, self->fd, self->len);
}

FIXTURE_TEARDOWN(maps)
{
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(maps, maps_shows_dev_ashmem_name)
{
	char *shared, *priv;

	shared = ashmem_assert_mmap(_metadata, self->fd, self->len,
				    PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	assert_maps_path(_metadata, shared, variant->path);
	priv = ashmem_assert_mmap(_metadata, self->fd, self->len, PROT_READ,
				  MAP_PRIVATE, 0);
	assert_maps_path(_metadata, priv, variant->path);
	ASSERT_EQ(0, munmap(priv, self->len));
	ASSERT_EQ(0, munmap(shared, self->len));
}

TEST_F(maps, first_mmap_private_also_names_the_area)
{
	char *priv = ashmem_assert_mmap(_metadata, self->fd, self->len,
					PROT_READ, MAP_PRIVATE, 0);

	assert_maps_path(_metadata, priv, variant->path);
	ASSERT_EQ(0, munmap(priv, self->len));
}

/* CVE-2020-0009: the backing file behind a mapping. */
static void map_files_path(char *buf, size_t size, const void *addr,
			   size_t len)
{
	snprintf(buf, size, "/proc/self/map_files/%lx-%lx",
		 (unsigned long)addr, (unsigned long)addr + len);
}

/*
 * The backing file reopened through map_files (which needs
 * CAP_CHECKPOINT_RESTORE) is a plain shmem file that carries the area's
 * seals (Documentation/ashmem.rst, "Backing files"): it maps the same
 * content, never changes the size, and gains no write access to an area
 * whose mask lacks PROT_WRITE.  Returns the fd, or -1 if the open itself
 * is refused (which closes the route as well).
 */
static int open_map_files(struct __test_metadata *_metadata, const void *addr,
			  size_t len, int oflags)
{
	char path[128];
	int fd;

	map_files_path(path, sizeof(path), addr, len);
	fd = open(path, oflags | O_CLOEXEC);
	if (fd < 0) {
		EXPECT_TRUE(errno == EPERM || errno == EACCES) {
			TH_LOG("open(%s): %s", path, strerror(errno));
		}
	}
	return fd;
}

/* Neither grown nor shrunk, by truncation or allocation. */
static void assert_size_is_sealed(struct __test_metadata *_metadata, int bfd,
				  size_t len)
{
	errno = 0;
	ASSERT_EQ(-1, ftruncate(bfd, 0));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, ftruncate(bfd, 2 * len));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, fallocate(bfd, 0, len, page_size()));
	ASSERT_EQ(EPERM, errno);
}

TEST(writable_area_reopened_through_map_files_shares_content_but_not_size)
{
	size_t len = 2 * page_size();
	char *addr, *again;
	int fd = ashmem_create(_metadata, "map-files", len);
	int bfd;

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 7);
	bfd = open_map_files(_metadata, addr, len, O_RDWR);
	ASSERT_LE(0, bfd);

	assert_size_is_sealed(_metadata, bfd, len);
	ASSERT_EQ((off_t)len, lseek(bfd, 0, SEEK_END));
	again = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	ASSERT_NE(MAP_FAILED, again) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_TRUE(check_pattern(again, len, 7));
	again[0] = (char)~addr[0];
	ASSERT_EQ(again[0], addr[0]);
	ASSERT_EQ((long)len, (long)ioctl(fd, ASHMEM_GET_SIZE));
	ASSERT_EQ(0, munmap(again, len));
	ASSERT_EQ(0, close(bfd));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

TEST(read_only_area_cannot_be_mapped_writable_through_map_files)
{
	size_t len = 2 * page_size();
	char *rw, *ro, *again;
	int fd = ashmem_create(_metadata, "map-files-ro", len);
	int bfd;

	rw = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	fill_pattern(rw, len, 8);
	ASSERT_EQ(0, munmap(rw, len));
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);

	bfd = open_map_files(_metadata, ro, len, O_RDWR);
	ASSERT_LE(0, bfd);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, bfd, 0));
	ASSERT_EQ(EPERM, errno);
	/* a shared read-only mapping can never be made writable */
	again = mmap(NULL, len, PROT_READ, MAP_SHARED, bfd, 0);
	ASSERT_NE(MAP_FAILED, again) TH_LOG("mmap: %s", strerror(errno));
	errno = 0;
	ASSERT_EQ(-1, mprotect(again, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(SIGSEGV, probe_write(again, 1));
	ASSERT_EQ(0, munmap(again, len));
	/* a private mapping writes only its own copy */
	again = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, bfd, 0);
	ASSERT_NE(MAP_FAILED, again) TH_LOG("mmap: %s", strerror(errno));
	memset(again, 'p', len);
	ASSERT_EQ(0, munmap(again, len));
	assert_size_is_sealed(_metadata, bfd, len);
	ASSERT_EQ(0, close(bfd));

	ASSERT_TRUE(check_pattern(ro, len, 8));
	ASSERT_EQ(0, munmap(ro, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * Jann Horn's remap_file_pages() attack: re-running the backing file's
 * mmap on a read-only mapping must not restore VM_MAYWRITE.
 */
TEST(remap_file_pages_cannot_make_read_only_area_writable)
{
	size_t len = page_size();
	char *rw, *ro;
	int fd = ashmem_create(_metadata, "remap", len);
	int ret;

	rw = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	rw[0] = 'A';
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	errno = 0;
	ASSERT_EQ(-1, mprotect(ro, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);

	ret = remap_file_pages(ro, len, 0, 0, 0);
	if (ret) {
		ASSERT_EQ(EPERM, errno) TH_LOG("remap_file_pages: %s",
					       strerror(errno));
	}
	/* whatever is mapped at @ro now, it must not become writable */
	ASSERT_NE(0, mprotect(ro, len, PROT_READ | PROT_WRITE));
	ASSERT_NE(0, probe_write(ro, 'X'));
	ASSERT_EQ('A', rw[0]);
	ASSERT_EQ(0, munmap(ro, len));
	ASSERT_EQ(0, munmap(rw, len));
	ASSERT_EQ(0, close(fd));
}

/* Which of @pages pages at @addr are resident. */
static void resident_pages(struct __test_metadata *_metadata, void *addr,
			   size_t pages, unsigned char *vec)
{
	ASSERT_EQ(0, mincore(addr, pages * page_size(), vec)) {
		TH_LOG("mincore: %s", strerror(errno));
	}
}

/*
 * Chromium's discardable memory frees ashmem pages with MADV_REMOVE on a
 * writable shared mapping, as on memfd: the pages go away at once and read
 * back as zeros; the rest of the area keeps its content.
 */
TEST(madvise_remove_frees_pages_of_a_writable_shared_mapping)
{
	size_t pages = 8, len = pages * page_size();
	unsigned char vec[8];
	char *addr, *buf;
	int fd = ashmem_create(_metadata, "madv-remove", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 9);
	ASSERT_EQ(0, madvise(addr + 2 * page_size(), 3 * page_size(),
			     MADV_REMOVE)) {
		TH_LOG("madvise(MADV_REMOVE): %s", strerror(errno));
	}
	resident_pages(_metadata, addr, pages, vec);
	for (size_t i = 0; i < pages; i++) {
		ASSERT_EQ(i < 2 || i >= 5, vec[i] & 1) TH_LOG("page %zu", i);
	}

	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	ASSERT_TRUE(check_pattern(buf, 2 * page_size(), 9));
	ASSERT_TRUE(is_zero(buf + 2 * page_size(), 3 * page_size()));
	ASSERT_EQ(0, memcmp(buf + 5 * page_size(), addr + 5 * page_size(),
			    3 * page_size()));
	ASSERT_TRUE(is_zero(addr + 2 * page_size(), 3 * page_size()));
	free(buf);
	/* the size did not change, and the freed pages can be used again */
	ASSERT_EQ((long)len, (long)ioctl(fd, ASHMEM_GET_SIZE));
	memset(addr + 3 * page_size(), 'n', page_size());
	ASSERT_EQ('n', addr[3 * page_size()]);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * Without write access there is nothing to free the pages with: a mask
 * without PROT_WRITE, or a private mapping.  (A read-only mapping of an
 * area whose mask allows writing may punch, as on memfd: mprotect() could
 * make it writable anyway.)
 */
FIXTURE(remove_refused) {
	int fd;
	size_t len;
	char *rw;
};

FIXTURE_VARIANT(remove_refused) {
	int mask;
	int prot;
	int flags;
};

FIXTURE_VARIANT_ADD(remove_refused, read_only_mask) {
	.mask = PROT_READ, .prot = PROT_READ, .flags = MAP_SHARED,
};
FIXTURE_VARIANT_ADD(remove_refused, private_mapping) {
	.mask = ASHMEM_PROT_ALL, .prot = PROT_READ | PROT_WRITE,
	.flags = MAP_PRIVATE,
};

FIXTURE_SETUP(remove_refused)
{
	self->len = 4 * page_size();
	self->fd = ashmem_create(_metadata, "madv-remove-refused", self->len);
	self->rw = ashmem_assert_mmap(_metadata, self->fd, self->len,
				      PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(self->rw, self->len, 10);
}

FIXTURE_TEARDOWN(remove_refused)
{
	munmap(self->rw, self->len);
	close(self->fd);
}

TEST_F(remove_refused, madvise_remove_without_write_fails_with_eacces)
{
	char *addr;

	if (variant->mask != ASHMEM_PROT_ALL)
		ashmem_assert_set_prot(_metadata, self->fd, variant->mask);
	addr = ashmem_assert_mmap(_metadata, self->fd, self->len,
				  variant->prot, variant->flags, 0);
	errno = 0;
	ASSERT_EQ(-1, madvise(addr, self->len, MADV_REMOVE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, munmap(addr, self->len));
	ASSERT_TRUE(check_pattern(self->rw, self->len, 10));
}

TEST_HARNESS_MAIN
