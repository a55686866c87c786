// SPDX-License-Identifier: GPL-2.0
/*
 * Limits and isolation.
 *
 * A holder of a read-only region never gains write access, by any path:
 * mprotect(), remap_file_pages(), the backing file reopened through
 * /proc/self/map_files, /proc/self/fd/N reopened (a new, empty area), and
 * /proc/self/mem.  Each path is a test of its own.
 *
 * /dev/ashmem is open to every user, so the kernel memory behind areas
 * and unpinned ranges is charged to the caller's memory cgroup: a process
 * in a cgroup with a small limit that creates areas or unpins ranges
 * without end gets ENOMEM or is killed by its cgroup, while a process
 * outside keeps working.  Needs root and cgroup2 with the memory
 * controller at /sys/fs/cgroup.
 */
#include <sys/resource.h>
#include <sys/syscall.h>

#include "ashmem_cgroup.h"

#define RO_PAGES	4
#define RO_SEED		70

/* An area whose owner wrote it, then narrowed the mask to PROT_READ. */
FIXTURE(read_only) {
	int fd;
	size_t len;
	char *ro;		/* the holder's shared read-only mapping */
};

FIXTURE_SETUP(read_only)
{
	char *rw;

	self->len = RO_PAGES * page_size();
	self->fd = ashmem_create(_metadata, "read-only", self->len);
	rw = ashmem_assert_mmap(_metadata, self->fd, self->len,
				PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(rw, self->len, RO_SEED);
	ASSERT_EQ(0, munmap(rw, self->len));
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ);
	self->ro = ashmem_assert_mmap(_metadata, self->fd, self->len,
				      PROT_READ, MAP_SHARED, 0);
}

FIXTURE_TEARDOWN(read_only)
{
	munmap(self->ro, self->len);
	close(self->fd);
}

/* The content is what the owner wrote, through read() and a new mapping. */
static void assert_content_intact(struct __test_metadata *_metadata,
				  FIXTURE_DATA(read_only) *self)
{
	char *buf = malloc(self->len), *again;

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, buf, self->len, 0));
	ASSERT_TRUE(check_pattern(buf, self->len, RO_SEED));
	free(buf);
	again = ashmem_assert_mmap(_metadata, self->fd, self->len, PROT_READ,
				   MAP_SHARED, 0);
	ASSERT_TRUE(check_pattern(again, self->len, RO_SEED));
	ASSERT_EQ(0, munmap(again, self->len));
	ashmem_assert_prot(_metadata, self->fd, PROT_READ);
}

