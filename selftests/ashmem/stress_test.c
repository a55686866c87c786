// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: several processes with several threads each, for a bounded time,
 * do random mixes of create, set size, mmap and munmap (shared and private),
 * read, lseek, pin, unpin, get-pin-status, prot-mask changes, fork, fd
 * passing over a socketpair and close, while a pressure process drives the
 * shrinker with drop_caches and with real allocation of anonymous memory:
 * each round it holds the largest zone between its min and low watermarks
 * (ashmem_pressure.h) until kswapd, through the shrinker, brings it back to
 * the high watermark.  So that kswapd can get there, the pressure process
 * unpins a ballast area of a fifth of the zone, in BALLAST_RANGES ranges,
 * each round; the workers' ranges unpinned before it are older and go
 * first.  The ballast is checked too: a range PIN calls purged reads as
 * zeros, any other holds its pattern.  While the zone is held, workers
 * that draw PURGE_ALL_CACHES check pin status instead, so that the
 * ioctl does not empty the LRU before kswapd gets to it.
 *
 * Each thread owns its areas: no one else pins or unpins them, so every
 * check is exact.  Every page holds a pattern drawn from a per-page seed,
 * written while the page is pinned.  The invariants:
 *  - a pinned page never changes (checked through the mapping, pread(),
 *    read() after lseek(), a forked child and a process the fd was sent to);
 *  - an unpinned page reads as its pattern or as zeros, nothing else;
 *  - after PIN a page is either intact or all zeros, and if any page of the
 *    range lost its data PIN returned ASHMEM_WAS_PURGED (NOT_PURGED means
 *    every page is intact; WAS_PURGED with all pages intact is allowed, as
 *    a partly purged union is purged as a whole: Documentation/ashmem.rst);
 *  - GET_PIN_STATUS reports exactly the pages the thread unpinned;
 *  - no thread stalls: each one beats a heartbeat after every operation and
 *    a monitor fails the test when one stops for STALL_SECONDS, or when the
 *    run overruns its time.
 *
 * The 32-bit build runs one thread per worker process (see main()).
 *
 * Settings: ASHMEM_STRESS_SEED / --seed=N (default: the time) and
 * ASHMEM_STRESS_SECONDS / --seconds=N (default 16, or 8 for the 32-bit
 * build).  Needs root (drop_caches, oom_score_adj, PURGE_ALL_CACHES).
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "ashmem_pressure.h"

#define WORKERS		3	/* processes */
#define THREADS		2	/* threads per worker */
#define AREAS		3	/* areas per thread */
#define MAX_PAGES	32	/* pages per area, at most */
#define STALL_SECONDS	30	/* a thread silent this long is hung */
#define GRACE_SECONDS	60	/* overrun allowed past the run time */
#define BALLAST_RANGES	16
#define HOLD_MS		2000	/* longest wait for kswapd in a round */
#define EXTRA_PRESSURE_S 60	/* after the run, until kswapd has purged */

enum stress_op {
	S_CREATE, S_UNPIN, S_PIN, S_STATUS, S_VERIFY_MAP, S_PREAD, S_LSEEK_READ,
	S_REMAP, S_PRIVATE_MAP, S_PROT_MASK, S_FORK, S_SEND_FD, S_CLOSE,
	S_REWRITE, S_PURGE_ALL, S_OPS
};

static const char *const s_names[S_OPS] = {
	"create", "unpin", "pin", "pin_status", "verify_map", "pread",
	"lseek_read", "remap", "private_map", "prot_mask", "fork", "send_fd",
	"close", "rewrite", "purge_all",
};

static const unsigned int s_weights[S_OPS] = {
	[S_UNPIN] = 20, [S_PIN] = 20, [S_STATUS] = 10, [S_VERIFY_MAP] = 10,
	[S_PREAD] = 8, [S_LSEEK_READ] = 5, [S_REMAP] = 4, [S_PRIVATE_MAP] = 3,
	[S_PROT_MASK] = 2, [S_FORK] = 2, [S_SEND_FD] = 2, [S_CLOSE] = 2,
	[S_REWRITE] = 5, [S_PURGE_ALL] = 1,
};

/* Per thread, in memory shared with the monitor. */
struct thread_stats {
	uint64_t heartbeat_ns;
	unsigned long ops, per_op[S_OPS];
	unsigned long was_purged;	/* PINs that returned WAS_PURGED */
	unsigned long pages_lost;	/* pages found zeroed after PIN */
	unsigned long purged_intact;	/* WAS_PURGED, every page intact */
	unsigned long bytes_verified;
	int failed;
	char failure[512];
};

