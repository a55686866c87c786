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
 * without end gets ENOMEM, while a process outside keeps working.  Needs
 * root and a memory controller not enabled in cgroup2 (see below).
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "ashmem_helpers.h"

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

TEST_F(map_files, map_files_cannot_be_mapped)
{
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, self->bfd, 0));
	ASSERT_EQ(EPERM, errno);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ, MAP_PRIVATE,
				   self->bfd, 0));
	ASSERT_EQ(EPERM, errno);
	assert_map_files_content_intact(_metadata, self);
}

TEST_F(map_files, map_files_cannot_be_written)
{
	struct iovec iov = { .iov_base = "w", .iov_len = 1 };

	errno = 0;
	ASSERT_EQ(-1, write(self->bfd, "w", 1));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, pwritev(self->bfd, &iov, 1, page_size()));
	ASSERT_EQ(EINVAL, errno);
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
 * Memory cgroups.  The child moves itself into a fresh memory cgroup with
 * a small limit and consumes kernel memory through the driver, areas or
 * unpinned ranges, until a call fails with ENOMEM.  Meanwhile the parent,
 * outside that cgroup, keeps creating, mapping and pinning areas.
 *
 * The cgroup is a v1 memory hierarchy mounted for the test, because only
 * v1 can turn the cgroup's OOM killer off (memory.oom_control): then a
 * charge over the limit fails the allocation with ENOMEM instead of
 * killing the child, and the kernel log stays free of OOM reports (whose
 * stack dump the guest counts as a splat).  The driver's allocations are
 * charged the same way in v1 and v2 (SLAB_ACCOUNT, __GFP_ACCOUNT).  The
 * child touches no new user page once inside: with the OOM killer off, a
 * page fault over the limit would wait instead of failing.
 */
#define MEMCG_MOUNT	"/tmp/ashmem-memcg"

enum hog { HOG_AREAS, HOG_RANGES };

FIXTURE(memcg) {
	char dir[128];
	bool mounted;
	pid_t pid;
};

FIXTURE_VARIANT(memcg) {
	enum hog hog;
	const char *limit;	/* memory.limit_in_bytes */
};

FIXTURE_VARIANT_ADD(memcg, many_areas) {
	.hog = HOG_AREAS,
	.limit = "16M",
};

FIXTURE_VARIANT_ADD(memcg, many_unpinned_ranges) {
	.hog = HOG_RANGES,
	.limit = "8M",
};

static int memcg_write(const char *dir, const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_text_file(path, value);
}

/* The value of "@key N" in a flat-keyed cgroup file, or of a plain one. */
static long memcg_read(const char *dir, const char *file, const char *key)
{
	char path[256], text[1024], *line;
	size_t len = key ? strlen(key) : 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_text_file(path, text, sizeof(text)) < 0)
		return -1;
	if (!key)
		return strtol(text, NULL, 10);
	for (line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, len) && line[len] == ' ')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

FIXTURE_SETUP(memcg)
{
	self->pid = -1;
	self->mounted = false;
	ASSERT_EQ(0, mkdir(MEMCG_MOUNT, 0755)) TH_LOG("mkdir: %s", strerror(errno));
	ASSERT_EQ(0, mount("ashmem-memcg", MEMCG_MOUNT, "cgroup", 0, "memory")) {
		TH_LOG("mounting the v1 memory controller: %s (is +memory enabled in cgroup2?)",
		       strerror(errno));
	}
	self->mounted = true;
	snprintf(self->dir, sizeof(self->dir), MEMCG_MOUNT "/hog-%d", getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755)) TH_LOG("mkdir: %s", strerror(errno));
	ASSERT_EQ(0, memcg_write(self->dir, "memory.limit_in_bytes",
				 variant->limit));
	ASSERT_EQ(0, memcg_write(self->dir, "memory.oom_control", "1"));
	ASSERT_EQ(1, memcg_read(self->dir, "memory.oom_control",
				"oom_kill_disable"));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->mounted) {
		int tries = 0;

		/*
		 * An empty cgroup goes away even while dying memory is
		 * charged; on PREEMPT_RT the reaped child may leave it a
		 * moment later (EBUSY/EAGAIN meanwhile): retry, yielding.
		 */
		while (rmdir(self->dir) && (errno == EBUSY || errno == EAGAIN) &&
		       tries++ < 100000)
			sched_yield();
		EXPECT_NE(0, access(self->dir, F_OK)) {
			TH_LOG("rmdir: %s", strerror(errno));
		}
		EXPECT_EQ(0, umount(MEMCG_MOUNT)) TH_LOG("umount: %s", strerror(errno));
	}
	rmdir(MEMCG_MOUNT);
}

/* Areas, each with a backing file and a mapping (never touched). */
static int hog_areas(void)
{
	struct rlimit nofile = { 1 << 20, 1 << 20 };
	size_t ps = page_size();
	long n;

	setrlimit(RLIMIT_NOFILE, &nofile);
	for (n = 0; n < (1L << 20); n++) {
		int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			return errno;
		if (ioctl(fd, ASHMEM_SET_SIZE, ps))
			return errno;
		if (mmap(NULL, ps, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, fd, 0) == MAP_FAILED)
			return errno;
	}
	return 0;	/* a million areas: no limit was enforced */
}

/* One 4 GiB area; every other page unpinned, so no two ranges merge. */
static int hog_ranges(void)
{
	unsigned long long ps = page_size(), off;
	size_t size = 0x100000000ULL - ps;
	int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, size))
		return errno;
	if (mmap(NULL, ps, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, 0) ==
	    MAP_FAILED)
		return errno;
	for (off = 0; off + ps <= size; off += 2 * ps)
		if (ashmem_pin_ioctl(fd, ASHMEM_UNPIN, off, ps))
			return errno;
	return 0;
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

TEST_F_TIMEOUT(memcg, hog_gets_enomem_from_its_cgroup_while_others_work, 600)
{
	char procs[256];
	int status, round = 0;
	long failcnt;
	pid_t ret;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->dir);
	self->pid = fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		int err;

		CHILD_CHECK(write_text_file(procs, "0") == 0);
		err = variant->hog == HOG_AREAS ? hog_areas() : hog_ranges();
		/* the errno is the exit status: no allocation on the way out */
		_exit(err);
	}

	/* work outside the cgroup until the child is done */
	do {
		outside_work(_metadata, round++);
		ret = waitpid(self->pid, &status, WNOHANG);
		ASSERT_LE(0, ret);
	} while (ret == 0);
	self->pid = -1;
	outside_work(_metadata, round);

	failcnt = memcg_read(self->dir, "memory.failcnt", NULL);
	TH_LOG("%d rounds outside; memory.failcnt %ld", round, failcnt);
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("the hog was killed by signal %d", WTERMSIG(status));
	}
	/*
	 * ENOMEM, also when the first mmap() cannot charge the backing
	 * inode (shmem's ENOSPC, which the driver reports as ENOMEM).
	 */
	ASSERT_TRUE(WEXITSTATUS(status) == ENOMEM) {
		TH_LOG("the hog ended with: %s", WEXITSTATUS(status) ?
		       strerror(WEXITSTATUS(status)) : "success");
	}
	ASSERT_LT(0, failcnt) TH_LOG("the limit was never hit");
	ASSERT_EQ(0, memcg_read(self->dir, "memory.oom_control", "oom_kill"));
}

TEST_HARNESS_MAIN