TEST_F(read_only, mprotect_cannot_add_write)
{
	char *priv;

	errno = 0;
	ASSERT_EQ(-1, mprotect(self->ro, self->len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	errno = 0;
	ASSERT_EQ(-1, mprotect(self->ro + page_size(), page_size(),
			       PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	/* a private mapping has no VM_MAYWRITE either */
	priv = ashmem_assert_mmap(_metadata, self->fd, self->len, PROT_READ,
				  MAP_PRIVATE, 0);
	errno = 0;
	ASSERT_EQ(-1, mprotect(priv, self->len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, munmap(priv, self->len));
	ASSERT_EQ(SIGSEGV, probe_write(self->ro, 'w'));
	assert_content_intact(_metadata, self);
}

TEST_F(read_only, remap_file_pages_cannot_add_write)
{
	size_t ps = page_size();

	/* remap in place, then page 1 onto page 0 (a non-linear request) */
	if (remap_file_pages(self->ro, self->len, 0, 0, 0))
		ASSERT_EQ(EPERM, errno);
	if (remap_file_pages(self->ro, ps, 0, 1, 0))
		ASSERT_TRUE(errno == EPERM || errno == EINVAL);
	ASSERT_NE(0, mprotect(self->ro, self->len, PROT_READ | PROT_WRITE));
	ASSERT_NE(0, probe_write(self->ro, 'w'));
	ASSERT_NE(0, probe_write(self->ro + self->len - 1, 'w'));
	assert_content_intact(_metadata, self);
}

/* The backing file reopened read-write through /proc/self/map_files. */
FIXTURE(map_files) {
	int fd;
	int bfd;
	size_t len;
	char *ro;
};

FIXTURE_SETUP(map_files)
{
	char path[128], *rw;

	self->len = RO_PAGES * page_size();
	self->fd = ashmem_create(_metadata, "map-files", self->len);
	rw = ashmem_assert_mmap(_metadata, self->fd, self->len,
				PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(rw, self->len, RO_SEED);
	ASSERT_EQ(0, munmap(rw, self->len));
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ);
	self->ro = ashmem_assert_mmap(_metadata, self->fd, self->len,
				      PROT_READ, MAP_SHARED, 0);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)self->ro, (unsigned long)self->ro + self->len);
	self->bfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->bfd) TH_LOG("open(%s): %s", path, strerror(errno));
}

FIXTURE_TEARDOWN(map_files)
{
	close(self->bfd);
	munmap(self->ro, self->len);
	close(self->fd);
}

static void assert_map_files_content_intact(struct __test_metadata *_metadata,
					    FIXTURE_DATA(map_files) *self)
{
	char *buf = malloc(self->len);

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((long)self->len, (long)ioctl(self->fd, ASHMEM_GET_SIZE));
	ASSERT_EQ((off_t)self->len, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, buf, self->len, 0));
	ASSERT_TRUE(check_pattern(buf, self->len, RO_SEED));
	ASSERT_TRUE(check_pattern(self->ro, self->len, RO_SEED));
	free(buf);
}

TEST_F(map_files, map_files_cannot_be_mapped_writable)
{
	char *again;

	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, self->bfd, 0));
	ASSERT_EQ(EPERM, errno);
	again = mmap(NULL, self->len, PROT_READ, MAP_SHARED, self->bfd, 0);
	ASSERT_NE(MAP_FAILED, again) TH_LOG("mmap: %s", strerror(errno));
	errno = 0;
	ASSERT_EQ(-1, mprotect(again, self->len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, munmap(again, self->len));
	assert_map_files_content_intact(_metadata, self);
}

TEST_F(map_files, map_files_cannot_be_written)
{
	struct iovec iov = { .iov_base = "w", .iov_len = 1 };

	errno = 0;
	ASSERT_EQ(-1, write(self->bfd, "w", 1));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(-1, pwritev(self->bfd, &iov, 1, page_size()));
	ASSERT_EQ(EPERM, errno);
	assert_map_files_content_intact(_metadata, self);
}

/*
 * Writing is not the only way to change a file: truncating it or punching
 * a hole in it destroys the content just as well.
 */
TEST_F(map_files, map_files_cannot_truncate_or_punch_the_content)
{
	int ret;

	ret = ftruncate(self->bfd, 0);
	EXPECT_EQ(-1, ret) TH_LOG("ftruncate through map_files succeeded");
	ret = fallocate(self->bfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			0, self->len);
	EXPECT_EQ(-1, ret) TH_LOG("hole punch through map_files succeeded");
	assert_map_files_content_intact(_metadata, self);
}

