// SPDX-License-Identifier: GPL-2.0
/*
 * Purging inside memory cgroups.
 *
 * Each test puts two members, child processes, into two cgroup2 groups of
 * their own, A and B.  A member joins its group first, then creates its
 * areas, writes every page (so the pages are charged to its group) and
 * unpins the areas one after the other, area 0 first: area 0 is its
 * oldest unpinned range.  Then something reclaims -- A's own memory.max,
 * A's memory.reclaim, or reclaim of the whole machine -- and each member
 * pins its areas again and reports, area by area, what PIN returned and
 * whether the content is intact (not purged) or zeros (purged).
 *
 * What must hold: a group's limit purges that group's ranges, oldest first,
 * instead of OOM-killing its task (memory.events counts no oom_kill), and
 * leaves the other group's ranges alone; reclaim of the whole machine and
 * ASHMEM_PURGE_ALL_CACHES reach the ranges of every group.
 *
 * From Linux 6.4 on, a cgroup's own reclaim no longer counts pages that a
 * shrinker frees as reclaimed (upstream: "mm: vmscan: ignore non-LRU-based
 * reclaim in memcg reclaim"), so when the group has nothing else to
 * reclaim the kernel keeps lowering its priority until it has asked the
 * shrinker for every range of the group.  The tests check the order of the
 * purge on every kernel and how much is left only where the kernel counts.
 *
 * Needs root and cgroup2 with the memory controller at /sys/fs/cgroup.
 * Built 64-bit only (see the Makefile).
 */
#include <poll.h>
#include <sys/utsname.h>

#include "ashmem_cgroup.h"
#include "ashmem_pressure.h"

#define MEMBERS		2		/* A and B */
#define AREAS_MAX	64
#define AREA_LEN	(2UL << 20)
#define SEED		90

/* What a member found when it pinned its areas again. */
enum found { FOUND_INTACT = 1, FOUND_ZEROS, FOUND_MIXED };

struct report {
	int pin[AREAS_MAX];		/* what ASHMEM_PIN returned */
	enum found found[AREAS_MAX];
	long anon_bytes;		/* for the 'a' command */
};

struct member {
	pid_t pid;
	int cmd;	/* the parent writes commands here */
	int ack;	/* and reads the member's answers here */
	int areas;
};

FIXTURE(memcg_purge) {
	char dir[MEMBERS][128];
	bool added_memory;
	struct member m[MEMBERS];
	struct report *report;	/* MEMBERS reports, in a shared mapping */
};

