// SPDX-License-Identifier: GPL-2.0
/*
 * area_bench: what an ashmem area costs beside a memfd, in the guest.
 *
 *   area_bench [create] [fault] [purge] [memcg]    (default: all four)
 *
 * create  create_cycle_vs_floor: open, SET_NAME, SET_SIZE 1 MiB, mmap,
 *         touch every page, munmap, close / (the same cycle on a memfd +
 *         open and close of /dev/null, the device open the ABI imposes).
 * fault   fault_vs_memfd(_thp): the first touch of every page of a fresh
 *         8 MiB shared mapping, ashmem / memfd; _thp with shmem_enabled
 *         "advise", a 2 MiB-aligned mapping and MADV_HUGEPAGE; and how much
 *         of an 8 MiB mapping placed by mmap(NULL, ...) gets huge pages.
 * purge   purge_vs_punch_hole: ASHMEM_PURGE_ALL_CACHES of a touched,
 *         mapped, unpinned 64 MiB area / FALLOC_FL_PUNCH_HOLE of a touched,
 *         mapped 64 MiB memfd.
 * memcg   memcg_purge_vs_global: pages purged per second while a process
 *         in a cgroup at its memory.max allocates / while a process
 *         allocates until global reclaim purges.  With a shrinker that is
 *         not memcg-aware the group's allocation is OOM-killed instead:
 *         the figure is then 0 and a _note row says why.
 *
 * BENCH_QUICK=1 divides the repetition counts (for trying it out).
 */
#define _GNU_SOURCE

#include <linux/falloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "driver_bench.h"

#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGE_SIZE	(2 * MIB)
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_DIR	CGROUP_ROOT "/ashmem-bench"

static long quick = 1;

/* ---- create cycle -------------------------------------------------------- */

#define CYCLE_SIZE	MIB

static void ashmem_cycle(void)
{
	int fd = area_create("cycle", CYCLE_SIZE);
	char *p = map_shared(fd, CYCLE_SIZE, 0);

	touch_pages(p, CYCLE_SIZE);
	munmap(p, CYCLE_SIZE);
	close(fd);
}

static void memfd_cycle(void)
{
	int fd = memfd_create("cycle", MFD_CLOEXEC);
	char *p;

	if (fd < 0 || ftruncate(fd, CYCLE_SIZE))
		die("memfd_create");
	p = map_shared(fd, CYCLE_SIZE, 0);
	touch_pages(p, CYCLE_SIZE);
	munmap(p, CYCLE_SIZE);
	close(fd);
}

static void devnull_cycle(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/null");
	close(fd);
}

static double time_call(void (*fn)(void))
{
	uint64_t t0 = now_ns();

	fn();
	return (double)(now_ns() - t0);
}

/*
 * One cycle of each kind after the other, so that each sees the same load;
 * a repetition's figure for a kind is the median of its cycles.
 */
static void bench_create(void)
{
	enum { CYCLES = 60 };
	const int count = CYCLES / quick;
	double ratio[BENCH_REPS], ash[BENCH_REPS], mfd[BENCH_REPS];
	double dev[BENCH_REPS], ta[CYCLES], tm[CYCLES], td[CYCLES];

	for (int i = 0; i < count / 4; i++) {
		time_call(ashmem_cycle);
		time_call(memfd_cycle);
	}
	for (int r = 0; r < BENCH_REPS; r++) {
		for (int i = 0; i < count; i++) {
			ta[i] = time_call(ashmem_cycle);
			tm[i] = time_call(memfd_cycle);
			td[i] = time_call(devnull_cycle);
		}
		ash[r] = median(ta, count);
		mfd[r] = median(tm, count);
		dev[r] = median(td, count);
		ratio[r] = ash[r] / (mfd[r] + dev[r]);
	}
	row(median(ratio, BENCH_REPS), "x", "create_cycle_vs_floor");
	row(median(ash, BENCH_REPS), "ns", "create_cycle_ashmem_ns");
	row(median(mfd, BENCH_REPS), "ns", "create_cycle_memfd_ns");
	row(median(dev, BENCH_REPS), "ns", "create_cycle_devnull_open_close_ns");
}