/* Opening /proc/self/fd/N opens /dev/ashmem again: a new, empty area. */
TEST_F(read_only, reopening_proc_fd_gives_a_new_empty_area)
{
	char path[64], *addr;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open(%s): %s", path, strerror(errno));
	ASSERT_TRUE(is_ashmem_fd(fd));
	ashmem_assert_size(_metadata, fd, 0);
	ashmem_assert_name(_metadata, fd, ASHMEM_NAME_DEF);
	ashmem_assert_prot(_metadata, fd, ASHMEM_PROT_ALL);
	ASSERT_EQ(0, pread(fd, path, 1, 0));
	ashmem_fail_mmap(_metadata, fd, self->len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0, EINVAL);

	/* writable, but it is another area */
	ashmem_assert_set_size(_metadata, fd, self->len);
	addr = ashmem_assert_mmap(_metadata, fd, self->len,
				  PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_TRUE(is_zero(addr, self->len));
	memset(addr, 'w', self->len);
	ASSERT_EQ(0, munmap(addr, self->len));
	ASSERT_EQ(0, close(fd));
	assert_content_intact(_metadata, self);
}

/* /proc/self/mem forces access (FOLL_FORCE), but not past VM_MAYWRITE. */
TEST_F(read_only, proc_self_mem_cannot_write_read_only_mappings)
{
	char *priv, byte = 'm';
	off64_t at;
	int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, mem);
	at = (off64_t)(unsigned long)self->ro;
	errno = 0;
	ASSERT_EQ(-1, pwrite64(mem, &byte, 1, at));
	ASSERT_EQ(EIO, errno);
	ASSERT_EQ(-1, pwrite64(mem, &byte, 1, at + self->len - 1));

	priv = ashmem_assert_mmap(_metadata, self->fd, self->len, PROT_READ,
				  MAP_PRIVATE, 0);
	errno = 0;
	ASSERT_EQ(-1, pwrite64(mem, &byte, 1, (off64_t)(unsigned long)priv));
	ASSERT_EQ(EIO, errno);
	/* reading through it works */
	ASSERT_EQ(1, pread64(mem, &byte, 1, at));
	ASSERT_EQ((char)pattern_byte(RO_SEED, 0), byte);
	ASSERT_EQ(0, munmap(priv, self->len));
	ASSERT_EQ(0, close(mem));
	assert_content_intact(_metadata, self);
}

/*
 * The memory cgroup cases are built 64-bit only: what they measure, the
 * kernel memory charged for areas and ranges, is the same whatever the
 * caller's word size, and under the debug kernel each takes most of a
 * minute.  The 32-bit entry points they would use are tested elsewhere.
 */
#if __SIZEOF_LONG__ == 8

/*
 * No shrinker frees ranges (a purged range stays in its area's tree), so
 * their memory is unreclaimable slab: counting it as SReclaimable would
 * make MemAvailable promise memory that no reclaim can return.
 */
/*
 * 65,536 UNPINs and PINs take most of the harness' default 30 s in the
 * debug lane (KASAN under TCG): one run there ran out.
 */
FIXTURE(slab) {
	int unused;
};

FIXTURE_SETUP(slab)
{
}

FIXTURE_TEARDOWN(slab)
{
}

TEST_F_TIMEOUT(slab, unpinned_ranges_are_not_counted_as_reclaimable, 300)
{
	const size_t ranges = 65536;
	size_t len = 2 * ranges * page_size();
	long reclaimable, unreclaimable, grew, floor_kib;
	void *addr;
	int fd = ashmem_create(_metadata, "ranges-slab", len);

	/* one page mapped is enough for the whole area's backing file */
	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED | MAP_NORESERVE, 0);
	reclaimable = meminfo_kib("SReclaimable");
	unreclaimable = meminfo_kib("SUnreclaim");
	ASSERT_LE(0, reclaimable);
	ASSERT_LE(0, unreclaimable);
	for (size_t i = 0; i < ranges; i++) {
		ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN,
				      2 * i * page_size(), page_size(), 0);
	}
	/* a range takes more than 32 bytes on every build */
	floor_kib = (long)(ranges * 32 / 1024);
	grew = meminfo_kib("SUnreclaim") - unreclaimable;
	EXPECT_LE(floor_kib, grew) TH_LOG("SUnreclaim grew by %ld KiB", grew);
	grew = meminfo_kib("SReclaimable") - reclaimable;
	EXPECT_GT(floor_kib / 4, grew) {
		TH_LOG("SReclaimable grew by %ld KiB for %zu ranges", grew, ranges);
	}
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