struct shared {
	volatile int stop;		/* tells the pressure process to end */
	volatile int holding;		/* the zone is held in its kswapd band */
	uint64_t deadline_ns;		/* workers stop starting operations */
	unsigned long drops, alloc_rounds, alloc_balanced, alloc_peak_mib;
	unsigned long reclaim_pages;	/* purged by kswapd while holding */
	unsigned long ballast_purged;	/* ballast ranges found purged */
	char pressure_failure[256];
	unsigned long purge_ioctls;	/* PURGE_ALL_CACHES by the workers */
	struct thread_stats t[WORKERS * THREADS];
};

/* What the owner tells a process it passes an area to. */
struct area_desc {
	uint32_t pages;
	uint32_t unpinned;		/* bit per page */
	uint32_t seed[MAX_PAGES];
};

struct area {
	int fd;				/* -1: free slot */
	size_t pages;
	char *map;			/* shared, read-write, whole area */
	int mask;
	uint32_t seed[MAX_PAGES];
	bool unpinned[MAX_PAGES];
};

struct worker_thread {
	int index;			/* into shared->t */
	int sock;			/* to this thread's peer process */
	uint64_t rng;
	struct thread_stats *st;
	struct area area[AREAS];
};

static struct shared *sh;
static int nthreads = THREADS;	/* threads per worker in this build */
static unsigned long long stress_seed;
static long stress_seconds;
static size_t ps;

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rng_next(s) % n) : 0;
}

/*
 * A broken invariant: record it where the monitor finds it, say it, and
 * end the worker process (and with it its other threads).
 */
#define STRESS_CHECK(wt, cond, fmt, ...) do {				\
	if (!(cond)) {							\
		snprintf((wt)->st->failure, sizeof((wt)->st->failure),	\
			 "thread %d: " fmt " (%s:%d, errno %d)",		\
			 (wt)->index, ##__VA_ARGS__, __FILE__, __LINE__,	\
			 errno);					\
		(wt)->st->failed = 1;					\
		dprintf(STDERR_FILENO, "# %s\n", (wt)->st->failure);	\
		_exit(1);						\
	}								\
} while (0)

enum page_state { PAGE_INTACT, PAGE_ZERO, PAGE_CORRUPT };

/* A page against its pattern: intact, all zeros, or anything else. */
static enum page_state page_state(const char *page, uint32_t seed)
{
	if (pattern_mismatch(page, ps, seed, 0) < 0)
		return PAGE_INTACT;
	return is_zero(page, ps) ? PAGE_ZERO : PAGE_CORRUPT;
}

/* An unpinned page may be purged while we read it: each byte is either. */
static bool page_pattern_or_zero(const char *page, uint32_t seed)
{
	size_t i;

	for (i = 0; i < ps; i++)
		if (page[i] && (unsigned char)page[i] != pattern_byte(seed, i))
			return false;
	return true;
}

static int pin_cmd(int fd, unsigned long cmd, size_t first, size_t count)
{
	return ashmem_pin_ioctl(fd, cmd, first * ps, count * ps);
}

static void fill_page(struct worker_thread *wt, struct area *a, size_t p)
{
	a->seed[p] = (uint32_t)rng_next(&wt->rng);
	fill_pattern(a->map + p * ps, ps, a->seed[p]);
}

static void area_close(struct worker_thread *wt, struct area *a)
{
	STRESS_CHECK(wt, munmap(a->map, a->pages * ps) == 0, "munmap");
	STRESS_CHECK(wt, close(a->fd) == 0, "close");
	a->fd = -1;
}

static void op_create(struct worker_thread *wt, struct area *a)
{
	char name[64];
	size_t p;

	a->fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
	STRESS_CHECK(wt, a->fd >= 0, "open %s", ASHMEM_DEVICE);
	a->pages = 1 + rnd(&wt->rng, MAX_PAGES);
	snprintf(name, sizeof(name), "stress-%d-%zu", wt->index, a->pages);
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_SET_NAME, name) == 0, "SET_NAME");
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_SET_SIZE, a->pages * ps) == 0,
		     "SET_SIZE");
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_GET_SIZE) == (int)(a->pages * ps),
		     "GET_SIZE");
	a->mask = ASHMEM_PROT_ALL;
	a->map = mmap(NULL, a->pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a->fd, 0);
	STRESS_CHECK(wt, a->map != MAP_FAILED, "mmap");
	/* frozen by the mapping */
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_SET_SIZE, ps) == -1 &&
		     errno == EINVAL, "SET_SIZE after mmap");
	for (p = 0; p < a->pages; p++) {
		a->unpinned[p] = false;
		fill_page(wt, a, p);
	}
}