/* ---- first touch --------------------------------------------------------- */

#define FAULT_SIZE	(8 * MIB)

/* @len bytes of @fd mapped shared at a 2 MiB-aligned address. */
static char *map_aligned(int fd, size_t len)
{
	char *res = mmap(NULL, len + HUGE_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *addr;

	if (res == MAP_FAILED)
		die("mmap reserve");
	addr = (char *)(((uintptr_t)res + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) != addr)
		die("mmap fixed");
	if (addr > res)
		munmap(res, addr - res);
	munmap(addr + len, res + len + HUGE_SIZE - (addr + len));
	return addr;
}

/*
 * ns to touch every page of a fresh mapping of a new area (@ashmem) or
 * memfd; *@huge_kib gets how much of it shmem backed with huge pages,
 * *@pmd_kib how much of it was mapped with them.
 */
static double fault_once(bool ashmem, bool thp, bool aligned, long *huge_kib,
			 long *pmd_kib)
{
	long before = meminfo_kib("ShmemHugePages");
	long pmd_before = meminfo_kib("ShmemPmdMapped");
	uint64_t t0;
	char *p;
	int fd;

	if (ashmem) {
		fd = area_create("fault", FAULT_SIZE);
	} else {
		fd = memfd_create("fault", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, FAULT_SIZE))
			die("memfd_create");
	}
	p = aligned ? map_aligned(fd, FAULT_SIZE) : map_shared(fd, FAULT_SIZE, 0);
	if (thp && madvise(p, FAULT_SIZE, MADV_HUGEPAGE))
		die("MADV_HUGEPAGE");
	t0 = now_ns();
	touch_pages(p, FAULT_SIZE);
	t0 = now_ns() - t0;
	*huge_kib = meminfo_kib("ShmemHugePages") - before;
	*pmd_kib = meminfo_kib("ShmemPmdMapped") - pmd_before;
	munmap(p, FAULT_SIZE);
	close(fd);
	return (double)t0;
}

static void bench_fault_mode(bool thp)
{
	const int reps = BENCH_REPS * (thp ? 2 : 4);
	double ratio[4 * BENCH_REPS], ash[4 * BENCH_REPS], mfd[4 * BENCH_REPS];
	long huge_ash = 0, huge_mfd = 0, h, pmd, pmd_ash, pmd_mfd;
	const char *tag = thp ? "_thp" : "";

	fault_once(true, thp, true, &h, &pmd);
	fault_once(false, thp, true, &h, &pmd);
	for (int r = 0; r < reps; r++) {
		ash[r] = fault_once(true, thp, true, &h, &pmd);
		huge_ash = h;
		mfd[r] = fault_once(false, thp, true, &h, &pmd);
		huge_mfd = h;
		ratio[r] = ash[r] / mfd[r];
	}
	row(median(ratio, reps), "x", "fault_vs_memfd%s", tag);
	row(median(ash, reps) / (FAULT_SIZE / page_size()), "ns",
	    "fault%s_ashmem_ns_per_page", tag);
	row(median(mfd, reps) / (FAULT_SIZE / page_size()), "ns",
	    "fault%s_memfd_ns_per_page", tag);
	row((double)huge_ash / (FAULT_SIZE / KIB), "share",
	    "fault%s_ashmem_huge_share", tag);
	row((double)huge_mfd / (FAULT_SIZE / KIB), "share",
	    "fault%s_memfd_huge_share", tag);
	if (!thp)
		return;
	/*
	 * Where mmap(NULL, ...) puts each: shmem aligns a memfd's mapping for
	 * huge pages, /dev/ashmem has no get_unmapped_area of its own.
	 */
	fault_once(true, thp, false, &huge_ash, &pmd_ash);
	fault_once(false, thp, false, &huge_mfd, &pmd_mfd);
	row((double)huge_ash / (FAULT_SIZE / KIB), "share",
	    "fault_thp_unaligned_ashmem_huge_share");
	row((double)pmd_ash / (FAULT_SIZE / KIB), "share",
	    "fault_thp_unaligned_ashmem_pmd_share");
	row((double)huge_mfd / (FAULT_SIZE / KIB), "share",
	    "fault_thp_unaligned_memfd_huge_share");
	row((double)pmd_mfd / (FAULT_SIZE / KIB), "share",
	    "fault_thp_unaligned_memfd_pmd_share");
}