/*
 * Memory cgroups.  A child, the hog, moves itself into a new cgroup2 group
 * with a small memory.max and consumes kernel memory through the driver,
 * areas or unpinned ranges, until its group stops it.  Meanwhile the
 * parent, outside that group, keeps creating, mapping and pinning areas.
 *
 * An unkillable hog (oom_score_adj -1000) leaves the group's OOM killer no
 * victim, so the charge fails and the call returns ENOMEM; a killable one
 * is killed.  Either way the kernel logs a memory cgroup OOM report, which
 * the guest's judge (qemu/judge.awk) accepts only between the two
 * OOM_WINDOW lines the test writes to /dev/kmsg around the hog.
 *
 * Once inside, the hog makes system calls only and writes no user page it
 * had not written before: when nothing in the group can be killed, a page
 * fault that cannot be charged is retried for ever.  mlockall() copies
 * every page the hog shares copy-on-write with its parent (stack, errno,
 * libc's data) before the move, so those are charged outside the group.
 */
#define OOM_WINDOW	"ashmem-selftest: expect memcg oom: "
#define HOG_AREAS_MAX	1000000		/* areas the hog tries to make */
#define RANGE_AREAS	4		/* 4 GiB areas it unpins every other page of */
#define HOG_SECONDS	240		/* a hog still running after this is stuck */
#define SETTLE_SECONDS	CGROUP_SETTLE_SECONDS /* for memory.current to go down */

enum hog { HOG_AREAS, HOG_RANGES };

static const char * const hog_names[] = {
	[HOG_AREAS] = "areas",
	[HOG_RANGES] = "ranges",
};

FIXTURE(memcg) {
	char dir[128];		/* the hog's group, once made */
	bool added_memory;	/* this test enabled memory in the root group */
	bool in_window;		/* an expected-OOM window is open */
	pid_t pid;
	long *made;		/* the hog's progress, in a page it shares */
};

/*
 * Without the limit the hog would make a million areas, or two million
 * ranges (with 4 KiB pages).  Each costs its group at least 512 bytes (an
 * area has two struct files and a shmem inode) or 32 bytes (a range has an
 * rb node, an LRU list head and its ends): @most is what the limit could
 * hold at those prices, more than the hog can ever reach.
 */
FIXTURE_VARIANT(memcg) {
	enum hog hog;
	const char *max;	/* memory.max */
	long most;
};

FIXTURE_VARIANT_ADD(memcg, areas) {
	.hog = HOG_AREAS,
	.max = "16M",
	.most = (16L << 20) / 512,
};

FIXTURE_VARIANT_ADD(memcg, ranges) {
	.hog = HOG_RANGES,
	.max = "8M",
	.most = (8L << 20) / 32,
};

/* Writes "ashmem-selftest: expect memcg oom: @what" to the kernel log. */
static int oom_window(const char *what)
{
	char line[256];

	snprintf(line, sizeof(line), OOM_WINDOW "%s\n", what);
	return write_text_file("/dev/kmsg", line);
}

/* The group itself is made by make_group(), so that teardown undoes it. */
FIXTURE_SETUP(memcg)
{
	void *page;

	cgroup2_assert_memory(_metadata);
	page = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	self->made = page;
	*self->made = 0;
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->in_window)
		EXPECT_EQ(0, oom_window("end"));
	cgroup_remove(_metadata, self->dir);
	cgroup_disable_memory(_metadata, self->added_memory);
	if (self->made)
		munmap(self->made, page_size());
}

/* Enables memory for the root's children, makes the hog's group. */
static void make_group(struct __test_metadata *_metadata,
		       FIXTURE_DATA(memcg) *self,
		       const FIXTURE_VARIANT(memcg) *variant)
{
	char dir[sizeof(self->dir)];

	cgroup_enable_memory(_metadata, &self->added_memory);
	snprintf(dir, sizeof(dir), CGROUP2 "/ashmem-hog-%d", getpid());
	cgroup_make(_metadata, dir, variant->max, self->dir, sizeof(self->dir));
}