/* A random run of pages [*first, *first + *count). */
static void pick_range(struct worker_thread *wt, struct area *a,
		       size_t *first, size_t *count)
{
	*first = rnd(&wt->rng, (uint32_t)a->pages);
	*count = 1 + rnd(&wt->rng, (uint32_t)(a->pages - *first));
}

static void op_unpin(struct worker_thread *wt, struct area *a)
{
	size_t first, count, p;

	pick_range(wt, a, &first, &count);
	STRESS_CHECK(wt, pin_cmd(a->fd, ASHMEM_UNPIN, first, count) == 0,
		     "UNPIN %zu+%zu", first, count);
	for (p = first; p < first + count; p++)
		a->unpinned[p] = true;
}

static void op_pin(struct worker_thread *wt, struct area *a)
{
	size_t first, count, p, lost = 0;
	int ret;

	pick_range(wt, a, &first, &count);
	ret = pin_cmd(a->fd, ASHMEM_PIN, first, count);
	STRESS_CHECK(wt, ret == ASHMEM_NOT_PURGED || ret == ASHMEM_WAS_PURGED,
		     "PIN %zu+%zu returned %d", first, count, ret);
	for (p = first; p < first + count; p++) {
		enum page_state s = page_state(a->map + p * ps, a->seed[p]);

		STRESS_CHECK(wt, s != PAGE_CORRUPT,
			     "page %zu is neither its data nor zeros after PIN",
			     p);
		STRESS_CHECK(wt, a->unpinned[p] || s == PAGE_INTACT,
			     "pinned page %zu lost its data", p);
		if (s == PAGE_ZERO) {
			lost++;
			fill_page(wt, a, p);
		}
		a->unpinned[p] = false;
		wt->st->bytes_verified += ps;
	}
	STRESS_CHECK(wt, !lost || ret == ASHMEM_WAS_PURGED,
		     "PIN %zu+%zu returned NOT_PURGED but %zu pages were purged",
		     first, count, lost);
	if (ret == ASHMEM_WAS_PURGED) {
		wt->st->was_purged++;
		if (!lost)
			wt->st->purged_intact++;
	}
	wt->st->pages_lost += lost;
}

static void op_status(struct worker_thread *wt, struct area *a)
{
	size_t first, count, p;
	int want = ASHMEM_IS_PINNED;

	pick_range(wt, a, &first, &count);
	for (p = first; p < first + count; p++)
		if (a->unpinned[p])
			want = ASHMEM_IS_UNPINNED;
	STRESS_CHECK(wt, pin_cmd(a->fd, ASHMEM_GET_PIN_STATUS, first, count) ==
		     want, "GET_PIN_STATUS %zu+%zu, expected %d", first, count,
		     want);
}

/* Check pages [first, first + count) as found at @base (page @first). */
static void check_pages(struct worker_thread *wt, struct area *a,
			const char *base, size_t first, size_t count)
{
	size_t p;

	for (p = first; p < first + count; p++) {
		const char *page = base + (p - first) * ps;

		if (a->unpinned[p])
			STRESS_CHECK(wt, page_pattern_or_zero(page, a->seed[p]),
				     "unpinned page %zu is neither data nor zeros",
				     p);
		else
			STRESS_CHECK(wt, page_state(page, a->seed[p]) ==
				     PAGE_INTACT, "pinned page %zu changed", p);
		wt->st->bytes_verified += ps;
	}
}

static void op_verify_map(struct worker_thread *wt, struct area *a)
{
	size_t first, count;

	pick_range(wt, a, &first, &count);
	check_pages(wt, a, a->map + first * ps, first, count);
}

static void op_pread(struct worker_thread *wt, struct area *a, char *buf)
{
	size_t first, count;

	pick_range(wt, a, &first, &count);
	STRESS_CHECK(wt, pread(a->fd, buf, count * ps, first * ps) ==
		     (ssize_t)(count * ps), "pread %zu+%zu", first, count);
	check_pages(wt, a, buf, first, count);
}