static void bench_fault(void)
{
	char saved[128] = "", *open_br, *close_br;

	bench_fault_mode(false);
	if (read_text(SHMEM_ENABLED, saved, sizeof(saved)) < 0) {
		row(0, "no THP in this kernel", "fault_vs_memfd_thp_note");
		return;
	}
	if (write_text(SHMEM_ENABLED, "advise"))
		die("write %s", SHMEM_ENABLED);
	bench_fault_mode(true);
	/* put back the bracketed word */
	open_br = strchr(saved, '[');
	close_br = open_br ? strchr(open_br, ']') : NULL;
	if (close_br) {
		*close_br = '\0';
		write_text(SHMEM_ENABLED, open_br + 1);
	}
}

/* ---- purge against punch ------------------------------------------------- */

#define PURGE_SIZE	(64 * MIB)

/*
 * ns for a purge of a touched 64 MiB area; @mapped: its mapping stays
 * (as a user of discardable memory keeps it), else it is unmapped first.
 */
static double purge_once(bool mapped)
{
	int fd = area_create("purge", PURGE_SIZE);
	char *p = map_shared(fd, PURGE_SIZE, 0);
	uint64_t t0;
	long pages;

	touch_pages(p, PURGE_SIZE);
	pin_ioctl(fd, ASHMEM_UNPIN, 0, 0);
	if (!mapped)
		munmap(p, PURGE_SIZE);
	t0 = now_ns();
	pages = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);
	t0 = now_ns() - t0;
	if (pages != (long)(PURGE_SIZE / page_size()))
		die("PURGE_ALL_CACHES returned %ld", pages);
	if (pin_ioctl(fd, ASHMEM_PIN, 0, 0) != ASHMEM_WAS_PURGED)
		die("not purged");
	if (mapped)
		munmap(p, PURGE_SIZE);
	close(fd);
	return (double)t0;
}

/* The same for FALLOC_FL_PUNCH_HOLE of a touched 64 MiB memfd. */
static double punch_once(bool mapped)
{
	int fd = memfd_create("punch", MFD_CLOEXEC);
	uint64_t t0;
	char *p;

	if (fd < 0 || ftruncate(fd, PURGE_SIZE))
		die("memfd_create");
	p = map_shared(fd, PURGE_SIZE, 0);
	touch_pages(p, PURGE_SIZE);
	if (!mapped)
		munmap(p, PURGE_SIZE);
	t0 = now_ns();
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      PURGE_SIZE))
		die("FALLOC_FL_PUNCH_HOLE");
	t0 = now_ns() - t0;
	if (mapped)
		munmap(p, PURGE_SIZE);
	close(fd);
	return (double)t0;
}

static void bench_purge(void)
{
	double ratio[BENCH_REPS], pur[BENCH_REPS], pun[BENCH_REPS];
	double uratio[BENCH_REPS], upur[BENCH_REPS], upun[BENCH_REPS];

	for (int r = 0; r < BENCH_REPS; r++) {
		pur[r] = purge_once(true);
		pun[r] = punch_once(true);
		upur[r] = purge_once(false);
		upun[r] = punch_once(false);
		ratio[r] = pur[r] / pun[r];
		uratio[r] = upur[r] / upun[r];
	}
	row(median(ratio, BENCH_REPS), "x", "purge_vs_punch_hole");
	row(median(uratio, BENCH_REPS), "x", "purge_vs_punch_hole_unmapped");
	row(median(pur, BENCH_REPS) / 1e6, "ms", "purge_64MiB_ms");
	row(median(pun, BENCH_REPS) / 1e6, "ms", "punch_hole_64MiB_ms");
	row(median(upur, BENCH_REPS) / 1e6, "ms", "purge_64MiB_unmapped_ms");
	row(median(upun, BENCH_REPS) / 1e6, "ms", "punch_hole_64MiB_unmapped_ms");
}