FIXTURE_SETUP(memcg_purge)
{
	cgroup2_assert_memory(_metadata);
	self->report = mmap(NULL, MEMBERS * sizeof(struct report),
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
	ASSERT_NE(MAP_FAILED, self->report);
	cgroup_enable_memory(_metadata, &self->added_memory);
}

FIXTURE_TEARDOWN(memcg_purge)
{
	int i;

	for (i = 0; i < MEMBERS; i++) {
		if (self->m[i].pid > 0) {
			kill(self->m[i].pid, SIGKILL);
			waitpid(self->m[i].pid, NULL, 0);
			close(self->m[i].cmd);
			close(self->m[i].ack);
		}
		cgroup_remove(_metadata, self->dir[i]);
	}
	cgroup_disable_memory(_metadata, self->added_memory);
	if (self->report != MAP_FAILED)
		munmap(self->report, MEMBERS * sizeof(struct report));
}

/* Writes and then touches @bytes of anonymous memory, kept until exit. */
static bool member_allocate(long bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return false;
	memset(p, 0x5a, bytes);
	return true;
}

/*
 * Pins every area and reports.  The content is read with pread() into
 * @buf, which the member wrote before unpinning: reading a purged page
 * through the mapping would fault a new page in and charge it to the group,
 * while read() of a hole allocates nothing.
 */
static void member_pin(int areas, const int *fd, char *buf,
		       struct report *report)
{
	int i;

	for (i = 0; i < areas; i++) {
		report->pin[i] = ashmem_pin_ioctl(fd[i], ASHMEM_PIN, 0, 0);
		report->found[i] = FOUND_MIXED;
		if (pread(fd[i], buf, AREA_LEN, 0) != (ssize_t)AREA_LEN)
			continue;
		if (check_pattern(buf, AREA_LEN, SEED + i))
			report->found[i] = FOUND_INTACT;
		else if (is_zero(buf, AREA_LEN))
			report->found[i] = FOUND_ZEROS;
	}
}

/*
 * A member's life: into @dir, then @areas written and unpinned in order,
 * then commands: 'a' allocates report->anon_bytes of anonymous memory in
 * the group, 'p' pins every area and reports.  Each is answered with the
 * same byte once done.
 */
static void member_main(const char *dir, int areas, int cmd, int ack,
			struct report *report)
{
	char *addr, *buf;
	int fd[AREAS_MAX], i, c;

	CHILD_CHECK(memcg_write(dir, "cgroup.procs", "0") == 0);
	buf = malloc(AREA_LEN);
	CHILD_CHECK(buf != NULL);
	memset(buf, 0, AREA_LEN);
	for (i = 0; i < areas; i++) {
		fd[i] = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
		CHILD_CHECK(fd[i] >= 0);
		CHILD_CHECK(ioctl(fd[i], ASHMEM_SET_SIZE, AREA_LEN) == 0);
		addr = mmap(NULL, AREA_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd[i], 0);
		CHILD_CHECK(addr != MAP_FAILED);
		fill_pattern(addr, AREA_LEN, SEED + i);
	}
	for (i = 0; i < areas; i++)
		CHILD_CHECK(ashmem_pin_ioctl(fd[i], ASHMEM_UNPIN, 0, 0) == 0);
	CHILD_CHECK(send_byte(ack, 'u') == 0);

	while ((c = recv_byte(cmd)) > 0) {
		if (c == 'a')
			CHILD_CHECK(member_allocate(report->anon_bytes));
		else if (c == 'p')
			member_pin(areas, fd, buf, report);
		CHILD_CHECK(send_byte(ack, c) == 0);
	}
	_exit(0);
}

/* Makes group @i with limit @max and starts its member with @areas. */
static void start_member(struct __test_metadata *_metadata,
			 FIXTURE_DATA(memcg_purge) *self, int i,
			 const char *max, int areas)
{
	struct member *m = &self->m[i];
	int cmd[2], ack[2];
	char dir[128];

	snprintf(dir, sizeof(dir), CGROUP2 "/ashmem-%c-%d", 'A' + i, getpid());
	cgroup_make(_metadata, dir, max, self->dir[i], sizeof(self->dir[i]));
	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ack, O_CLOEXEC));
	m->areas = areas;
	m->pid = fork_child();
	ASSERT_LE(0, m->pid);
	if (m->pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		member_main(dir, areas, cmd[0], ack[1], &self->report[i]);
	}
	close(cmd[0]);
	close(ack[1]);
	m->cmd = cmd[1];
	m->ack = ack[0];
	ASSERT_EQ('u', recv_byte(m->ack)) {
		TH_LOG("member %c did not get its areas ready", 'A' + i);
	}
}

/* Sends command @c to member @i and waits for its answer. */
static void command(struct __test_metadata *_metadata,
		    FIXTURE_DATA(memcg_purge) *self, int i, char c)
{
	struct member *m = &self->m[i];

	ASSERT_EQ(0, send_byte(m->cmd, c));
	ASSERT_EQ(c, recv_byte(m->ack)) {
		TH_LOG("member %c died on '%c': oom_kill %ld in its group",
		       'A' + i, c,
		       memcg_read(self->dir[i], "memory.events", "oom_kill"));
	}
}

/*
 * Member @i's report: every area either pinned back NOT_PURGED with its
 * content, or WAS_PURGED with zeros; the purged ones are the oldest (a
 * prefix of the unpin order).  Returns how many were purged.
 */
static int purged_prefix(struct __test_metadata *_metadata,
			 FIXTURE_DATA(memcg_purge) *self, int i)
{
	const struct report *r = &self->report[i];
	int a, purged = 0;

	for (a = 0; a < self->m[i].areas; a++) {
		if (r->pin[a] == ASHMEM_WAS_PURGED) {
			EXPECT_EQ(FOUND_ZEROS, r->found[a]) {
				TH_LOG("%c's area %d was purged but holds data",
				       'A' + i, a);
			}
			EXPECT_EQ(purged, a) {
				TH_LOG("%c's area %d was purged after a newer one was kept",
				       'A' + i, a);
			}
			purged++;
		} else {
			EXPECT_EQ(ASHMEM_NOT_PURGED, r->pin[a]) {
				TH_LOG("%c's area %d: PIN returned %d",
				       'A' + i, a, r->pin[a]);
			}
			EXPECT_EQ(FOUND_INTACT, r->found[a]) {
				TH_LOG("%c's area %d was not purged but changed",
				       'A' + i, a);
			}
		}
	}
	return purged;
}

/* Whether the running kernel counts what shrinkers free in cgroup reclaim. */
static bool memcg_reclaim_counts_purges(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 4);
}

/*
 * A at its memory.max: 12 areas of 2 MiB (24 MiB) unpinned and a 2 MiB
 * buffer, a 40 MiB limit, then 24 MiB of anonymous memory that the group
 * can only make room for by purging.  B, without a limit, keeps all of its
 * unpinned areas.
 */