static void op_lseek_read(struct worker_thread *wt, struct area *a, char *buf)
{
	size_t first, count;

	pick_range(wt, a, &first, &count);
	STRESS_CHECK(wt, lseek(a->fd, 0, SEEK_END) == (off_t)(a->pages * ps),
		     "lseek SEEK_END");
	STRESS_CHECK(wt, lseek(a->fd, first * ps, SEEK_SET) ==
		     (off_t)(first * ps), "lseek SEEK_SET");
	STRESS_CHECK(wt, read(a->fd, buf, count * ps) == (ssize_t)(count * ps),
		     "read %zu+%zu", first, count);
	STRESS_CHECK(wt, lseek(a->fd, 0, SEEK_CUR) ==
		     (off_t)((first + count) * ps), "lseek SEEK_CUR");
	check_pages(wt, a, buf, first, count);
}

static void op_remap(struct worker_thread *wt, struct area *a)
{
	STRESS_CHECK(wt, munmap(a->map, a->pages * ps) == 0, "munmap");
	a->map = mmap(NULL, a->pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a->fd, 0);
	STRESS_CHECK(wt, a->map != MAP_FAILED, "mmap again");
	check_pages(wt, a, a->map, 0, a->pages);
}

/* A private mapping is zero-filled and copy-on-write, apart from the area. */
static void op_private_map(struct worker_thread *wt, struct area *a)
{
	char *priv = mmap(NULL, a->pages * ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE, a->fd, 0);
	size_t p;

	STRESS_CHECK(wt, priv != MAP_FAILED, "private mmap");
	for (p = 0; p < a->pages; p++) {
		STRESS_CHECK(wt, is_zero(priv + p * ps, ps),
			     "private page %zu not zero-filled", p);
		fill_pattern(priv + p * ps, ps, ~a->seed[p]);
	}
	check_pages(wt, a, a->map, 0, a->pages);
	for (p = 0; p < a->pages; p++)
		STRESS_CHECK(wt, check_pattern(priv + p * ps, ps, ~a->seed[p]),
			     "private page %zu changed", p);
	STRESS_CHECK(wt, munmap(priv, a->pages * ps) == 0, "munmap private");
}

static void op_prot_mask(struct worker_thread *wt, struct area *a)
{
	void *x;

	if (a->mask & PROT_EXEC) {
		STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_SET_PROT_MASK,
				       PROT_READ | PROT_WRITE) == 0,
			     "SET_PROT_MASK rw");
		a->mask = PROT_READ | PROT_WRITE;
	}
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_GET_PROT_MASK) == a->mask,
		     "GET_PROT_MASK");
	STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_SET_PROT_MASK,
			       ASHMEM_PROT_ALL) == -1 && errno == EINVAL,
		     "SET_PROT_MASK widened the mask");
	x = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, a->fd, 0);
	STRESS_CHECK(wt, x == MAP_FAILED && errno == EPERM,
		     "mmap PROT_EXEC outside the mask");
}

/* Child side of S_FORK and S_SEND_FD: @d describes the area behind @fd. */
static bool peer_check(int fd, const char *map, const struct area_desc *d,
		       char *buf)
{
	uint32_t p;

	if (ioctl(fd, ASHMEM_GET_SIZE) != (int)(d->pages * ps))
		return false;
	if (pread(fd, buf, d->pages * ps, 0) != (ssize_t)(d->pages * ps))
		return false;
	for (p = 0; p < d->pages; p++) {
		bool unpinned = d->unpinned & (1U << p);

		if (pin_cmd(fd, ASHMEM_GET_PIN_STATUS, p, 1) !=
		    (unpinned ? ASHMEM_IS_UNPINNED : ASHMEM_IS_PINNED))
			return false;
		if (unpinned)
			continue;
		if (pattern_mismatch(map + p * ps, ps, d->seed[p], 0) >= 0 ||
		    pattern_mismatch(buf + p * ps, ps, d->seed[p], 0) >= 0)
			return false;
	}
	return true;
}

static void describe(const struct area *a, struct area_desc *d)
{
	size_t p;

	memset(d, 0, sizeof(*d));
	d->pages = (uint32_t)a->pages;
	for (p = 0; p < a->pages; p++) {
		d->seed[p] = a->seed[p];
		if (a->unpinned[p])
			d->unpinned |= 1U << p;
	}
}

static void op_fork(struct worker_thread *wt, struct area *a, char *buf)
{
	struct area_desc d;
	int status;
	pid_t pid;

	describe(a, &d);
	pid = fork();
	STRESS_CHECK(wt, pid >= 0, "fork");
	if (pid == 0)
		_exit(peer_check(a->fd, a->map, &d, buf) ? 0 : 1);
	STRESS_CHECK(wt, waitpid(pid, &status, 0) == pid, "waitpid");
	STRESS_CHECK(wt, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "forked child found the area changed (status %#x)",
		     status);
	wt->st->bytes_verified += a->pages * ps;
}