/* ---- memory cgroup against global reclaim -------------------------------- */

#define MEMCG_AREA	(32 * MIB)
#define MEMCG_RANGE	(64 * KIB)	/* unpinned in ranges of this size */
#define MEMCG_CHUNK	(256 * KIB)	/* allocated between two looks */
#define MEMCG_HEADROOM	(16 * MIB)	/* memory.max above the usage */

struct purge_result {
	long purged;		/* pages of the area purged at the end */
	uint64_t span_ns;	/* from the first chunk that saw a purge */
	long chunks;
	int finished;		/* every page of the area was purged */
};

static long fdinfo_value(int fd, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return text_value(path, key);
}

/*
 * The child: an area touched and unpinned in 64 KiB ranges, then anonymous
 * memory touched 256 KiB at a time until the area is purged or @cap bytes
 * are allocated.  Writes a struct purge_result to @out.
 */
static void allocator(int ready, int go, int out, size_t cap)
{
	const long pages = MEMCG_AREA / page_size();
	struct purge_result res = { 0 };
	uint64_t first = 0, t;
	int fd = area_create("memcg", MEMCG_AREA);
	char *p = map_shared(fd, MEMCG_AREA, 0), *anon, c = 'r';

	alarm(120);	/* never hang the guest */
	touch_pages(p, MEMCG_AREA);
	for (size_t off = 0; off < MEMCG_AREA; off += MEMCG_RANGE)
		pin_ioctl(fd, ASHMEM_UNPIN, off, MEMCG_RANGE);
	anon = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (anon == MAP_FAILED)
		die("mmap %zu", cap);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		die("allocator pipes");
	for (size_t off = 0; off < cap; off += MEMCG_CHUNK) {
		t = now_ns();
		touch_pages(anon + off, MEMCG_CHUNK);
		res.purged = fdinfo_value(fd, "purged_pages");
		res.chunks++;
		if (res.purged > 0 && !first)
			first = t;
		if (res.purged >= pages) {
			res.finished = 1;
			break;
		}
	}
	res.span_ns = first ? now_ns() - first : 0;
	if (write(out, &res, sizeof(res)) != sizeof(res))
		die("allocator result");
	_exit(0);
}

/*
 * One case: in the group with a limit (@limited) or in the root group.
 * Returns pages purged per second; sets *@oom_kills.
 */
