// SPDX-License-Identifier: GPL-2.0
/*
 * read(), pread() and lseek() on an area, and write() being refused.
 *
 * Before the first mmap() there is nothing to read: a size of 0 reads as
 * end of file (lseek: EINVAL), any other size gives EBADF.  Afterwards the
 * calls work on the area's content with shmem's semantics, including
 * SEEK_DATA and SEEK_HOLE.
 */
#include "ashmem_helpers.h"

TEST(size_zero_area_reads_eof_and_refuses_lseek)
{
	const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END };
	char buf[16];
	size_t i;
	int fd = ashmem_open(_metadata);

	for (i = 0; i < ARRAY_SIZE(whences); i++) {
		errno = 0;
		EXPECT_EQ(-1, lseek(fd, 0, whences[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, pread(fd, buf, sizeof(buf), 0));

	/* the same after an explicit SET_SIZE(0) */
	ashmem_assert_set_size(_metadata, fd, page_size());
	ashmem_assert_set_size(_metadata, fd, 0);
	ASSERT_EQ(0, read(fd, buf, sizeof(buf)));
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(EINVAL, errno);
	ashmem_assert_size(_metadata, fd, 0);
	ASSERT_EQ(0, close(fd));
}

TEST(never_mapped_area_fails_read_and_lseek_with_ebadf)
{
	char buf[16];
	int fd = ashmem_create(_metadata, "unmapped", page_size());

	errno = 0;
	ASSERT_EQ(-1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(EBADF, errno);
	errno = 0;
	ASSERT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(EBADF, errno);
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(EBADF, errno);
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(EBADF, errno);

	/* nothing was frozen by the failed calls */
	ashmem_assert_set_size(_metadata, fd, 2 * page_size());
	ashmem_assert_set_name(_metadata, fd, "still-configurable");
	ASSERT_EQ(0, close(fd));
}

/*
 * libcutils' FileOperationsTest, in our words: a 4-page area of which only
 * pages 1 and 2 were ever written.  Each seek is checked for its result,
 * and a seek that lands in the data is followed by a read of the rest of
 * the data.
 *
 *   [hole][data][data][hole]
 */
TEST(lseek_follows_android_file_operations_table)
{
	const off_t ps = (off_t)page_size();
	const off_t size = 4 * ps, data_start = ps, data_len = 2 * ps;
	const off_t data_end = data_start + data_len;
	const struct {
		off_t offset;
		int whence;
		off_t result;
	} seeks[] = {
		{ 99, SEEK_SET, 99 },
		{ data_start, SEEK_CUR, data_start + 99 },
		{ 0, SEEK_DATA, data_start },
		{ data_start, SEEK_HOLE, data_end },
		{ -99, SEEK_END, size - 99 },
		{ -data_start, SEEK_CUR, data_end - 99 },
	};
	char *data, *buf;
	size_t i;
	int fd = ashmem_create(_metadata, "seek", size);

	data = ashmem_assert_mmap(_metadata, fd, data_len,
				  PROT_READ | PROT_WRITE, MAP_SHARED,
				  data_start);
	fill_pattern(data, data_len, 9);
	buf = malloc(data_len);
	ASSERT_TRUE(buf != NULL);

	for (i = 0; i < ARRAY_SIZE(seeks); i++) {
		off_t off = lseek(fd, seeks[i].offset, seeks[i].whence);

		ASSERT_EQ(seeks[i].result, off) {
			TH_LOG("lseek(%jd, %d): %s", (intmax_t)seeks[i].offset,
			       seeks[i].whence, off < 0 ? strerror(errno) : "");
		}
		if (off >= data_start && off < data_end) {
			ssize_t rest = data_end - off;

			ASSERT_EQ(rest, read(fd, buf, rest));
			ASSERT_EQ(0, memcmp(buf, data + (off - data_start),
					    rest));
		}
	}
	free(buf);
	ASSERT_EQ(0, munmap(data, data_len));
	ASSERT_EQ(0, close(fd));
}

/* SEEK_DATA / SEEK_HOLE at and past the end follow shmem. */
TEST(seek_data_and_hole_stop_at_the_end)
{
	const off_t ps = (off_t)page_size();
	char *addr;
	int fd = ashmem_create(_metadata, "seek-end", 2 * ps);

	addr = ashmem_assert_mmap(_metadata, fd, 2 * ps, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	memset(addr, 1, 2 * ps);
	/* fully populated: the only hole is the end of the file */
	ASSERT_EQ(2 * ps, lseek(fd, 0, SEEK_HOLE));
	ASSERT_EQ(ps, lseek(fd, ps, SEEK_DATA));
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, 2 * ps, SEEK_DATA));
	ASSERT_EQ(ENXIO, errno);
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, 3 * ps, SEEK_HOLE));
	ASSERT_EQ(ENXIO, errno);
	ASSERT_EQ(0, munmap(addr, 2 * ps));
	ASSERT_EQ(0, close(fd));
}

