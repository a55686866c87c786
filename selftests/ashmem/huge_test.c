// SPDX-License-Identifier: GPL-2.0
/*
 * Huge pages: with shmem_enabled=advise and MADV_HUGEPAGE, an area's
 * backing file is made of 2 MiB pages.  Unpinning and purging part of one
 * splits it (or zeroes that part in place): the purged pages read back as
 * zeros and the rest keeps its content; a whole one that is purged goes back
 * to the allocator.  Purges race MADV_REMOVE of parts of huge pages and
 * xattrs set through a reopened backing file, both of which allocate under
 * the backing inode's lock, so that lockdep (debug lane) sees whether
 * purging ever waits for that lock.  Every case first checks that huge
 * pages really back the area, so none of them can pass without.  Needs
 * root.
 */
#include <sys/xattr.h>

#include "ashmem_helpers.h"

#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define PMD_SIZE_FILE	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
#define HUGE_PAGES	4
#define SEED		50

static int purge_ioctl(int fd)
{
	return ioctl(fd, ASHMEM_PURGE_ALL_CACHES) < 0 ? -1 : 0;
}

static int purge_drop_caches(int fd)
{
	(void)fd;
	return write_text_file("/proc/sys/vm/drop_caches", "2");
}

FIXTURE(huge) {
	char saved[32];
	size_t huge;
	size_t len;
	int fd;
	char *addr;
	long huge_kib;
};

FIXTURE_VARIANT(huge) {
	int (*purge)(int fd);
};

FIXTURE_VARIANT_ADD(huge, purge_all_caches) {
	.purge = purge_ioctl,
};

FIXTURE_VARIANT_ADD(huge, drop_caches) {
	.purge = purge_drop_caches,
};

/* The bracketed word of shmem_enabled ("always within_size [advise] ..."). */
static bool shmem_enabled_now(char *buf, size_t size)
{
	char text[256], *open, *close;

	if (read_text_file(SHMEM_ENABLED, text, sizeof(text)) < 0)
		return false;
	open = strchr(text, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return false;
	snprintf(buf, size, "%.*s", (int)(close - open - 1), open + 1);
	return true;
}

/*
 * Map @len bytes of @fd at an address aligned to the huge page size, so
 * that shmem can back and map it with huge pages, and ask for them.
 */
static char *map_huge(struct __test_metadata *_metadata, int fd, size_t len,
		      size_t huge)
{
	char *res, *addr;

	res = mmap(NULL, len + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, res) TH_LOG("mmap: %s", strerror(errno));
	addr = (char *)(((uintptr_t)res + huge - 1) & ~(uintptr_t)(huge - 1));
	ASSERT_EQ(addr, mmap(addr, len, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, fd, 0));
	if (addr > res) {
		ASSERT_EQ(0, munmap(res, addr - res));
	}
	if (addr + len < res + len + huge) {
		ASSERT_EQ(0, munmap(addr + len, res + len + huge - (addr + len)));
	}
	ASSERT_EQ(0, madvise(addr, len, MADV_HUGEPAGE)) {
		TH_LOG("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	}
	return addr;
}

FIXTURE_SETUP(huge)
{
	char text[32];
	long before;

	ASSERT_TRUE(shmem_enabled_now(self->saved, sizeof(self->saved))) {
		TH_LOG("%s unreadable: a kernel without THP?", SHMEM_ENABLED);
	}
	ASSERT_LT(0, read_text_file(PMD_SIZE_FILE, text, sizeof(text)));
	self->huge = strtoul(text, NULL, 10);
	ASSERT_LT(page_size(), self->huge);
	ASSERT_EQ(0, write_text_file(SHMEM_ENABLED, "advise"));

	self->len = HUGE_PAGES * self->huge;
	self->fd = ashmem_create(_metadata, "huge", self->len);
	before = meminfo_kib("ShmemHugePages");
	self->addr = map_huge(_metadata, self->fd, self->len, self->huge);
	fill_pattern(self->addr, self->len, SEED);
	self->huge_kib = meminfo_kib("ShmemHugePages") - before;
	/* all of them, or nothing here would be tested */
	ASSERT_LE((long)(self->len / 1024), self->huge_kib) {
		TH_LOG("ShmemHugePages grew by %ld KiB for a %zu KiB area",
		       self->huge_kib, self->len / 1024);
	}
}

FIXTURE_TEARDOWN(huge)
{
	munmap(self->addr, self->len);
	close(self->fd);
	if (self->saved[0])
		write_text_file(SHMEM_ENABLED, self->saved);
}

/* The content through the area's read(): the mapping is one view only. */
static void assert_content(struct __test_metadata *_metadata,
			   FIXTURE_DATA(huge) *self, size_t zero_from,
			   size_t zero_len)
{
	char *buf = malloc(self->len);

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, buf, self->len, 0));
	for (size_t off = 0; off < self->len; off += page_size()) {
		bool zero = off >= zero_from && off < zero_from + zero_len;
		const char *page = buf + off;

		if (zero) {
			ASSERT_TRUE(is_zero(page, page_size())) {
				TH_LOG("page at %#zx survived its purge", off);
			}
		} else {
			char expect[64];

			/* pattern_byte() depends on the offset in the area */
			for (size_t i = 0; i < sizeof(expect); i++)
				expect[i] = (char)pattern_byte(SEED, off + i);
			ASSERT_EQ(0, memcmp(page, expect, sizeof(expect))) {
				TH_LOG("page at %#zx lost its content", off);
			}
		}
	}
	ASSERT_EQ(0, memcmp(buf, self->addr, self->len));
	free(buf);
}

TEST_F(huge, purging_part_of_a_huge_page_zeroes_only_that_part)
{
	size_t off = self->huge + self->huge / 4, len = self->huge / 4;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, off, len, 0);
	ASSERT_EQ(0, variant->purge(self->fd)) TH_LOG("%s", strerror(errno));
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, off, len,
			      ASHMEM_WAS_PURGED);
	assert_content(_metadata, self, off, len);
	/* and the area still works there */
	memset(self->addr + off, 'h', len);
	ASSERT_EQ('h', self->addr[off + len - 1]);
}

