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
 * Opening the backing file through map_files may work (it needs
 * CAP_SYS_ADMIN), but mapping it must not: whatever the mask, it would
 * bypass every check the driver makes.
 */
static void assert_map_files_refuses_mmap(struct __test_metadata *_metadata,
					  const void *addr, size_t len,
					  int oflags, int prot)
{
	char path[128];
	void *again;
	int fd;

	map_files_path(path, sizeof(path), addr, len);
	fd = open(path, oflags | O_CLOEXEC);
	if (fd < 0) {
		/* refusing the open closes the route as well */
		ASSERT_TRUE(errno == EPERM || errno == EACCES) {
			TH_LOG("open(%s): %s", path, strerror(errno));
		}
		return;
	}
	again = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	ASSERT_TRUE(again == MAP_FAILED) {
		TH_LOG("%s mapped again with prot %#x", path, prot);
	}
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, close(fd));
}

TEST(backing_file_cannot_be_mapped_through_map_files)
{
	size_t len = 2 * page_size();
	char *addr;
	int fd = ashmem_create(_metadata, "map-files", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 7);
	assert_map_files_refuses_mmap(_metadata, addr, len, O_RDWR,
				      PROT_READ | PROT_WRITE);
	assert_map_files_refuses_mmap(_metadata, addr, len, O_RDONLY,
				      PROT_READ);
	ASSERT_TRUE(check_pattern(addr, len, 7));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

TEST(read_only_area_cannot_be_mapped_through_map_files)
{
	size_t len = 2 * page_size();
	char *rw, *ro;
	int fd = ashmem_create(_metadata, "map-files-ro", len);

	rw = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	fill_pattern(rw, len, 8);
	ASSERT_EQ(0, munmap(rw, len));
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);

	assert_map_files_refuses_mmap(_metadata, ro, len, O_RDWR,
				      PROT_READ | PROT_WRITE);
	assert_map_files_refuses_mmap(_metadata, ro, len, O_RDONLY, PROT_READ);
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

TEST_HARNESS_MAIN
