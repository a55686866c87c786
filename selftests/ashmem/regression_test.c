// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests: one test per bug of Android's ashmem and of its
 * out-of-tree ports (research/driver.md §6), each named for the behaviour
 * that proves the driver immune.  Races run many iterations with threads
 * that meet at barriers; nothing here sleeps to synchronise.
 *
 * Rows covered elsewhere:
 * - §6.13 UNPIN by a read-only holder: pin_test (strict fixture);
 * - §6.15 ascending unpins and GET_PIN_STATUS: pin_test (algebra);
 * - §6.17 32-bit GET_FILE_ID: file_id_test, built with -m32;
 * - §6.18 READ_IMPLIES_EXEC: prot_test.
 * §6.16 (CVE-2016-5340) does not apply: the module exports no "is this an
 * ashmem file" helper for other drivers, so there is no name check to fool.
 */
#include <poll.h>
#include <sys/syscall.h>

#include <linux/userfaultfd.h>

#include "ashmem_helpers.h"

/* The debug lane (KASAN, lockdep, no KVM) gets fewer iterations. */
static int iterations(int n)
{
	const char *lane = getenv("ASHMEM_LANE");

	return lane && !strcmp(lane, "debug") ? n / 4 : n;
}

/* Races: many iterations, more time than the harness' default. */
FIXTURE(race) {
	int unused;
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

#define RACE_TIMEOUT	300

static void *map_rw(struct __test_metadata *_metadata, int fd, size_t len)
{
	return ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
}

static void map_files_path(char *buf, size_t size, const void *addr,
			   size_t len)
{
	snprintf(buf, size, "/proc/self/map_files/%lx-%lx",
		 (unsigned long)addr, (unsigned long)addr + len);
}

/* §6.1 CVE-2011-1149: a read-only mask binds mmap() and mprotect(). */
TEST(cve_2011_1149_read_only_mask_cannot_be_mapped_or_made_writable)
{
	size_t len = 2 * page_size();
	char *ro;
	int fd = ashmem_create(_metadata, "psneuter", len);

	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ashmem_fail_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0, EPERM);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	errno = 0;
	ASSERT_EQ(-1, mprotect(ro, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(SIGSEGV, probe_write(ro, 1));
	/* and the mask cannot be widened back */
	ashmem_fail_set_prot(_metadata, fd, PROT_READ | PROT_WRITE, EINVAL);
	ASSERT_EQ(0, munmap(ro, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * §6.12 CVE-2020-0009 via /proc/self/map_files: the backing file opened
 * through the link gains no write access to a read-only area, by any
 * route (the seals of Documentation/ashmem.rst, "Backing files").
 */
TEST(cve_2020_0009_map_files_cannot_write_a_read_only_area)
{
	size_t len = 2 * page_size();
	char path[128], *ro, *rw;
	int fd = ashmem_create(_metadata, "map-files-write", len);
	int bfd;

	rw = map_rw(_metadata, fd, len);
	fill_pattern(rw, len, 40);
	ASSERT_EQ(0, munmap(rw, len));
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);

	map_files_path(path, sizeof(path), ro, len);
	bfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, bfd) TH_LOG("open(%s): %s", path, strerror(errno));
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, bfd, 0));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, write(bfd, "X", 1));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, pwrite(bfd, "X", 1, len / 2));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, fallocate(bfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, len));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, ftruncate(bfd, 0));
	ASSERT_EQ(EPERM, errno);
	/* nor can it unseal itself */
	errno = 0;
	ASSERT_EQ(-1, fcntl(bfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, close(bfd));
	ASSERT_TRUE(check_pattern(ro, len, 40));
	ASSERT_EQ(0, munmap(ro, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * §6.12 CVE-2020-0009 via remap_file_pages(), Jann Horn's proof of concept
 * exactly: only a read-only mapping exists when the remap runs.
 */
TEST(cve_2020_0009_remap_file_pages_leaves_read_only_mapping_read_only)
{
	size_t len = 4 * page_size();
	char *rw, *ro;
	int fd = ashmem_create(_metadata, "jann", len);

	rw = map_rw(_metadata, fd, len);
	fill_pattern(rw, len, 41);
	ASSERT_EQ(0, munmap(rw, len));
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);

	/*
	 * The emulation of remap_file_pages() maps the file again with
	 * MAP_FIXED: the old mapping is gone before the backing file's mmap
	 * refuses (EPERM), which leaves a hole (mprotect: ENOMEM).
	 */
	if (remap_file_pages(ro, len, 0, 0, 0)) {
		ASSERT_EQ(EPERM, errno);
	}
	errno = 0;
	ASSERT_EQ(-1, mprotect(ro, len, PROT_READ | PROT_WRITE));
	ASSERT_TRUE(errno == EACCES || errno == ENOMEM) {
		TH_LOG("mprotect: %s", strerror(errno));
	}
	ASSERT_NE(0, probe_write(ro + page_size(), 'X'));
	ASSERT_EQ(0, munmap(ro, len));
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(check_pattern(ro, len, 41));
	ASSERT_EQ(0, munmap(ro, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * §6.6 CVE-2017-13216: SET_SIZE racing the first mmap().  Whoever wins,
 * the size the area reports is the size of its backing file, and every
 * SET_SIZE after the mmap fails.
 */
struct size_race {
	struct spin_barrier start, done;
	int fd;
	atomic_bool stop, quit;
	int iteration;
};

static void *set_size_loop(void *arg)
{
	struct size_race *r = arg;
	size_t ps = page_size();
	unsigned int k = 1;

	for (;;) {
		spin_barrier_wait(&r->start);
		if (atomic_load(&r->quit))
			return NULL;
		while (!atomic_load(&r->stop)) {
			k = k * 1103515245 + 12345;
			ioctl(r->fd, ASHMEM_SET_SIZE, (1 + (k >> 16) % 8) * ps);
		}
		spin_barrier_wait(&r->done);
	}
}

TEST_F_TIMEOUT(race, cve_2017_13216_set_size_racing_first_mmap_keeps_size_consistent, RACE_TIMEOUT)
{
	size_t ps = page_size();
	struct size_race r = { .fd = -1 };
	struct spin_thread thread;
	int i, n = iterations(2000);
	off_t end;
	void *addr;

	spin_barrier_init(&r.start, 2);
	spin_barrier_init(&r.done, 2);
	ASSERT_EQ(0, spin_thread_start(&thread, set_size_loop, &r));
	for (i = 0; i < n; i++) {
		r.fd = ashmem_create(_metadata, "race", ps);
		atomic_store(&r.stop, false);
		spin_barrier_wait(&r.start);
		addr = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			    r.fd, 0);
		atomic_store(&r.stop, true);
		spin_barrier_wait(&r.done);
		ASSERT_NE(MAP_FAILED, addr) TH_LOG("mmap: %s", strerror(errno));

		end = lseek(r.fd, 0, SEEK_END);
		ASSERT_EQ((long)end, (long)ioctl(r.fd, ASHMEM_GET_SIZE)) {
			TH_LOG("iteration %d: GET_SIZE differs from the backing file", i);
		}
		ashmem_fail_set_size(_metadata, r.fd, ps, EINVAL);
		ASSERT_EQ((long)end, (long)ioctl(r.fd, ASHMEM_GET_SIZE));
		/* the whole backing file is there to touch */
		ASSERT_EQ(0, munmap(addr, ps));
		addr = ashmem_assert_mmap(_metadata, r.fd, end, PROT_READ,
					  MAP_SHARED, 0);
		ASSERT_EQ(0, probe_read((char *)addr + end - 1, NULL));
		ASSERT_EQ(0, munmap(addr, end));
		ASSERT_EQ(0, close(r.fd));
	}
	atomic_store(&r.quit, true);
	spin_barrier_wait(&r.start);
	spin_thread_wait(&thread);
}

/*
 * §6.9: PIN and UNPIN (len 0) racing the first mmap() and SET_SIZE.  Before
 * the mmap they fail with EINVAL; once it is done they see the final size.
 */
struct pin_race {
	struct spin_barrier start, done;
	int fd;
	atomic_bool stop, quit;
	atomic_int bad;
};

static void *pin_loop(void *arg)
{
	struct pin_race *r = arg;
	struct ashmem_pin pin = { 0, 0 };
	unsigned long id;
	int ret;

	for (;;) {
		spin_barrier_wait(&r->start);
		if (atomic_load(&r->quit))
			return NULL;
		while (!atomic_load(&r->stop)) {
			bool mapped = ioctl(r->fd, ASHMEM_GET_FILE_ID, &id) == 0;

			ret = ioctl(r->fd, ASHMEM_UNPIN, &pin);
			if (ret && !(errno == EINVAL && !mapped))
				atomic_fetch_add(&r->bad, ret ? 1 : 0);
			ret = ioctl(r->fd, ASHMEM_PIN, &pin);
			if (ret < 0 && errno != EINVAL)
				atomic_fetch_add(&r->bad, 1);
		}
		spin_barrier_wait(&r->done);
	}
}

TEST_F_TIMEOUT(race, pin_racing_first_mmap_and_set_size_fails_cleanly_or_sees_final_size, RACE_TIMEOUT)
{
	size_t ps = page_size();
	struct pin_race r = { .fd = -1 };
	struct spin_thread thread;
	int i, n = iterations(1000);
	void *addr;

	spin_barrier_init(&r.start, 2);
	spin_barrier_init(&r.done, 2);
	ASSERT_EQ(0, spin_thread_start(&thread, pin_loop, &r));
	for (i = 0; i < n; i++) {
		r.fd = ashmem_create(_metadata, "pin-race", 2 * ps);
		atomic_store(&r.stop, false);
		spin_barrier_wait(&r.start);
		ioctl(r.fd, ASHMEM_SET_SIZE, (1 + i % 4) * ps);
		addr = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			    r.fd, 0);
		atomic_store(&r.stop, true);
		spin_barrier_wait(&r.done);
		ASSERT_NE(MAP_FAILED, addr);
		ASSERT_EQ(0, atomic_load(&r.bad)) TH_LOG("iteration %d", i);
		/* every page is pinned or unpinned, as a whole range */
		ASSERT_LE(0, ashmem_pin_ioctl(r.fd, ASHMEM_PIN, 0, 0));
		ashmem_assert_pin_cmd(_metadata, r.fd, ASHMEM_GET_PIN_STATUS,
				      0, 0, ASHMEM_IS_PINNED);
		ASSERT_EQ(0, munmap(addr, ps));
		ASSERT_EQ(0, close(r.fd));
	}
	atomic_store(&r.quit, true);
	spin_barrier_wait(&r.start);
	spin_thread_wait(&thread);
}

/*
 * §6.4: GET_NAME copies the name and its NUL only.  A long name set
 * before a short one must not show through the short one's tail.
 */
TEST(get_name_leaks_nothing_after_the_nul)
{
	unsigned char buf[ASHMEM_NAME_LEN];
	char longname[ASHMEM_NAME_LEN];
	size_t i;
	void *addr;
	int fd = ashmem_open(_metadata);

	memset(longname, 'L', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ashmem_assert_set_name(_metadata, fd, longname);
	ashmem_assert_set_name(_metadata, fd, "s");
	ashmem_assert_set_size(_metadata, fd, page_size());
	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED, 0);
	memset(buf, 0xAA, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_NAME, buf));
	ASSERT_EQ(0, memcmp(buf, "s", 2));
	for (i = 2; i < sizeof(buf); i++) {
		ASSERT_EQ(0xAA, buf[i]) TH_LOG("byte %zu was written", i);
	}
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

/* §6.5: the backing file is seekable; no whence fails with ESPIPE. */
TEST(lseek_never_fails_with_espipe)
{
	const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA,
			       SEEK_HOLE };
	size_t len = 4 * page_size(), i;
	char *addr;
	int fd = ashmem_create(_metadata, "seek", len);

	addr = map_rw(_metadata, fd, len);
	addr[page_size()] = 1;
	for (i = 0; i < ARRAY_SIZE(whence); i++) {
		off_t off = whence[i] == SEEK_END ? -1 : 0;

		errno = 0;
		ASSERT_LE(0, lseek(fd, off, whence[i])) {
			TH_LOG("whence %d: %s", whence[i], strerror(errno));
		}
	}
	ASSERT_EQ((off_t)page_size(), lseek(fd, 0, SEEK_DATA));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * §6.7: a mapping may not be longer than PAGE_ALIGN(size).  The offset is
 * not checked: pages beyond the size fault with SIGBUS.
 */
TEST(oversize_mmap_fails_and_offset_beyond_size_faults)
{
	size_t ps = page_size();
	char *addr;
	int fd = ashmem_create(_metadata, "oversize", 1);

	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ, MAP_SHARED, 0);
	ASSERT_EQ(0, munmap(addr, ps));
	ashmem_fail_mmap(_metadata, fd, 2 * ps, PROT_READ, MAP_SHARED, 0,
			 EINVAL);
	ashmem_fail_mmap(_metadata, fd, 2 * ps, PROT_READ, MAP_PRIVATE, 0,
			 EINVAL);
	ASSERT_EQ(0, close(fd));

	fd = ashmem_create(_metadata, "oversize", 3 * ps);
	ashmem_fail_mmap(_metadata, fd, 4 * ps, PROT_READ, MAP_SHARED, 0,
			 EINVAL);
	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ, MAP_SHARED,
				  3 * ps);
	ASSERT_EQ(SIGBUS, probe_read(addr, NULL));
	ASSERT_EQ(0, munmap(addr, ps));
	ASSERT_EQ(0, close(fd));
}

/*
 * §6.10: a private mapping is anonymous memory (the zygote's memset):
 * reads give zeros, writes work, nobody else sees them.  No SIGBUS.
 */
TEST(private_mapping_memset_does_not_sigbus)
{
	size_t len = 8 * page_size(), i;
	char *priv, *shared, *buf;
	int fd = ashmem_create(_metadata, "zygote", len);

	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	for (i = 0; i < len; i += page_size()) {
		ASSERT_EQ(0, probe_read(priv + i, NULL));
		ASSERT_EQ(0, probe_write(priv + i, 'z'));
	}
	memset(priv, 0x5a, len);
	shared = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED,
				    0);
	ASSERT_TRUE(is_zero(shared, len));
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	ASSERT_TRUE(is_zero(buf, len));
	free(buf);
	ASSERT_EQ(0, munmap(shared, len));
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * read() into user memory that faults: EFAULT when nothing can be copied,
 * a short count when the buffer runs into a hole.  No lock is held across
 * the copy, so none of this may splat.
 */
TEST(read_into_faulting_memory_fails_with_efault)
{
	size_t ps = page_size(), len = 2 * ps;
	char *addr, *scratch;
	ssize_t n;
	int fd = ashmem_create(_metadata, "read-efault", len);

	addr = map_rw(_metadata, fd, len);
	fill_pattern(addr, len, 42);
	scratch = ashmem_assert_mmap(_metadata, -1, 3 * ps,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_EQ(0, munmap(scratch + ps, ps));
	ASSERT_EQ(0, mprotect(scratch + 2 * ps, ps, PROT_READ));

	errno = 0;
	ASSERT_EQ(-1, pread(fd, NULL, ps, 0));
	ASSERT_EQ(EFAULT, errno);
	errno = 0;
	ASSERT_EQ(-1, pread(fd, scratch + ps, ps, 0));
	ASSERT_EQ(EFAULT, errno);
	errno = 0;
	ASSERT_EQ(-1, pread(fd, scratch + 2 * ps, ps, 0));
	ASSERT_EQ(EFAULT, errno);

	/* 100 bytes fit before the hole */
	n = pread(fd, scratch + ps - 100, 1000, 0);
	ASSERT_LT(0, n);
	ASSERT_GE(100, n);
	ASSERT_EQ(-1, pattern_mismatch(scratch + ps - 100, n, 42, 0));
	/* the file position did not move for pread, and read() still works */
	ASSERT_EQ((ssize_t)ps, read(fd, scratch, ps));
	ASSERT_TRUE(check_pattern(scratch, ps, 42));
	ASSERT_EQ(0, munmap(scratch, ps));
	ASSERT_EQ(0, munmap(scratch + 2 * ps, ps));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/* read() into a mapping of the very area it reads: no self-deadlock. */
TEST(read_into_a_mapping_of_the_same_area_works)
{
	size_t ps = page_size(), len = 4 * ps;
	char *shared, *priv;
	int fd = ashmem_create(_metadata, "read-self", len);

	shared = map_rw(_metadata, fd, len);
	fill_pattern(shared, ps, 43);
	/* page 1 is not yet there: the copy faults it in */
	ASSERT_EQ((ssize_t)ps, pread(fd, shared + ps, ps, 0));
	ASSERT_TRUE(check_pattern(shared + ps, ps, 43));
	/* a page onto itself */
	ASSERT_EQ((ssize_t)ps, pread(fd, shared, ps, 0));
	ASSERT_TRUE(check_pattern(shared, ps, 43));
	/* into an untouched private mapping of the same area */
	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	ASSERT_EQ((ssize_t)(2 * ps), pread(fd, priv + 2 * ps, 2 * ps, 0));
	ASSERT_TRUE(check_pattern(priv + 2 * ps, ps, 43));
	ASSERT_TRUE(is_zero(priv, 2 * ps));
	ASSERT_TRUE(is_zero(shared + 2 * ps, 2 * ps));
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, munmap(shared, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * read() racing with purges and with the close of the last descriptor.
 * A purge removes whole pages, so every page a read returns is either
 * intact or all zeros.
 */
#define RACE_PAGES	8

struct read_race {
	int fd;			/* the reader's own descriptor */
	int pfd;		/* the purger's */
	atomic_bool stop;
	atomic_int bad;
	size_t ps;
	char *buf;		/* the reader's: no malloc() in threads */
};

static void *race_reader(void *arg)
{
	struct read_race *r = arg;
	size_t len = RACE_PAGES * r->ps, i;
	char *buf = r->buf;
	ssize_t n;

	for (;;) {
		n = pread(r->fd, buf, len, 0);
		if (n < 0) {
			if (errno != EBADF)
				atomic_fetch_add(&r->bad, 1);
			break;
		}
		for (i = 0; i + r->ps <= (size_t)n; i += r->ps)
			if (!is_zero(buf + i, r->ps) &&
			    pattern_mismatch(buf + i, r->ps, 44, i) >= 0)
				atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

static void *race_purger(void *arg)
{
	struct read_race *r = arg;
	struct ashmem_pin pin = { 0, 0 };

	while (!atomic_load(&r->stop)) {
		if (ioctl(r->pfd, ASHMEM_UNPIN, &pin) ||
		    ioctl(r->pfd, ASHMEM_PURGE_ALL_CACHES) < 0 ||
		    ioctl(r->pfd, ASHMEM_PIN, &pin) < 0)
			atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, read_racing_purge_and_close_sees_whole_pages, RACE_TIMEOUT)
{
	size_t ps = page_size(), len = RACE_PAGES * ps;
	int i, n = iterations(200);
	char *buf = malloc(len);

	ASSERT_TRUE(buf != NULL);

	for (i = 0; i < n; i++) {
		struct read_race r = { .ps = ps, .buf = buf };
		struct spin_thread reader, purger;
		char *addr;
		int fd = ashmem_create(_metadata, "read-race", len);

		addr = map_rw(_metadata, fd, len);
		fill_pattern(addr, len, 44);
		r.fd = dup(fd);
		r.pfd = dup(fd);
		ASSERT_LE(0, r.fd);
		ASSERT_LE(0, r.pfd);
		ASSERT_EQ(0, spin_thread_start(&reader, race_reader, &r));
		ASSERT_EQ(0, spin_thread_start(&purger, race_purger, &r));
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, munmap(addr, len));
		atomic_store(&r.stop, true);
		spin_thread_wait(&purger);
		ASSERT_EQ(0, close(r.pfd));
		/* the reader's fd is the last reference: close under it */
		ASSERT_EQ(0, close(r.fd));
		spin_thread_wait(&reader);
		ASSERT_EQ(0, atomic_load(&r.bad)) TH_LOG("iteration %d", i);
	}
	free(buf);
}

/*
 * §6.2 and §6.11: the shrinker (drop_caches) purging while other threads
 * unpin, pin, write and close areas.  Data written after a PIN returned is
 * never zeroed by a late hole punch.
 */
struct shrink_race {
	atomic_bool stop;
	atomic_int bad;
	int drop_fd;
};

/*
 * Each write of drop_caches logs a line unless 4 was written once: silence
 * it, so that thousands of purges do not flush the kernel log.
 */
static int open_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd >= 0 && pwrite(fd, "4", 1, 0) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *drop_caches_loop(void *arg)
{
	struct shrink_race *r = arg;

	while (!atomic_load(&r->stop))
		if (pwrite(r->drop_fd, "2", 1, 0) != 1)
			atomic_fetch_add(&r->bad, 1);
	return NULL;
}

static void *area_churn(void *arg)
{
	struct shrink_race *r = arg;
	size_t ps = page_size(), len = 4 * ps;
	struct ashmem_pin all = { 0, 0 };
	int i, n = iterations(400);

	for (i = 0; i < n; i++) {
		int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
		char *addr;

		if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, len)) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    0);
		if (addr == MAP_FAILED) {
			atomic_fetch_add(&r->bad, 1);
			close(fd);
			break;
		}
		memset(addr, 0x11, len);
		ioctl(fd, ASHMEM_UNPIN, &all);
		if (ioctl(fd, ASHMEM_PIN, &all) < 0)
			atomic_fetch_add(&r->bad, 1);
		/* pinned again: what is written now must stay */
		memset(addr, 0x22, len);
		ioctl(fd, ASHMEM_UNPIN, &all);	/* left unpinned at close */
		if (i % 2)
			munmap(addr, len);
		close(fd);
		if (!(i % 2)) {
			if (addr[len - 1] != 0x22 && addr[len - 1] != 0)
				atomic_fetch_add(&r->bad, 1);
			munmap(addr, len);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(race, shrinker_running_while_areas_are_pinned_and_closed_is_safe, RACE_TIMEOUT)
{
	struct shrink_race r = { .drop_fd = -1 };
	struct spin_thread dropper, churn[3];
	size_t i;

	r.drop_fd = open_drop_caches();
	ASSERT_LE(0, r.drop_fd);
	ASSERT_EQ(0, spin_thread_start(&dropper, drop_caches_loop, &r));
	for (i = 0; i < ARRAY_SIZE(churn); i++)
		ASSERT_EQ(0, spin_thread_start(&churn[i], area_churn, &r));
	for (i = 0; i < ARRAY_SIZE(churn); i++)
		spin_thread_wait(&churn[i]);
	atomic_store(&r.stop, true);
	spin_thread_wait(&dropper);
	ASSERT_EQ(0, close(r.drop_fd));
	ASSERT_EQ(0, atomic_load(&r.bad));
}

/*
 * A late hole punch must not zero data written after PIN returned: the
 * purger thread unpins and purges; the main thread pins, writes, checks.
 */
TEST_F_TIMEOUT(race, data_written_after_pin_survives_concurrent_purges, RACE_TIMEOUT)
{
	size_t ps = page_size(), len = 4 * ps;
	struct shrink_race r = { .drop_fd = -1 };
	struct spin_thread dropper;
	char *addr;
	int i, n = iterations(2000);
	int fd = ashmem_create(_metadata, "late-punch", len);

	addr = map_rw(_metadata, fd, len);
	r.drop_fd = open_drop_caches();
	ASSERT_LE(0, r.drop_fd);
	ASSERT_EQ(0, spin_thread_start(&dropper, drop_caches_loop, &r));
	for (i = 0; i < n; i++) {
		char v = (char)(i | 1);

		ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
		ASSERT_LE(0, ashmem_pin_ioctl(fd, ASHMEM_PIN, 0, 0));
		memset(addr, v, len);
		ASSERT_EQ(v, addr[0]);
		ASSERT_EQ(v, addr[len - 1]) TH_LOG("iteration %d", i);
		ASSERT_EQ(v, addr[ps + 7]);
	}
	atomic_store(&r.stop, true);
	spin_thread_wait(&dropper);
	ASSERT_EQ(0, atomic_load(&r.bad));
	ASSERT_EQ(0, close(r.drop_fd));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/* §6.8 and §6.14: lseek, mmap and purges at once, under lockdep. */
struct seek_race {
	int fd;
	atomic_bool stop;
	atomic_int bad;
};

static void *seek_loop(void *arg)
{
	struct seek_race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (lseek(r->fd, 0, SEEK_DATA) < 0 && errno != ENXIO)
			atomic_fetch_add(&r->bad, 1);
		if (lseek(r->fd, 0, SEEK_END) < 0)
			atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, lseek_mmap_and_purge_together_do_not_deadlock, RACE_TIMEOUT)
{
	size_t ps = page_size(), len = 8 * ps;
	struct seek_race r = { .fd = -1 };
	struct spin_thread seeker;
	int i, n = iterations(1000);
	char *addr;

	r.fd = ashmem_create(_metadata, "seek-race", len);
	addr = map_rw(_metadata, r.fd, len);
	ASSERT_EQ(0, spin_thread_start(&seeker, seek_loop, &r));
	for (i = 0; i < n; i++) {
		char *more = map_rw(_metadata, r.fd, len);

		more[(i % 8) * ps] = 1;
		ashmem_assert_pin_cmd(_metadata, r.fd, ASHMEM_UNPIN, 0, 0, 0);
		ASSERT_LE(0, ioctl(r.fd, ASHMEM_PURGE_ALL_CACHES));
		ASSERT_LE(0, ashmem_pin_ioctl(r.fd, ASHMEM_PIN, 0, 0));
		ASSERT_EQ(0, munmap(more, len));
	}
	atomic_store(&r.stop, true);
	spin_thread_wait(&seeker);
	ASSERT_EQ(0, atomic_load(&r.bad));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(r.fd));
}

/*
 * §6.3, the 2013 deadlock: a user copy that stalls (its page is handled by
 * userfaultfd) inside SET_NAME, GET_NAME or read() must not hold anything
 * that mmap() needs.  While the copy is stalled, mmap() of another area
 * and of the same area must complete.
 */
enum stalled_op { STALL_SET_NAME, STALL_GET_NAME, STALL_READ };

struct stall {
	enum stalled_op op;
	int fd;
	char *buf;		/* the userfaultfd-registered page */
	long ret;
	int err;
};

static void *stalled_call(void *arg)
{
	struct stall *s = arg;

	errno = 0;
	switch (s->op) {
	case STALL_SET_NAME:
		s->ret = ioctl(s->fd, ASHMEM_SET_NAME, s->buf);
		break;
	case STALL_GET_NAME:
		s->ret = ioctl(s->fd, ASHMEM_GET_NAME, s->buf);
		break;
	case STALL_READ:
		s->ret = pread(s->fd, s->buf, page_size(), 0);
		break;
	}
	s->err = errno;
	return NULL;
}

FIXTURE(stall) {
	int uffd;
	char *page;
	int fd;
	char *addr;
};

FIXTURE_VARIANT(stall) {
	enum stalled_op op;
};

FIXTURE_VARIANT_ADD(stall, set_name) { .op = STALL_SET_NAME };
FIXTURE_VARIANT_ADD(stall, get_name) { .op = STALL_GET_NAME };
FIXTURE_VARIANT_ADD(stall, read) { .op = STALL_READ };

FIXTURE_SETUP(stall)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	size_t ps = page_size();

	/* kernel-mode faults too: no UFFD_USER_MODE_ONLY (needs root) */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api));
	self->page = ashmem_assert_mmap(_metadata, -1, ps,
					PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, 0);
	reg.range.start = (unsigned long)self->page;
	reg.range.len = ps;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg));

	self->fd = ashmem_create(_metadata, "stalled", ps);
	self->addr = NULL;
	if (variant->op == STALL_READ) {
		self->addr = map_rw(_metadata, self->fd, ps);
		fill_pattern(self->addr, ps, 45);
	}
}

FIXTURE_TEARDOWN(stall)
{
	if (self->addr)
		munmap(self->addr, page_size());
	close(self->fd);
	munmap(self->page, page_size());
	close(self->uffd);
}

TEST_F_TIMEOUT(stall, mmap_completes_while_a_user_copy_is_stalled, 60)
{
	size_t ps = page_size();
	struct stall s = { .op = variant->op, .fd = self->fd,
			   .buf = self->page };
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct uffdio_copy copy;
	char *src, *other_addr, *same_addr;
	struct spin_thread thread;
	int other;

	ASSERT_EQ(0, spin_thread_start(&thread, stalled_call, &s));
	/* the fault message proves the copy is stalled in the kernel */
	ASSERT_EQ(1, poll(&pfd, 1, -1));
	ASSERT_EQ((ssize_t)sizeof(msg), read(self->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ((unsigned long)self->page,
		  msg.arg.pagefault.address & ~(ps - 1));

	other = ashmem_create(_metadata, "other", ps);
	other_addr = map_rw(_metadata, other, ps);
	other_addr[0] = 'o';
	if (variant->op != STALL_SET_NAME) {
		/* no lock of this area is held across the copy either */
		same_addr = ashmem_assert_mmap(_metadata, self->fd, ps,
					       PROT_READ, MAP_SHARED, 0);
		ASSERT_EQ(0, munmap(same_addr, ps));
	}

	/* let the copy finish */
	src = ashmem_assert_mmap(_metadata, -1, ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	strcpy(src, "from-uffd");
	copy.dst = (unsigned long)self->page;
	copy.src = (unsigned long)src;
	copy.len = ps;
	copy.mode = 0;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_COPY, &copy));
	spin_thread_wait(&thread);

	switch (variant->op) {
	case STALL_SET_NAME:
		ASSERT_EQ(0, s.ret) TH_LOG("SET_NAME: %s", strerror(s.err));
		ashmem_assert_name(_metadata, self->fd, "from-uffd");
		break;
	case STALL_GET_NAME:
		ASSERT_EQ(0, s.ret) TH_LOG("GET_NAME: %s", strerror(s.err));
		ASSERT_STREQ("stalled", self->page);
		break;
	case STALL_READ:
		ASSERT_EQ((long)ps, s.ret) TH_LOG("read: %s", strerror(s.err));
		ASSERT_TRUE(check_pattern(self->page, ps, 45));
		break;
	}
	ASSERT_EQ(0, munmap(src, ps));
	ASSERT_EQ(0, munmap(other_addr, ps));
	ASSERT_EQ(0, close(other));
}

TEST_HARNESS_MAIN