TEST(lseek_set_may_pass_the_end_but_not_go_negative)
{
	const off_t ps = (off_t)page_size();
	char *addr, buf[8];
	int fd = ashmem_create(_metadata, "seek-past", ps);

	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ, MAP_SHARED, 0);
	ASSERT_EQ(5 * ps, lseek(fd, 5 * ps, SEEK_SET));
	ASSERT_EQ(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(5 * ps, lseek(fd, 0, SEEK_CUR));
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, -1, SEEK_SET));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(5 * ps, lseek(fd, 0, SEEK_CUR));
	errno = 0;
	ASSERT_EQ(-1, lseek(fd, -2 * ps, SEEK_END));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, munmap(addr, ps));
	ASSERT_EQ(0, close(fd));
}

/* read() advances the position and stops at the exact (unaligned) size. */
TEST(read_advances_and_stops_at_exact_size)
{
	const size_t ps = page_size(), size = 2 * ps + 100;
	char *addr, *buf;
	int fd = ashmem_create(_metadata, "read", size);

	addr = ashmem_assert_mmap(_metadata, fd, 3 * ps, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, 3 * ps, 10);
	buf = malloc(3 * ps);
	ASSERT_TRUE(buf != NULL);

	ASSERT_EQ(100, read(fd, buf, 100));
	ASSERT_EQ(0, memcmp(buf, addr, 100));
	ASSERT_EQ(100, read(fd, buf, 100));
	ASSERT_EQ(0, memcmp(buf, addr + 100, 100));
	ASSERT_EQ(200, lseek(fd, 0, SEEK_CUR));

	ASSERT_EQ((ssize_t)(size - 200), read(fd, buf, 3 * ps));
	ASSERT_EQ(0, memcmp(buf, addr + 200, size - 200));
	ASSERT_EQ(0, read(fd, buf, 3 * ps));
	ASSERT_EQ((off_t)size, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ((off_t)size, lseek(fd, 0, SEEK_END));

	free(buf);
	ASSERT_EQ(0, munmap(addr, 3 * ps));
	ASSERT_EQ(0, close(fd));
}

TEST(pread_reads_at_offset_without_moving_position)
{
	const size_t ps = page_size(), size = 4 * ps;
	char *addr, buf[64];
	int fd = ashmem_create(_metadata, "pread", size);

	addr = ashmem_assert_mmap(_metadata, fd, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, size, 11);
	ASSERT_EQ(10, lseek(fd, 10, SEEK_SET));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), 3 * ps - 7));
	ASSERT_EQ(0, memcmp(buf, addr + 3 * ps - 7, sizeof(buf)));
	ASSERT_EQ(10, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(16, pread(fd, buf, sizeof(buf), size - 16));
	ASSERT_EQ(0, pread(fd, buf, sizeof(buf), size));
	ASSERT_EQ(0, munmap(addr, size));
	ASSERT_EQ(0, close(fd));
}

TEST(untouched_pages_read_as_zeros)
{
	const size_t ps = page_size(), size = 3 * ps;
	char *addr, *buf;
	int fd = ashmem_create(_metadata, "zeros", size);

	addr = ashmem_assert_mmap(_metadata, fd, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	memset(addr + ps, 0x5a, ps);
	buf = malloc(size);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)size, pread(fd, buf, size, 0));
	ASSERT_TRUE(is_zero(buf, ps));
	ASSERT_TRUE(is_zero(buf + 2 * ps, ps));
	ASSERT_EQ(0x5a, buf[ps]);
	ASSERT_EQ(0x5a, buf[2 * ps - 1]);
	free(buf);
	ASSERT_EQ(0, munmap(addr, size));
	ASSERT_EQ(0, close(fd));
}

/* There is no write path: the VFS refuses write() with EINVAL. */
TEST(write_fails_with_einval)
{
	const size_t ps = page_size();
	char *addr, buf[32];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	int fd = ashmem_create(_metadata, "write", ps);

	memset(buf, 'w', sizeof(buf));
	errno = 0;
	ASSERT_EQ(-1, write(fd, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);

	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, ps, 12);
	errno = 0;
	ASSERT_EQ(-1, write(fd, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, pwrite(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, writev(fd, &iov, 1));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_TRUE(check_pattern(addr, ps, 12));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(0, munmap(addr, ps));
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
