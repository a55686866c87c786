// SPDX-License-Identifier: GPL-2.0
/*
 * Identifying an area: ASHMEM_GET_FILE_ID (the inode number of the backing
 * file, created by the first mmap()), and what /proc/self/maps and
 * /proc/self/fdinfo show of the area.  In the -m32 build GET_FILE_ID goes
 * through compat_ioctl and writes a 32-bit value.
 */
#include <inttypes.h>

#include "ashmem_helpers.h"

static unsigned long get_file_id(struct __test_metadata *_metadata, int fd)
{
	unsigned long id = 0;

	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_FILE_ID, &id)) {
		TH_LOG("GET_FILE_ID: %s", strerror(errno));
	}
	ASSERT_NE(0ul, id);
	return id;
}

/* Copies the value of the "@key:" line of @fd's fdinfo; false if none. */
static bool fdinfo_field(int fd, const char *key, char *value, size_t size)
{
	char path[64], text[4096];
	size_t keylen = strlen(key);
	char *line, *end;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_text_file(path, text, sizeof(text)) < 0)
		return false;
	for (line = text; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (!strncmp(line, key, keylen) && line[keylen] == ':') {
			const char *v = line + keylen + 1;

			v += strspn(v, " \t");
			snprintf(value, size, "%.*s", (int)(end - v), v);
			return true;
		}
		if (!*end)
			break;
	}
	return false;
}

/* The inode column (the fifth) of the maps line of the mapping at @addr. */
static bool maps_inode(const void *addr, unsigned long long *ino)
{
	char line[512];

	if (!find_maps_line(addr, line, sizeof(line)))
		return false;
	return sscanf(line, "%*s %*s %*s %*s %llu", ino) == 1;
}

TEST(get_file_id_before_first_mmap_fails_with_einval)
{
	unsigned long id = 0x5a5a;
	int fd = ashmem_open(_metadata);

	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id));
	ASSERT_EQ(EINVAL, errno);
	ashmem_assert_set_size(_metadata, fd, page_size());
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0x5a5aul, id);
	/* asking froze nothing */
	ashmem_assert_set_size(_metadata, fd, 2 * page_size());
	ashmem_assert_set_name(_metadata, fd, "still-free");
	ASSERT_EQ(0, close(fd));
}

TEST(get_file_id_writes_one_unsigned_long)
{
	unsigned char buf[2 * sizeof(unsigned long) + 8];
	unsigned long id;
	size_t i;
	void *addr;
	int fd = ashmem_create(_metadata, "id-size", page_size());

	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED, 0);
	memset(buf, 0xAA, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_FILE_ID, buf));
	for (i = sizeof(unsigned long); i < sizeof(buf); i++) {
		ASSERT_EQ(0xAA, buf[i]) TH_LOG("byte %zu was written", i);
	}
	memcpy(&id, buf, sizeof(id));
	ASSERT_EQ(get_file_id(_metadata, fd), id);
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

TEST(get_file_id_with_bad_pointer_fails_with_efault)
{
	void *addr;
	int fd = ashmem_create(_metadata, "id-efault", page_size());

	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED, 0);
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, NULL));
	ASSERT_EQ(EFAULT, errno);
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, (void *)addr));
	ASSERT_EQ(EFAULT, errno);	/* a read-only page */
	get_file_id(_metadata, fd);
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

/* The id is the backing inode: /proc/self/maps shows the same number. */
TEST(file_id_is_the_inode_shown_in_maps)
{
	unsigned long long ino = 0;
	char *shared, *priv;
	unsigned long id;
	int fd = ashmem_create(_metadata, "id-maps", 2 * page_size());

	shared = ashmem_assert_mmap(_metadata, fd, 2 * page_size(), PROT_READ,
				    MAP_SHARED, 0);
	id = get_file_id(_metadata, fd);
	ASSERT_TRUE(maps_inode(shared, &ino));
	ASSERT_EQ((unsigned long long)id, ino);

	priv = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_PRIVATE, 0);
	ASSERT_TRUE(maps_inode(priv, &ino));
	ASSERT_EQ((unsigned long long)id, ino);
	ASSERT_EQ(id, get_file_id(_metadata, fd));
	ASSERT_EQ(0, munmap(priv, page_size()));
	ASSERT_EQ(0, munmap(shared, 2 * page_size()));
	ASSERT_EQ(0, close(fd));
}