static void op_send_fd(struct worker_thread *wt, struct area *a)
{
	struct area_desc d;

	describe(a, &d);
	STRESS_CHECK(wt, send_fd(wt->sock, a->fd) == 0, "send_fd");
	STRESS_CHECK(wt, write(wt->sock, &d, sizeof(d)) == sizeof(d),
		     "send description");
	STRESS_CHECK(wt, recv_byte(wt->sock) == 'Y',
		     "the process the fd was passed to found the area changed");
	wt->st->bytes_verified += a->pages * ps;
}

/* The peer process of one thread: checks every area it is sent. */
static void peer_main(int sock)
{
	char *buf = malloc(MAX_PAGES * ps);
	struct area_desc d;
	char *map;
	bool ok;
	int fd;

	if (!buf)
		_exit(1);
	while ((fd = recv_fd(sock)) >= 0) {
		if (read(sock, &d, sizeof(d)) != sizeof(d))
			_exit(1);
		map = mmap(NULL, d.pages * ps, PROT_READ, MAP_SHARED, fd, 0);
		ok = map != MAP_FAILED && peer_check(fd, map, &d, buf);
		if (map != MAP_FAILED)
			munmap(map, d.pages * ps);
		close(fd);
		if (send_byte(sock, ok ? 'Y' : 'N'))
			_exit(1);
	}
	_exit(0);
}

static void op_rewrite(struct worker_thread *wt, struct area *a)
{
	size_t first, count, p;

	pick_range(wt, a, &first, &count);
	for (p = first; p < first + count; p++)
		if (!a->unpinned[p])
			fill_page(wt, a, p);
}

static void *thread_main(void *arg)
{
	struct worker_thread *wt = arg;
	char *buf = malloc(MAX_PAGES * ps);
	unsigned int total = 0, k, op;
	struct area *a;

	STRESS_CHECK(wt, buf != NULL, "malloc");
	for (k = 0; k < S_OPS; k++)
		total += s_weights[k];
	for (k = 0; k < AREAS; k++)
		wt->area[k].fd = -1;

	while (now_ns() < sh->deadline_ns) {
		a = &wt->area[rnd(&wt->rng, AREAS)];
		if (a->fd < 0) {
			op = S_CREATE;
		} else {
			k = rnd(&wt->rng, total);
			for (op = 0; k >= s_weights[op]; op++)
				k -= s_weights[op];
			/* leave the LRU to kswapd while the zone is held low */
			if (op == S_PURGE_ALL && sh->holding)
				op = S_STATUS;
		}
		switch (op) {
		case S_CREATE:
			op_create(wt, a);
			break;
		case S_UNPIN:
			op_unpin(wt, a);
			break;
		case S_PIN:
			op_pin(wt, a);
			break;
		case S_STATUS:
			op_status(wt, a);
			break;
		case S_VERIFY_MAP:
			op_verify_map(wt, a);
			break;
		case S_PREAD:
			op_pread(wt, a, buf);
			break;
		case S_LSEEK_READ:
			op_lseek_read(wt, a, buf);
			break;
		case S_REMAP:
			op_remap(wt, a);
			break;
		case S_PRIVATE_MAP:
			op_private_map(wt, a);
			break;
		case S_PROT_MASK:
			op_prot_mask(wt, a);
			break;
		case S_FORK:
			op_fork(wt, a, buf);
			break;
		case S_SEND_FD:
			op_send_fd(wt, a);
			break;
		case S_CLOSE:
			area_close(wt, a);
			break;
		case S_REWRITE:
			op_rewrite(wt, a);
			break;
		case S_PURGE_ALL:
			STRESS_CHECK(wt, ioctl(a->fd, ASHMEM_PURGE_ALL_CACHES) >= 0,
				     "PURGE_ALL_CACHES");
			__atomic_add_fetch(&sh->purge_ioctls, 1,
					   __ATOMIC_SEQ_CST);
			break;
		}
		wt->st->ops++;
		wt->st->per_op[op]++;
		wt->st->heartbeat_ns = now_ns();
	}
	/* pin everything back: a last check of every page */
	for (k = 0; k < AREAS; k++) {
		a = &wt->area[k];
		if (a->fd < 0)
			continue;
		op_remap(wt, a);
		area_close(wt, a);
	}
	free(buf);
	return NULL;
}