TEST_F_TIMEOUT(memcg_purge, limit_reclaim_purges_the_groups_oldest_ranges_first,
	       240)
{
	const int areas = 12;
	long max_before, oom_kill_before, oom_before, needed;
	int purged;

	start_member(_metadata, self, 1, "max", 4);
	start_member(_metadata, self, 0, "40M", areas);
	max_before = memcg_read(self->dir[0], "memory.events", "max");
	oom_before = memcg_read(self->dir[0], "memory.events", "oom");
	oom_kill_before = memcg_read(self->dir[0], "memory.events", "oom_kill");
	ASSERT_LE(0, oom_kill_before);

	self->report[0].anon_bytes = 24L << 20;
	command(_metadata, self, 0, 'a');
	command(_metadata, self, 0, 'p');
	command(_metadata, self, 1, 'p');

	EXPECT_LT(max_before, memcg_read(self->dir[0], "memory.events", "max")) {
		TH_LOG("A never reached its limit: the test proves nothing");
	}
	EXPECT_EQ(oom_before, memcg_read(self->dir[0], "memory.events", "oom"));
	EXPECT_EQ(oom_kill_before,
		  memcg_read(self->dir[0], "memory.events", "oom_kill"));
	purged = purged_prefix(_metadata, self, 0);
	/* 24 + 2 + 24 MiB in 40: at least 10 MiB, five areas, had to go */
	needed = 5;
	EXPECT_LE(needed, purged) TH_LOG("A purged only %d areas", purged);
	if (memcg_reclaim_counts_purges()) {
		EXPECT_GT(areas, purged) {
			TH_LOG("A's limit purged every area, not only what it needed");
		}
	}
	TH_LOG("A's limit purged %d of its %d areas", purged, areas);
	EXPECT_EQ(0, purged_prefix(_metadata, self, 1));
}

/* memory.reclaim on A purges A's oldest ranges and leaves B's. */
TEST_F_TIMEOUT(memcg_purge, memory_reclaim_purges_only_that_group, 240)
{
	int ret, purged;

	start_member(_metadata, self, 0, "max", 8);
	start_member(_metadata, self, 1, "max", 8);
	ret = memcg_write(self->dir[0], "memory.reclaim", "6M");
	if (memcg_reclaim_counts_purges()) {
		EXPECT_EQ(0, ret) TH_LOG("memory.reclaim: %s", strerror(errno));
	} else {
		/* the purges are done but not counted: see the top */
		EXPECT_TRUE(ret == 0 || errno == EAGAIN) {
			TH_LOG("memory.reclaim: %s", strerror(errno));
		}
	}
	command(_metadata, self, 0, 'p');
	command(_metadata, self, 1, 'p');
	purged = purged_prefix(_metadata, self, 0);
	EXPECT_LE(3, purged) TH_LOG("reclaiming 6 MiB purged %d areas", purged);
	if (memcg_reclaim_counts_purges())
		EXPECT_GT(8, purged) TH_LOG("reclaiming 6 MiB purged all 8 areas");
	EXPECT_EQ(0, purged_prefix(_metadata, self, 1));
}

/* The line of `ashmemctl stat --cgroups` for the cgroup at @dir. */
struct cgroup_line {
	int areas;
	unsigned long bytes, unpinned, purged;
};

static bool ashmemctl_cgroup_line(const char *dir, struct cgroup_line *line)
{
	const char *ashmemctl = getenv("ASHMEMCTL");
	const char *want = dir + strlen(CGROUP2);	/* the v2 path */
	char cmd[256], text[512], path[256];
	bool found = false;
	FILE *out;

	snprintf(cmd, sizeof(cmd), "%s stat --cgroups",
		 ashmemctl ? ashmemctl : "/bin/ashmemctl");
	out = popen(cmd, "r");
	if (!out)
		return false;
	while (fgets(text, sizeof(text), out)) {
		if (sscanf(text, "%d %lu %lu %lu %255s", &line->areas,
			   &line->bytes, &line->unpinned, &line->purged,
			   path) == 5 && !strcmp(path, want))
			found = true;
		if (found)
			break;
	}
	while (fgets(text, sizeof(text), out))
		;
	return pclose(out) == 0 && found;
}

/*
 * ashmemctl stat --cgroups shows, per group, the areas its members hold
 * and how many of their pages are unpinned and purged.
 */