static double memcg_case(bool limited, long *oom_kills, struct purge_result *res)
{
	int ready[2], go[2], out[2], status;
	char buf[64], c = 'g';
	size_t cap;
	pid_t pid;

	*oom_kills = 0;
	memset(res, 0, sizeof(*res));
	if (limited) {
		if (mkdir(CGROUP_DIR, 0755) && errno != EEXIST)
			die("mkdir %s", CGROUP_DIR);
		cap = MEMCG_AREA + 2 * MEMCG_HEADROOM;
	} else {
		cap = (size_t)meminfo_kib("MemTotal") * KIB;
	}
	if (pipe(ready) || pipe(go) || pipe(out))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (limited) {
			snprintf(buf, sizeof(buf), "%d", getpid());
			if (write_text(CGROUP_DIR "/cgroup.procs", buf))
				die("join %s", CGROUP_DIR);
		}
		allocator(ready[1], go[0], out[1], cap);
	}
	/* the child's ends only: an allocator that dies ends every read */
	close(ready[1]);
	close(go[0]);
	close(out[1]);
	if (read(ready[0], &c, 1) != 1)
		die("the allocator died before it was ready");
	if (limited) {
		long current;

		/* the area is charged by now: the limit leaves 16 MiB more */
		if (read_text(CGROUP_DIR "/memory.current", buf, sizeof(buf)) < 0)
			die("memory.current");
		current = strtol(buf, NULL, 10);
		snprintf(buf, sizeof(buf), "%ld", current + (long)MEMCG_HEADROOM);
		if (write_text(CGROUP_DIR "/memory.max", buf))
			die("memory.max");
		kmsg("ashmem-selftest: expect memcg oom: begin memcg_purge_vs_global\n");
	}
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		die("pipe");
	if (read(out[0], res, sizeof(*res)) != sizeof(*res))
		memset(res, 0, sizeof(*res));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (limited) {
		*oom_kills = text_value(CGROUP_DIR "/memory.events", "oom_kill");
		kmsg("ashmem-selftest: expect memcg oom: end\n");
		rmdir(CGROUP_DIR);
	}
	close(ready[0]);
	close(go[1]);
	close(out[0]);
	if (WIFSIGNALED(status))
		fprintf(stderr, "area_bench: memcg: the allocator %s died of signal %d\n",
			limited ? "in the group" : "in the root group",
			WTERMSIG(status));
	if (!res->finished || !res->span_ns)
		return 0;
	return (double)res->purged / ((double)res->span_ns / 1e9);
}

static void bench_memcg(void)
{
	const int reps = quick > 1 ? 1 : 3;
	double ratio[3], grate[3], mrate[3];
	struct purge_result res;
	long kills = 0, k, unfinished = 0;

	if (access(CGROUP_ROOT "/cgroup.controllers", R_OK) ||
	    write_text(CGROUP_ROOT "/cgroup.subtree_control", "+memory")) {
		row(0, "x", "memcg_purge_vs_global");
		row(0, "no cgroup2 memory controller at " CGROUP_ROOT,
		    "memcg_purge_vs_global_note");
		return;
	}
	for (int r = 0; r < reps; r++) {
		grate[r] = memcg_case(false, &k, &res);
		if (!res.finished)
			die("global reclaim did not purge the area (%ld pages purged)",
			    res.purged);
		mrate[r] = memcg_case(true, &k, &res);
		kills += k;
		unfinished += !res.finished;
		ratio[r] = mrate[r] / grate[r];
		fprintf(stderr, "area_bench: memcg rep %d: global %.0f pages/s, group %.0f pages/s (%ld of %lu purged, %ld oom kills)\n",
			r, grate[r], mrate[r], res.purged,
			MEMCG_AREA / page_size(), k);
	}
	row(median(ratio, reps), "x", "memcg_purge_vs_global");
	row(median(grate, reps), "pages/s", "purge_rate_global_pages_s");
	row(median(mrate, reps), "pages/s", "purge_rate_memcg_pages_s");
	row((double)kills, "kills", "memcg_oom_kills");
	if (unfinished)
		row(0, kills ? "the group was OOM-killed before limit reclaim purged its unpinned area: the shrinker is not memcg-aware"
			     : "limit reclaim did not purge the group's unpinned area",
		    "memcg_purge_vs_global_note");
}

int main(int argc, char **argv)
{
	bool all = argc < 2;
	const char *q = getenv("BENCH_QUICK");

	if (q && *q && strcmp(q, "0"))
		quick = 10;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "create") && strcmp(argv[i], "fault") &&
		    strcmp(argv[i], "purge") && strcmp(argv[i], "memcg")) {
			fprintf(stderr, "usage: %s [create] [fault] [purge] [memcg]\n",
				argv[0]);
			return 2;
		}
	}
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "create", "fault", "purge",
						     "memcg" };
		bool want = all;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], names[i]);
		if (!want)
			continue;
		switch (i) {
		case 0:
			bench_create();
			break;
		case 1:
			bench_fault();
			break;
		case 2:
			bench_purge();
			break;
		case 3:
			bench_memcg();
			break;
		}
	}
	return 0;
}