/* A worker process: one peer process and one thread per thread slot. */
static void worker_main(int w)
{
	struct worker_thread wt[THREADS];
	pthread_t tid[THREADS];
	int sv[2], i;

	memset(wt, 0, sizeof(wt));
	for (i = 0; i < nthreads; i++) {
		wt[i].index = w * THREADS + i;
		wt[i].st = &sh->t[wt[i].index];
		wt[i].rng = stress_seed ^ (0x51ed27e5ULL * (wt[i].index + 1));
		wt[i].st->heartbeat_ns = now_ns();
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			_exit(1);
		if (fork_child() == 0) {
			close(sv[0]);
			peer_main(sv[1]);
		}
		close(sv[1]);
		wt[i].sock = sv[0];
	}
	if (nthreads == 1) {
		thread_main(&wt[0]);
	} else {
		for (i = 0; i < nthreads; i++)
			if (pthread_create(&tid[i], NULL, thread_main, &wt[i]))
				_exit(1);
		for (i = 0; i < nthreads; i++)
			pthread_join(tid[i], NULL);
	}
	for (i = 0; i < nthreads; i++)
		close(wt[i].sock);	/* the peers see EOF and exit */
	while (wait(NULL) > 0)
		;
	_exit(0);
}

#define pressure_fail(...) do {						\
	snprintf(sh->pressure_failure, sizeof(sh->pressure_failure),	\
		 __VA_ARGS__);						\
	_exit(1);							\
} while (0)

/* Write the ballast's pattern, one word per page (it is pinned). */
static void ballast_write(char *map, size_t len, unsigned int round)
{
	size_t off;

	for (off = 0; off < len; off += ps)
		*(volatile uint64_t *)(map + off) = off ^ round;
}

static void ballast_unpin(int fd, size_t rlen)
{
	int i;

	for (i = 0; i < BALLAST_RANGES; i++)
		if (ioctl(fd, ASHMEM_UNPIN,
			  &(struct ashmem_pin){ i * rlen, rlen }))
			pressure_fail("ballast UNPIN: %s", strerror(errno));
}

/* Pin the ballast back; a purged range reads as zeros, others intact. */
static void ballast_pin(int fd, char *map, size_t rlen, unsigned int round)
{
	size_t off;
	int i, ret;

	for (i = 0; i < BALLAST_RANGES; i++) {
		ret = ioctl(fd, ASHMEM_PIN, &(struct ashmem_pin){ i * rlen, rlen });
		if (ret != ASHMEM_WAS_PURGED && ret != ASHMEM_NOT_PURGED)
			pressure_fail("ballast PIN: %d (%s)", ret, strerror(errno));
		sh->ballast_purged += ret == ASHMEM_WAS_PURGED;
		for (off = i * rlen; off < (i + 1) * rlen; off += ps) {
			uint64_t v = *(volatile uint64_t *)(map + off);

			if (v != (ret == ASHMEM_WAS_PURGED ? 0 : off ^ round))
				pressure_fail("ballast range %d (%s) page at %zu holds %#llx",
					      i, ret == ASHMEM_WAS_PURGED ?
						 "purged" : "not purged",
					      off, (unsigned long long)v);
		}
	}
}

/*
 * The pressure process, in rounds: drop_caches; write the ballast and
 * unpin it; fill the zone into its kswapd band and hold it there until
 * kswapd has reached the high watermark (or HOLD_MS); give back as much as
 * the ballast holds, so that rewriting it cannot sink the zone; pin the
 * ballast back and check it.  What the shrinker purges for reclaim while
 * holding is kswapd's doing: only this process writes drop_caches, and
 * the workers do not PURGE_ALL_CACHES meanwhile.  Its oom_score_adj is
 * 1000, so should the OOM killer ever run it takes this process, never the
 * test (and its report fails the run).
 */