/* Areas, each with a backing file and a mapping (never touched). */
static int hog_areas(long *made)
{
	size_t ps = page_size();
	long n;

	for (n = 0; n < HOG_AREAS_MAX; n++) {
		int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			return errno;
		if (ioctl(fd, ASHMEM_SET_SIZE, ps))
			return errno;
		if (mmap(NULL, ps, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, fd, 0) == MAP_FAILED)
			return errno;
		*made = n + 1;
	}
	return 0;
}

/* 4 GiB areas; every other page unpinned, so no two ranges merge. */
static int hog_ranges(long *made)
{
	unsigned long long ps = page_size(), off;
	size_t size = 0x100000000ULL - ps;
	int i;

	for (i = 0; i < RANGE_AREAS; i++) {
		int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);

		if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, size))
			return errno;
		/* a range needs the backing file, which the first mmap makes */
		if (mmap(NULL, ps, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd,
			 0) == MAP_FAILED)
			return errno;
		for (off = 0; off + ps <= size; off += 2 * ps) {
			if (ashmem_pin_ioctl(fd, ASHMEM_UNPIN, off, ps))
				return errno;
			(*made)++;
		}
	}
	return 0;
}

/* The hog's life: into the group, then make areas or ranges until stopped. */
static void hog_main(const char *dir, enum hog hog, bool killable,
		     long *made)
{
	struct rlimit nofile = { 1 << 20, 1 << 20 };	/* fs.nr_open */
	int err;

	if (!killable)
		CHILD_CHECK(write_text_file("/proc/self/oom_score_adj",
					    "-1000") == 0);
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
	/* a full-size file table now, so that the hog never has to grow it */
	CHILD_CHECK(dup2(0, nofile.rlim_cur - 1) >= 0 &&
		    close(nofile.rlim_cur - 1) == 0);
	CHILD_CHECK(mlockall(MCL_CURRENT) == 0);
	CHILD_CHECK(memcg_write(dir, "cgroup.procs", "0") == 0);
	err = hog == HOG_AREAS ? hog_areas(made) : hog_ranges(made);
	/* the errno is the exit status: nothing written on the way out */
	_exit(err);
}

struct memcg_events {
	long max, oom, oom_kill;
};

static struct memcg_events read_events(const char *dir)
{
	struct memcg_events ev = {
		.max = memcg_read(dir, "memory.events", "max"),
		.oom = memcg_read(dir, "memory.events", "oom"),
		.oom_kill = memcg_read(dir, "memory.events", "oom_kill"),
	};

	return ev;
}

/* What a process outside the cgroup does meanwhile: must all succeed. */
static void outside_work(struct __test_metadata *_metadata, int round)
{
	size_t len = 4 * page_size();
	char *addr;
	int fd = ashmem_create(_metadata, "outside", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, round);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
	ASSERT_LE(0, ashmem_pin_ioctl(fd, ASHMEM_PIN, 0, 0));
	ASSERT_TRUE(check_pattern(addr, len, round));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * Runs a hog in a new group, inside an expected-OOM window, and works
 * outside until it is gone.  Returns its wait status; @before gets the
 * group's events before it started.
 */
static int run_hog(struct __test_metadata *_metadata,
		   FIXTURE_DATA(memcg) *self,
		   const FIXTURE_VARIANT(memcg) *variant, bool killable,
		   struct memcg_events *before)
{
	struct timespec start;
	int status, round = 0;
	char what[200];
	pid_t ret;

	make_group(_metadata, self, variant);
	*before = read_events(self->dir);
	ASSERT_LE(0, before->max) TH_LOG("no memory.events in %s", self->dir);

	snprintf(what, sizeof(what), "begin %s.%s.%s",
		 _metadata->fixture->name, hog_names[variant->hog],
		 _metadata->name);
	ASSERT_EQ(0, oom_window(what)) TH_LOG("/dev/kmsg: %s", strerror(errno));
	self->in_window = true;

	self->pid = fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0)
		hog_main(self->dir, variant->hog, killable, self->made);

	/* work outside the group until the hog is done */
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		outside_work(_metadata, round++);
		ret = waitpid(self->pid, &status, WNOHANG);
		ASSERT_LE(0, ret);
		ASSERT_GT(HOG_SECONDS, seconds_since(&start)) {
			TH_LOG("the hog still runs after %d s, %ld %s made",
			       HOG_SECONDS, *self->made,
			       hog_names[variant->hog]);
		}
	} while (ret == 0);
	self->pid = -1;
	outside_work(_metadata, round);

	ASSERT_EQ(0, oom_window("end"));
	self->in_window = false;
	TH_LOG("the hog made %ld %s while the parent did %d rounds outside",
	       *self->made, hog_names[variant->hog], round);
	return status;
}