TEST_F_TIMEOUT(memcg_purge, ashmemctl_shows_each_groups_unpinned_and_purged_pages,
	       240)
{
	const unsigned long area_pages = AREA_LEN / page_size();
	struct cgroup_line a, b;
	int purged;

	start_member(_metadata, self, 0, "max", 4);
	start_member(_metadata, self, 1, "max", 4);
	/* success or, from 6.4 on, EAGAIN; what it purged is checked below */
	memcg_write(self->dir[0], "memory.reclaim", "3M");
	ASSERT_TRUE(ashmemctl_cgroup_line(self->dir[0], &a)) {
		TH_LOG("no line for %s in ashmemctl stat --cgroups", self->dir[0]);
	}
	ASSERT_TRUE(ashmemctl_cgroup_line(self->dir[1], &b)) {
		TH_LOG("no line for %s in ashmemctl stat --cgroups", self->dir[1]);
	}
	command(_metadata, self, 0, 'p');
	command(_metadata, self, 1, 'p');
	purged = purged_prefix(_metadata, self, 0);
	ASSERT_LE(2, purged);
	EXPECT_EQ(4, a.areas);
	EXPECT_EQ(4 * AREA_LEN, a.bytes);
	EXPECT_EQ(4 * area_pages, a.unpinned);
	EXPECT_EQ(purged * area_pages, a.purged);
	EXPECT_EQ(4, b.areas);
	EXPECT_EQ(4 * area_pages, b.unpinned);
	EXPECT_EQ(0, b.purged);
	EXPECT_EQ(0, purged_prefix(_metadata, self, 1));
}

/* drop_caches reclaims the slab of every cgroup: both groups lose all. */
TEST_F_TIMEOUT(memcg_purge, drop_caches_purges_every_group, 120)
{
	start_member(_metadata, self, 0, "max", 4);
	start_member(_metadata, self, 1, "max", 4);
	ASSERT_EQ(0, write_text_file("/proc/sys/vm/drop_caches", "2"));
	command(_metadata, self, 0, 'p');
	command(_metadata, self, 1, 'p');
	EXPECT_EQ(4, purged_prefix(_metadata, self, 0));
	EXPECT_EQ(4, purged_prefix(_metadata, self, 1));
}

/* ASHMEM_PURGE_ALL_CACHES, from outside both groups, reaches both. */
TEST_F_TIMEOUT(memcg_purge, purge_all_caches_purges_every_group, 120)
{
	long pages = 8 * AREA_LEN / page_size();
	int fd = ashmem_open(_metadata);

	start_member(_metadata, self, 0, "max", 4);
	start_member(_metadata, self, 1, "max", 4);
	EXPECT_LE(pages, ioctl(fd, ASHMEM_PURGE_ALL_CACHES));
	ASSERT_EQ(0, close(fd));
	command(_metadata, self, 0, 'p');
	command(_metadata, self, 1, 'p');
	EXPECT_EQ(4, purged_prefix(_metadata, self, 0));
	EXPECT_EQ(4, purged_prefix(_metadata, self, 1));
}

/*
 * Real pressure on the whole machine (ashmem_pressure.h): kswapd visits
 * every cgroup's lists, so both groups, holding as much unpinned memory
 * each, lose their oldest ranges.  Together they hold a quarter of the
 * zone, as purge_test's reclaim case does: more than kswapd needs to bring
 * the zone from the pressure band back to its high watermark.  With less,
 * kswapd purges everything, still cannot get there, and after 16 passes
 * that reclaim nothing it stops being woken -- until a direct reclaim
 * succeeds, which under these helpers never happens -- and every later
 * test that needs kswapd finds it asleep.
 */
TEST_F_TIMEOUT(memcg_purge, kswapd_purges_every_group, 300)
{
	struct pressure *p;
	struct zone_wmark z;
	long before, areas;
	int i, purged[MEMBERS];

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pressure_zone(&z)) TH_LOG("cannot parse /proc/zoneinfo");
	/* each group an eighth of the zone */
	areas = z.managed / 8 / (long)(AREA_LEN / page_size());
	if (areas > AREAS_MAX)
		areas = AREAS_MAX;
	ASSERT_LE(4, areas) TH_LOG("a zone of %ld pages is too small", z.managed);
	start_member(_metadata, self, 0, "max", areas);
	start_member(_metadata, self, 1, "max", areas);
	before = ashmem_stat("reclaim_pages:");
	ASSERT_LE(0, before) TH_LOG("no %s", ASHMEM_STATS_FILE);

	ASSERT_EQ(0, pressure_begin(p)) {
		TH_LOG("%s: %s", WMARK_SCALE_FILE, strerror(errno));
	}
	EXPECT_EQ(0, pressure_until_purged(p, before, 60, &z)) {
		TH_LOG("allocating or reading the zone: %s", strerror(errno));
	}
	pressure_release(p);
	EXPECT_EQ(0, pressure_end(p));
	munmap(p, sizeof(*p));

	for (i = 0; i < MEMBERS; i++) {
		command(_metadata, self, i, 'p');
		purged[i] = purged_prefix(_metadata, self, i);
	}
	TH_LOG("kswapd purged %d of A's and %d of B's %ld areas",
	       purged[0], purged[1], areas);
	EXPECT_LT(0, purged[0]);
	EXPECT_LT(0, purged[1]);
}

TEST_HARNESS_MAIN