static void pressure_main(void)
{
	static struct pressure p;
	struct zone_wmark z;
	unsigned int round = 0;
	long before, after, held;
	size_t rlen, len;
	uint64_t until;
	char *map;
	int fd;

	if (write_text_file("/proc/self/oom_score_adj", "1000"))
		pressure_fail("oom_score_adj: %s", strerror(errno));
	if (pressure_zone(&z))
		pressure_fail("cannot parse /proc/zoneinfo");
	rlen = (size_t)(z.managed / 5 / BALLAST_RANGES) * ps;
	len = BALLAST_RANGES * rlen;
	fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, len))
		pressure_fail("ballast: %s", strerror(errno));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		pressure_fail("ballast mmap: %s", strerror(errno));

	for (uint64_t give_up = 0;;) {
		/*
		 * When the workers stop, go on alone until kswapd has purged
		 * through the shrinker at least once, for at most
		 * EXTRA_PRESSURE_S more: on a loaded host a short run may see
		 * kswapd balance the zone from the page cache every round.
		 */
		if (sh->stop) {
			if (!give_up)
				give_up = now_ns() + EXTRA_PRESSURE_S * 1000000000ULL;
			if (sh->reclaim_pages || now_ns() >= give_up)
				break;
		}
		if (write_text_file("/proc/sys/vm/drop_caches", "2"))
			pressure_fail("drop_caches: %s", strerror(errno));
		sh->drops++;
		round++;
		ballast_write(map, len, round);
		ballast_unpin(fd, rlen);
		before = ashmem_stat("reclaim_pages:");
		sh->holding = 1;
		if (pressure_fill(&p))
			pressure_fail("allocating: %s", strerror(errno));
		/* a whole hold even when told to stop: a round is not cut short */
		until = now_ns() + HOLD_MS * 1000000ULL;
		while (now_ns() < until) {
			if (pressure_hold(&p) || pressure_zone(&z))
				pressure_fail("cannot parse /proc/zoneinfo");
			if (z.free >= z.high) {
				sh->alloc_balanced++;
				break;
			}
			poll(NULL, 0, 10);
		}
		sh->holding = 0;
		after = ashmem_stat("reclaim_pages:");
		if (before >= 0 && after > before)
			sh->reclaim_pages += after - before;
		if ((unsigned long)(p.peak_pages * ps >> 20) > sh->alloc_peak_mib)
			sh->alloc_peak_mib = p.peak_pages * ps >> 20;
		sh->alloc_rounds++;
		held = p.pages;
		while (p.pages > held - (long)(len / ps) &&
		       pressure_give_back(&p, ps))
			;
		ballast_pin(fd, map, rlen, round);
	}
	pressure_release(&p);
	_exit(0);
}

static struct pressure wmarks;	/* the monitor's: watermark_scale_factor */

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	ps = page_size();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	ASSERT_EQ(0, geteuid()) TH_LOG("the stress test needs root");
	ASSERT_GE(MAX_PAGES, 32);	/* the unpinned bitmap is a u32 */
	ASSERT_LE(0, ashmem_stat("reclaim_pages:")) {
		TH_LOG("no %s", ASHMEM_STATS_FILE);
	}
	ASSERT_EQ(0, pressure_begin(&wmarks)) {
		TH_LOG("%s: %s", WMARK_SCALE_FILE, strerror(errno));
	}
}

FIXTURE_TEARDOWN(stress)
{
	EXPECT_EQ(0, pressure_end(&wmarks));
}

static void print_figures(double secs, long scans)
{
	unsigned long ops = 0, per_op[S_OPS] = { 0 }, wp = 0, lost = 0;
	unsigned long intact = 0, bytes = 0;
	int i, k;

	for (i = 0; i < WORKERS * THREADS; i++) {
		ops += sh->t[i].ops;
		wp += sh->t[i].was_purged;
		lost += sh->t[i].pages_lost;
		intact += sh->t[i].purged_intact;
		bytes += sh->t[i].bytes_verified;
		for (k = 0; k < S_OPS; k++)
			per_op[k] += sh->t[i].per_op[k];
	}
	printf("# stress: seed %llu, %d processes x %d threads, %.1f s, %lu ops (%.0f ops/s)\n",
	       stress_seed, WORKERS, nthreads, secs, ops, ops / secs);
	printf("# stress: purges observed: %lu PINs returned WAS_PURGED, %lu pages found purged, %lu WAS_PURGED with every page intact\n",
	       wp, lost, intact);
	printf("# stress: %lu bytes verified; pressure: %lu drop_caches, %lu allocation rounds (%lu back at the high watermark), peak %lu MiB held\n",
	       bytes, sh->drops, sh->alloc_rounds, sh->alloc_balanced,
	       sh->alloc_peak_mib);
	printf("# stress: kswapd purged %lu MiB through the shrinker, %lu ballast ranges found purged; %ld purge passes in all\n",
	       sh->reclaim_pages * ps >> 20, sh->ballast_purged, scans);
	printf("# stress: per op:");
	for (k = 0; k < S_OPS; k++)
		printf(" %s=%lu", s_names[k], per_op[k]);
	printf("\n");
	fflush(stdout);
}