/*
 * The hog stopped well short of what it would have made without the limit,
 * and what it made went when it did: memory.current falls back (allowing
 * for frees that wait for RCU) to less than an eighth of the limit.
 */
static void assert_bounded_and_released(struct __test_metadata *_metadata,
					FIXTURE_DATA(memcg) *self,
					const FIXTURE_VARIANT(memcg) *variant)
{
	long max = memcg_read(self->dir, "memory.max", NULL);
	long peak = memcg_read(self->dir, "memory.peak", NULL);
	struct timespec start;
	long current;

	ASSERT_GT(variant->most, *self->made) {
		TH_LOG("%ld %s: the limit did not bound the hog",
		       *self->made, hog_names[variant->hog]);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		current = memcg_read(self->dir, "memory.current", NULL);
		if (current <= max / 8)
			break;
		sched_yield();
	} while (seconds_since(&start) < SETTLE_SECONDS);
	TH_LOG("memory.max %ld, memory.peak %ld, memory.current %ld after the hog",
	       max, peak, current);
	ASSERT_LE(0, current);
	ASSERT_GE(max / 8, current) {
		TH_LOG("the hog's kernel memory stayed charged after %d s",
		       SETTLE_SECONDS);
	}
}

TEST_F_TIMEOUT(memcg, unkillable_hog_gets_enomem_while_others_work, 600)
{
	struct memcg_events before, after;
	int status;

	status = run_hog(_metadata, self, variant, false, &before);
	after = read_events(self->dir);
	TH_LOG("memory.events: max %ld, oom %ld, oom_kill %ld", after.max,
	       after.oom, after.oom_kill);
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("the hog was killed by signal %d", WTERMSIG(status));
	}
	/*
	 * ENOMEM, also when a first mmap() cannot charge the backing inode
	 * (shmem's ENOSPC, which the driver reports as ENOMEM).
	 */
	ASSERT_EQ(ENOMEM, WEXITSTATUS(status)) {
		TH_LOG("the hog ended with: %s", WEXITSTATUS(status) ?
		       strerror(WEXITSTATUS(status)) : "success");
	}
	ASSERT_LT(0, *self->made) TH_LOG("the hog made nothing at all");
	ASSERT_LT(before.max, after.max) TH_LOG("the limit was never hit");
	ASSERT_LT(before.oom, after.oom) TH_LOG("the group never ran out");
	ASSERT_EQ(before.oom_kill, after.oom_kill);
	assert_bounded_and_released(_metadata, self, variant);
}

TEST_F_TIMEOUT(memcg, killable_hog_is_killed_by_its_cgroup_while_others_work, 600)
{
	struct memcg_events before, after;
	int status;

	status = run_hog(_metadata, self, variant, true, &before);
	after = read_events(self->dir);
	TH_LOG("memory.events: max %ld, oom %ld, oom_kill %ld", after.max,
	       after.oom, after.oom_kill);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		if (WIFEXITED(status))
			TH_LOG("the hog ended with: %s", WEXITSTATUS(status) ?
			       strerror(WEXITSTATUS(status)) : "success");
		else
			TH_LOG("the hog was killed by signal %d",
			       WTERMSIG(status));
	}
	ASSERT_LT(before.oom_kill, after.oom_kill);
	assert_bounded_and_released(_metadata, self, variant);
}

#endif /* __SIZEOF_LONG__ == 8 */

TEST_HARNESS_MAIN