TEST(different_areas_have_different_file_ids)
{
	unsigned long ids[4];
	void *addr[4];
	size_t i, j;
	int fd[4], dupfd;

	for (i = 0; i < ARRAY_SIZE(fd); i++) {
		fd[i] = ashmem_create(_metadata, "id-distinct", page_size());
		addr[i] = ashmem_assert_mmap(_metadata, fd[i], page_size(),
					     PROT_READ, MAP_SHARED, 0);
		ids[i] = get_file_id(_metadata, fd[i]);
		for (j = 0; j < i; j++) {
			ASSERT_NE(ids[j], ids[i]);
		}
	}
	/* a dup()ed descriptor is the same area */
	dupfd = dup(fd[0]);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(ids[0], get_file_id(_metadata, dupfd));
	ASSERT_EQ(0, close(dupfd));
	for (i = 0; i < ARRAY_SIZE(fd); i++) {
		ASSERT_EQ(0, munmap(addr[i], page_size()));
		ASSERT_EQ(0, close(fd[i]));
	}
}

TEST(file_id_is_the_same_in_both_processes)
{
	unsigned long id, child_id = 0;
	int pipefd[2];
	void *addr;
	pid_t pid;
	int fd = ashmem_create(_metadata, "id-shared", page_size());

	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED, 0);
	id = get_file_id(_metadata, fd);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long mine = 0;

		CHILD_CHECK(ioctl(fd, ASHMEM_GET_FILE_ID, &mine) == 0);
		CHILD_CHECK(write(pipefd[1], &mine, sizeof(mine)) ==
			    (ssize_t)sizeof(mine));
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(child_id),
		  read(pipefd[0], &child_id, sizeof(child_id)));
	assert_child_ok(_metadata, pid);
	ASSERT_EQ(id, child_id);
	ASSERT_EQ(0, close(pipefd[0]));
	ASSERT_EQ(0, close(pipefd[1]));
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

TEST(fdinfo_shows_name_size_and_inode)
{
	const size_t size = 3 * page_size() + 5;
	char value[300], expected[64];
	void *addr;
	int fd = ashmem_create(_metadata, "fdinfo-area", size);

	/* before the first mmap: name and size, no backing inode yet */
	ASSERT_TRUE(fdinfo_field(fd, "name", value, sizeof(value)));
	ASSERT_STREQ("fdinfo-area", value);
	ASSERT_TRUE(fdinfo_field(fd, "size", value, sizeof(value)));
	snprintf(expected, sizeof(expected), "%zu", size);
	ASSERT_STREQ(expected, value);

	addr = ashmem_assert_mmap(_metadata, fd, page_align(size), PROT_READ,
				  MAP_SHARED, 0);
	ASSERT_TRUE(fdinfo_field(fd, "inode", value, sizeof(value)));
	snprintf(expected, sizeof(expected), "%lu",
		 get_file_id(_metadata, fd));
	ASSERT_STREQ(expected, value);
	ASSERT_TRUE(fdinfo_field(fd, "name", value, sizeof(value)));
	ASSERT_STREQ("fdinfo-area", value);
	ASSERT_TRUE(fdinfo_field(fd, "size", value, sizeof(value)));
	snprintf(expected, sizeof(expected), "%zu", size);
	ASSERT_STREQ(expected, value);
	ASSERT_EQ(0, munmap(addr, page_align(size)));
	ASSERT_EQ(0, close(fd));
}

/* How many lines of @fd's fdinfo start with "@key:". */
static int fdinfo_count(int fd, const char *key)
{
	char path[64], text[4096];
	size_t keylen = strlen(key);
	const char *line;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_text_file(path, text, sizeof(text)) < 0)
		return -1;
	for (line = text; *line; line = strchrnul(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, keylen) && line[keylen] == ':')
			n++;
	}
	return n;
}

/*
 * A name is any bytes but NUL.  fdinfo escapes the ones that would let a
 * name forge fields of its own (newline, tab, space, backslash) as octal.
 */
TEST(fdinfo_escapes_a_name_that_forges_fields)
{
	const char *name = "evil\nsize:\t1\nunpinned_pages:\t0 \\x";
	char value[300], expected[32];
	int fd = ashmem_create(_metadata, name, page_size());

	ashmem_assert_name(_metadata, fd, name);
	ASSERT_EQ(1, fdinfo_count(fd, "name"));
	ASSERT_EQ(1, fdinfo_count(fd, "size"));
	ASSERT_EQ(1, fdinfo_count(fd, "unpinned_pages"));
	ASSERT_TRUE(fdinfo_field(fd, "name", value, sizeof(value)));
	ASSERT_STREQ("evil\\012size:\\0111\\012unpinned_pages:\\0110\\040\\134x", value);
	ASSERT_TRUE(fdinfo_field(fd, "size", value, sizeof(value)));
	snprintf(expected, sizeof(expected), "%zu", page_size());
	ASSERT_STREQ(expected, value);
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