TEST_F(huge, purging_whole_huge_pages_frees_them)
{
	size_t off = 2 * self->huge, len = 2 * self->huge;
	long before = meminfo_kib("ShmemHugePages");

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, off, len, 0);
	ASSERT_EQ(0, variant->purge(self->fd)) TH_LOG("%s", strerror(errno));
	ASSERT_LE((long)(len / 1024), before - meminfo_kib("ShmemHugePages"));
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_WAS_PURGED);
	assert_content(_metadata, self, off, len);
}

/*
 * MADV_REMOVE of a part of a huge page (splitting it under the inode's
 * lock, which allocates) and xattrs set through the reopened backing file
 * (also allocating under it), in a child, while this process unpins and
 * purges parts of other huge pages of the same inode.
 */
struct churn {
	char *addr;
	size_t huge;
	int bfd;
	atomic_bool stop;
	atomic_long rounds;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	char value[256];

	memset(value, 'x', sizeof(value));
	while (!atomic_load(&c->stop)) {
		/* the first huge page: the test purges only the others */
		memset(c->addr, 'r', c->huge);
		madvise(c->addr + c->huge / 2, c->huge / 8, MADV_REMOVE);
		if (c->bfd >= 0)
			fsetxattr(c->bfd, "trusted.ashmem-test", value,
				  sizeof(value), 0);
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

#define RACE_ROUNDS	32
#define RACE_SECONDS	10	/* fewer rounds on a slow guest, never fewer than 4 */

TEST_F_TIMEOUT(huge, purges_race_madvise_remove_and_xattrs_on_one_inode, 120)
{
	size_t off = self->huge, len = self->len - self->huge;
	uint64_t start = now_ns(), slowest = 0;
	struct spin_thread thread;
	struct churn churn;
	char path[128];
	int round;

	churn.addr = self->addr;
	churn.huge = self->huge;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)self->addr, (unsigned long)self->addr + self->len);
	churn.bfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, churn.bfd) TH_LOG("open(%s): %s", path, strerror(errno));
	/* tmpfs without CONFIG_TMPFS_XATTR has no trusted.* names */
	if (fsetxattr(churn.bfd, "trusted.ashmem-test", "", 0, 0)) {
		ASSERT_EQ(EOPNOTSUPP, errno);
		close(churn.bfd);
		churn.bfd = -1;
	}
	atomic_init(&churn.stop, false);
	atomic_init(&churn.rounds, 0);
	ASSERT_EQ(0, spin_thread_start(&thread, churn_main, &churn));

	memset(self->addr + off, 'p', len);
	for (round = 0; round < RACE_ROUNDS; round++) {
		size_t part = off + (round % 8) * (len / 8);
		uint64_t t = now_ns();

		if (round >= 4 && t - start > RACE_SECONDS * 1000000000ull)
			break;
		/* an eighth of the rest, straddling no huge page boundary */
		ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, part,
				      len / 8, 0);
		ASSERT_EQ(0, variant->purge(self->fd)) {
			TH_LOG("%s", strerror(errno));
		}
		ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_PIN, part,
				      len / 8, ASHMEM_WAS_PURGED);
		ASSERT_TRUE(is_zero(self->addr + part, len / 8));
		if (part > off) {
			ASSERT_EQ('p', self->addr[part - 1]);
		}
		if (part + len / 8 < self->len) {
			ASSERT_EQ('p', self->addr[part + len / 8]);
		}
		memset(self->addr + part, 'p', len / 8);
		if (now_ns() - t > slowest)
			slowest = now_ns() - t;
	}
	atomic_store(&churn.stop, true);
	spin_thread_wait(&thread);
	ASSERT_LT(0, atomic_load(&churn.rounds));
	TH_LOG("%d rounds, the slowest %llu ms; %ld rounds of MADV_REMOVE%s alongside",
	       round, (unsigned long long)(slowest / 1000000),
	       atomic_load(&churn.rounds), churn.bfd >= 0 ? " and setxattr" : "");
	if (churn.bfd >= 0)
		close(churn.bfd);
}

TEST_HARNESS_MAIN