TEST_F_TIMEOUT(stress, invariants_hold_under_memory_pressure, 900)
{
	pid_t pressure, workers[WORKERS], pid;
	int status, i, live = WORKERS;
	uint64_t start = now_ns(), last;
	long scans = ashmem_stat("shrinker_scans:");
	bool hung = false;

	printf("# stress: seed %llu, %ld s (rerun with ASHMEM_STRESS_SEED=%llu ASHMEM_STRESS_SECONDS=%ld)\n",
	       stress_seed, stress_seconds, stress_seed, stress_seconds);
	fflush(stdout);
	sh->deadline_ns = start + stress_seconds * 1000000000ULL;

	pressure = fork_child();
	ASSERT_LE(0, pressure);
	if (pressure == 0)
		pressure_main();
	for (i = 0; i < WORKERS; i++) {
		workers[i] = fork_child();
		ASSERT_LE(0, workers[i]);
		if (workers[i] == 0)
			worker_main(i);
	}

	/* the monitor: reap workers, watch heartbeats and the overall time */
	while (live > 0 && !hung) {
		poll(NULL, 0, 500);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < WORKERS; i++) {
				if (workers[i] != pid)
					continue;
				workers[i] = 0;
				live--;
				EXPECT_TRUE(WIFEXITED(status) &&
					    WEXITSTATUS(status) == 0) {
					TH_LOG("worker %d ended with status %#x",
					       i, status);
				}
			}
		}
		for (i = 0; i < WORKERS * THREADS; i++) {
			if (i % THREADS >= nthreads)
				continue;
			last = sh->t[i].heartbeat_ns;
			if (sh->t[i].failed || workers[i / THREADS] == 0)
				continue;
			if (now_ns() - last > STALL_SECONDS * 1000000000ULL) {
				TH_LOG("thread %d made no progress for %d s",
				       i, STALL_SECONDS);
				hung = true;
			}
		}
		if (now_ns() - start > (stress_seconds + GRACE_SECONDS) *
					       1000000000ULL) {
			TH_LOG("the run overran its time by %d s", GRACE_SECONDS);
			hung = true;
		}
	}
	sh->stop = 1;
	for (i = 0; i < WORKERS; i++)
		if (workers[i] > 0) {
			kill(workers[i], SIGKILL);
			waitpid(workers[i], NULL, 0);
		}
	ASSERT_EQ(pressure, waitpid(pressure, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the pressure process ended with status %#x: %s",
		       status, sh->pressure_failure);
	}
	if (scans >= 0)
		scans = ashmem_stat("shrinker_scans:") - scans;
	print_figures((now_ns() - start) / 1e9, scans);

	for (i = 0; i < WORKERS * THREADS; i++)
		EXPECT_EQ(0, sh->t[i].failed) TH_LOG("%s", sh->t[i].failure);
	ASSERT_FALSE(hung);
	/* every thread ran, and purges happened for the checks to see */
	for (i = 0; i < WORKERS * THREADS; i++)
		if (i % THREADS < nthreads)
			ASSERT_LT(0, sh->t[i].ops);
	ASSERT_LT(0, sh->drops);
	/* real allocation, not only drop_caches, made the kernel purge */
	ASSERT_LT(0, sh->reclaim_pages);
	ASSERT_LT(0, sh->ballast_purged);
}

int main(int argc, char **argv)
{
	const char *env;
	int i;

	env = getenv("ASHMEM_STRESS_SEED");
	stress_seed = env ? strtoull(env, NULL, 0) :
			    (unsigned long long)time(NULL) * 1000003ULL +
				    (unsigned long long)getpid();
	env = getenv("ASHMEM_STRESS_SECONDS");
	stress_seconds = env ? strtol(env, NULL, 0) :
			       (sizeof(long) == 4 ? 8 : 16);
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--seed=", 7))
			stress_seed = strtoull(argv[i] + 7, NULL, 0);
		else if (!strncmp(argv[i], "--seconds=", 10))
			stress_seconds = strtol(argv[i] + 10, NULL, 0);
	}
	if (stress_seconds < 1)
		stress_seconds = 1;
	/*
	 * 32-bit glibc waits on futexes with the old futex() call, which a
	 * kernel without CONFIG_COMPAT_32BIT_TIME (the debug lane's) lacks:
	 * one thread per worker there.
	 */
	if (sizeof(long) == 4)
		nthreads = 1;
	return test_harness_run(argc, argv);
}
