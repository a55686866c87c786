// SPDX-License-Identifier: GPL-2.0
/*
 * pin_bench: the cost of ASHMEM_UNPIN + ASHMEM_PIN, in the guest.
 *
 *   pin_bench [growth] [latency] [scaling]     (default: growth latency)
 *
 * growth   pin_unpin_growth: an UNPIN+PIN pair of one page of an area that
 *          has N other unpinned ranges (every other page), N = 1 ... 100000,
 *          and the ratios at N = 10000 and 100000 to N = 1.
 *          pair_vs_null_ioctl: the pair at N = 1 / two ASHMEM_GET_SIZE.
 *          profile_*_ns: single calls that each add one step of the pair's
 *          path (see Documentation/performance.rst).
 * latency  pin_latency_under_purge: p99 of pairs while another process's
 *          256 MiB unpinned area is purged (ASHMEM_PURGE_ALL_CACHES) / p99
 *          of pairs on an idle machine, and both distributions.
 * scaling  two_area_scaling: the speed-up of pairs from one process to two
 *          (each on its own area, each on its own CPU) / the same speed-up
 *          of ASHMEM_GET_SIZE.  Needs two CPUs.  Also the speed-ups of other
 *          calls, and of pairs of two processes on one area (its mutex).
 *
 * BENCH_QUICK=1 in the environment divides every count by ten (for trying
 * the program out; the figures are then noisier).
 */
#define _GNU_SOURCE

#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "driver_bench.h"

static long quick = 1;		/* divides the counts; 10 with BENCH_QUICK */

/* ---- the operations ------------------------------------------------------ */

enum op {
	OP_PAIR,		/* UNPIN + PIN of the probe page */
	OP_GET_SIZE,		/* ASHMEM_GET_SIZE: ioctl and the area mutex */
	OP_ENOTTY,		/* an unknown command: the ioctl path alone */
	OP_DEVNULL,		/* an ioctl on /dev/null: no driver at all */
	OP_PIN_STATUS,		/* + user copy, bounds check, tree lookup */
	OP_PIN_NOOP,		/* PIN of a pinned page: + range alloc/free */
	OP_UNPIN_INSIDE,	/* UNPIN inside an unpinned range: the same */
	OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	[OP_PAIR] = "pair",
	[OP_GET_SIZE] = "get_size",
	[OP_ENOTTY] = "enotty",
	[OP_DEVNULL] = "devnull_ioctl",
	[OP_PIN_STATUS] = "pin_status",
	[OP_PIN_NOOP] = "pin_noop",
	[OP_UNPIN_INSIDE] = "unpin_inside",
};

/*
 * An area with @n unpinned one-page ranges at the odd pages 1, 3, ...,
 * 2n - 1, none touching another, and the probe page between two of them.
 */
struct area {
	int fd;
	int devnull;
	long n;
	size_t probe;		/* byte offset of the probe page */
	size_t inside;		/* byte offset of a page of an unpinned range */
};

static struct area area_setup(long n)
{
	size_t page = page_size(), size = (2 * n + 1) * page;
	struct area a = { .n = n };
	char *p;

	a.fd = area_create("pin-bench", size);
	/* the first mmap makes the backing file; nothing is ever touched */
	p = map_shared(a.fd, size, MAP_NORESERVE);
	munmap(p, size);
	for (long i = 0; i < n; i++)
		pin_ioctl(a.fd, ASHMEM_UNPIN, (2 * i + 1) * page, page);
	a.probe = 2 * (n / 2) * page;
	a.inside = page;
	a.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (a.devnull < 0)
		die("open /dev/null");
	return a;
}

static void area_close(struct area *a)
{
	close(a->devnull);
	close(a->fd);
}

/* @count calls of @op on @a; returns ns per call.  Dies if one fails. */
static double time_op(const struct area *a, enum op op, long count)
{
	struct ashmem_pin probe = { .offset = a->probe, .len = page_size() };
	struct ashmem_pin inside = { .offset = a->inside, .len = page_size() };
	unsigned int bogus = _IO(__ASHMEMIOC, 99);
	uint64_t t0;
	long bad = 0;

	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		switch (op) {
		case OP_PAIR:
			bad |= ioctl(a->fd, ASHMEM_UNPIN, &probe);
			bad |= ioctl(a->fd, ASHMEM_PIN, &probe) < 0;
			break;
		case OP_GET_SIZE:
			bad |= ioctl(a->fd, ASHMEM_GET_SIZE) < 0;
			break;
		case OP_ENOTTY:
			bad |= ioctl(a->fd, bogus) != -1;
			break;
		case OP_DEVNULL:
			bad |= ioctl(a->devnull, bogus) != -1;
			break;
		case OP_PIN_STATUS:
			bad |= ioctl(a->fd, ASHMEM_GET_PIN_STATUS, &probe) !=
			       ASHMEM_IS_PINNED;
			break;
		case OP_PIN_NOOP:
			bad |= ioctl(a->fd, ASHMEM_PIN, &probe);
			break;
		case OP_UNPIN_INSIDE:
			bad |= ioctl(a->fd, ASHMEM_UNPIN, &inside);
			break;
		case OP_COUNT:
			break;
		}
	}
	t0 = now_ns() - t0;
	if (bad)
		die("%s on an area with %ld ranges failed", op_name[op], a->n);
	return (double)t0 / (double)count;
}

/* ---- growth, null ioctl, profile ----------------------------------------- */

static const long growth_n[] = { 1, 10, 100, 1000, 10000, 100000 };
#define NGROWTH (sizeof(growth_n) / sizeof(growth_n[0]))
#define ROUNDS	9	/* rounds, each giving one ratio */
#define SUBS	40	/* batches per configuration in a round */
#define BATCH	100	/* calls per batch */

/*
 * ns per call of @op on each of @n areas: the configurations take turns
 * batch by batch, and each gets the median of its SUBS batches.  A batch
 * is short (about half a millisecond here), so a preemption of the guest
 * by its host spoils a few batches of every configuration alike, and the
 * medians pass over them.
 */
static void interleaved(struct area *const *a, const enum op *op, int n,
			double *out)
{
	double t[OP_COUNT + NGROWTH][SUBS];
	const int subs = SUBS / quick;

	for (int s = 0; s < subs; s++)
		for (int k = 0; k < n; k++)
			t[k][s] = time_op(a[k], op[k], BATCH);
	for (int k = 0; k < n; k++)
		out[k] = median(t[k], subs);
}

/*
 * Every area exists at once (111111 ranges on the global LRU, whose
 * operations are O(1) list updates); a round times pairs on each area and
 * each profile call on the area with N = 1, interleaved, so that every
 * ratio compares figures measured together.
 */
static void bench_growth(void)
{
	double pair[NGROWTH][ROUNDS], prof[OP_COUNT][ROUNDS];
	double g10k[ROUNDS], g100k[ROUNDS], null[ROUNDS], v[ROUNDS];
	double out[OP_COUNT + NGROWTH];
	struct area a[NGROWTH], *cfg_area[OP_COUNT + NGROWTH];
	enum op cfg_op[OP_COUNT + NGROWTH];
	int n = 0;

	for (size_t i = 0; i < NGROWTH; i++) {
		a[i] = area_setup(growth_n[i]);
		time_op(&a[i], OP_PAIR, 1000);	/* warm up */
		cfg_area[n] = &a[i];
		cfg_op[n++] = OP_PAIR;
	}
	for (int op = 1; op < OP_COUNT; op++) {
		cfg_area[n] = &a[0];
		cfg_op[n++] = op;
	}
	for (int r = 0; r < ROUNDS; r++) {
		interleaved(cfg_area, cfg_op, n, out);
		for (size_t i = 0; i < NGROWTH; i++)
			pair[i][r] = out[i];
		prof[OP_PAIR][r] = out[0];
		for (int op = 1; op < OP_COUNT; op++)
			prof[op][r] = out[NGROWTH + op - 1];
		null[r] = prof[OP_PAIR][r] / (2 * prof[OP_GET_SIZE][r]);
		g10k[r] = pair[4][r] / pair[0][r];
		g100k[r] = pair[5][r] / pair[0][r];
		fprintf(stderr, "pin_bench: growth round %d: pair %.0f ns at N=1, %.0f at 10000, %.0f at 100000; get_size %.0f ns\n",
			r, pair[0][r], pair[4][r], pair[5][r],
			prof[OP_GET_SIZE][r]);
	}
	for (size_t i = 0; i < NGROWTH; i++)
		area_close(&a[i]);
	row(median(g10k, ROUNDS), "x", "pin_unpin_growth_10000");
	row(median(g100k, ROUNDS), "x", "pin_unpin_growth_100000");
	row(median(null, ROUNDS), "x", "pair_vs_null_ioctl");
	for (size_t i = 0; i < NGROWTH; i++) {
		memcpy(v, pair[i], sizeof(v));
		row(median(v, ROUNDS), "ns", "plot_pairgrowth_pair_%ld",
		    growth_n[i]);
	}
	for (int op = 0; op < OP_COUNT; op++) {
		memcpy(v, prof[op], sizeof(v));
		row(median(v, ROUNDS), "ns", "profile_%s_ns", op_name[op]);
	}
}

/* ---- latency under a purge ----------------------------------------------- */

#define PURGE_AREA	(256 * MIB)
#define LAT_IDLE	20000L
#define LAT_MAX		(4L << 20)	/* latencies kept per condition */

struct purge_flags {
	atomic_int started;
	atomic_int done;
	uint64_t purge_ns;
};

static double *lat_idle, *lat_purge;
static size_t n_idle, n_purge;

static uint64_t timed_pair(int fd, struct ashmem_pin *pin)
{
	uint64_t t0 = now_ns();

	/* the purge may take the page while it is unpinned: WAS_PURGED */
	if (ioctl(fd, ASHMEM_UNPIN, pin) || ioctl(fd, ASHMEM_PIN, pin) < 0)
		die("pair");
	return now_ns() - t0;
}

/* The other process: a 256 MiB area, touched, unpinned, then purged. */
static void purger(int ready, int go, struct purge_flags *f)
{
	int fd = area_create("purge-victim", PURGE_AREA);
	char *p = map_shared(fd, PURGE_AREA, 0);
	char c = 'r';
	uint64_t t0;

	touch_pages(p, PURGE_AREA);
	pin_ioctl(fd, ASHMEM_UNPIN, 0, 0);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		die("purger pipes");
	atomic_store(&f->started, 1);
	t0 = now_ns();
	if (ioctl(fd, ASHMEM_PURGE_ALL_CACHES) < 0)
		die("ASHMEM_PURGE_ALL_CACHES");
	f->purge_ns = now_ns() - t0;
	atomic_store(&f->done, 1);
	if (pin_ioctl(fd, ASHMEM_PIN, 0, 0) != ASHMEM_WAS_PURGED)
		die("the 256 MiB area was not purged");
	_exit(0);
}

/* One repetition: p99 of idle pairs, then of pairs during a purge. */
static double latency_rep(int fd, double *purge_ms, size_t *pairs)
{
	struct ashmem_pin pin = { .offset = 0, .len = page_size() };
	struct purge_flags *f;
	int ready[2], go[2], status;
	size_t idle0 = n_idle, purge0 = n_purge;
	double p_idle, p_purge;
	pid_t child;
	char c;

	for (long i = 0; i < LAT_IDLE / quick && n_idle < LAT_MAX; i++)
		lat_idle[n_idle++] = (double)timed_pair(fd, &pin);

	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED || pipe(ready) || pipe(go))
		die("latency setup");
	memset(f, 0, sizeof(*f));
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		purger(ready[1], go[0], f);
	/* the child's ends only: a purger that dies ends the read below */
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1)
		die("the purger died before its purge");
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		die("pipe");
	/* pairs all the time; kept when they began after the purge did */
	while (!atomic_load(&f->done)) {
		bool during = atomic_load(&f->started);
		uint64_t t = timed_pair(fd, &pin);

		if (during && !atomic_load(&f->done) && n_purge < LAT_MAX)
			lat_purge[n_purge++] = (double)t;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("the purger failed");
	*purge_ms = (double)f->purge_ns / 1e6;
	*pairs = n_purge - purge0;
	munmap(f, sizeof(*f));
	close(ready[0]);
	close(go[1]);
	if (n_purge == purge0)
		die("no pair ran during the purge");

	qsort(lat_idle + idle0, n_idle - idle0, sizeof(double), cmp_double);
	qsort(lat_purge + purge0, n_purge - purge0, sizeof(double), cmp_double);
	p_idle = quantile_sorted(lat_idle + idle0, n_idle - idle0, 0.99);
	p_purge = quantile_sorted(lat_purge + purge0, n_purge - purge0, 0.99);
	fprintf(stderr, "pin_bench: latency: idle p99 %.0f ns, during a %.0f ms purge p99 %.0f ns over %zu pairs\n",
		p_idle, *purge_ms, p_purge, *pairs);
	return p_purge / p_idle;
}

/* The share of @n sorted latencies above x, for x = 256 ns ... 2^28 ns. */
static void ccdf_rows(const char *series, const double *v, size_t n)
{
	size_t i = 0;

	for (double x = 256; x <= (double)(1 << 28); x *= 2) {
		while (i < n && v[i] <= x)
			i++;
		if (i < n)
			row((double)(n - i) / (double)n, "share",
			    "plot_pinlatency_%s_%.0f", series, x);
	}
}

static void bench_latency(void)
{
	double ratio[BENCH_REPS], purge_ms[BENCH_REPS], pairs[BENCH_REPS];
	struct area a;
	size_t n;

	lat_idle = malloc(LAT_MAX * sizeof(double));
	lat_purge = malloc(LAT_MAX * sizeof(double));
	if (!lat_idle || !lat_purge)
		die("malloc");
	a = area_setup(1);
	time_op(&a, OP_PAIR, 1000 / quick);	/* warm up */
	for (int r = 0; r < BENCH_REPS; r++) {
		ratio[r] = latency_rep(a.fd, &purge_ms[r], &n);
		pairs[r] = (double)n;
	}
	area_close(&a);
	row(median(ratio, BENCH_REPS), "x", "pin_latency_under_purge");
	qsort(lat_idle, n_idle, sizeof(double), cmp_double);
	qsort(lat_purge, n_purge, sizeof(double), cmp_double);
	row(quantile_sorted(lat_idle, n_idle, 0.5), "ns", "pin_latency_idle_p50_ns");
	row(quantile_sorted(lat_idle, n_idle, 0.99), "ns", "pin_latency_idle_p99_ns");
	row(lat_idle[n_idle - 1], "ns", "pin_latency_idle_max_ns");
	row(quantile_sorted(lat_purge, n_purge, 0.5), "ns", "pin_latency_purge_p50_ns");
	row(quantile_sorted(lat_purge, n_purge, 0.99), "ns", "pin_latency_purge_p99_ns");
	row(lat_purge[n_purge - 1], "ns", "pin_latency_purge_max_ns");
	row(median(purge_ms, BENCH_REPS), "ms", "purge_256MiB_ms");
	row(median(pairs, BENCH_REPS), "pairs", "pin_latency_purge_pairs");
	ccdf_rows("idle", lat_idle, n_idle);
	ccdf_rows("purge", lat_purge, n_purge);
	free(lat_idle);
	free(lat_purge);
}

/* ---- two areas, two processes -------------------------------------------- */

#define SLOT_NS		20000000ULL	/* 20 ms */
#define RACE_SLOTS	60

/*
 * Both processes live through the whole race, which alternates 20 ms
 * slots: in even slots process 0 runs alone (process 1 sleeps), in odd
 * slots both run.  Each process adds up the calls it made and the time it
 * spent in each kind of slot, so that the solo and duo rates are measured
 * over the same second, under the same load from outside the guest.
 */
struct race {
	atomic_int ready;
	uint64_t start;
	uint64_t ops[2][2];	/* [duo][process] */
	uint64_t ns[2][2];
};

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL,
			       .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* @shared: the area both use (each its own page), or NULL for one each */
static void racer(int cpu, enum op op, struct race *rc,
		  const struct area *shared)
{
	cpu_set_t set;
	struct area a;
	uint64_t start;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity %d", cpu);
	if (shared) {
		a = *shared;
		a.probe = 2 * cpu * page_size();	/* page 0 or page 2 */
	} else {
		a = area_setup(1);
	}
	time_op(&a, op, 1000 / quick);	/* warm up */
	atomic_fetch_add(&rc->ready, 1);
	while (!(start = __atomic_load_n(&rc->start, __ATOMIC_ACQUIRE)))
		sched_yield();
	for (int s = 0; s < RACE_SLOTS / (int)quick; s++) {
		uint64_t from = start + s * SLOT_NS, to = from + SLOT_NS, t0;
		int duo = s % 2;
		uint64_t n = 0;

		if (!duo && cpu == 1)
			continue;
		sleep_until(from);
		t0 = now_ns();
		while (now_ns() < to) {
			time_op(&a, op, 16);
			n += 16;
		}
		rc->ops[duo][cpu] += n;
		rc->ns[duo][cpu] += now_ns() - t0;
	}
	area_close(&a);
	_exit(0);
}

/*
 * The speed-up of @op from one process to two, each on its own CPU, each
 * on its own area or (@one_area) both on one.
 */
static double race(enum op op, bool one_area)
{
	struct area shared;
	struct race *rc;
	double solo, duo;
	int status;

	if (one_area)
		shared = area_setup(1);
	rc = mmap(NULL, sizeof(*rc), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rc == MAP_FAILED)
		die("mmap");
	memset(rc, 0, sizeof(*rc));
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			racer(i, op, rc, one_area ? &shared : NULL);
	}
	while (atomic_load(&rc->ready) < 2)
		usleep(1000);
	__atomic_store_n(&rc->start, now_ns() + SLOT_NS, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			die("a racer failed");
	}
	solo = (double)rc->ops[0][0] / (double)rc->ns[0][0];
	duo = (double)rc->ops[1][0] / (double)rc->ns[1][0] +
	      (double)rc->ops[1][1] / (double)rc->ns[1][1];
	fprintf(stderr, "pin_bench: scaling: %s%s %.0f/s alone, %.0f/s with two processes\n",
		op_name[op], one_area ? " (one area)" : "", solo * 1e9,
		duo * 1e9);
	munmap(rc, sizeof(*rc));
	if (one_area)
		area_close(&shared);
	return duo / solo;
}

static void bench_scaling(void)
{
	static const enum op ops[] = { OP_PAIR, OP_GET_SIZE, OP_PIN_STATUS,
				       OP_PIN_NOOP };
	double up[5][ROUNDS], ratio[ROUNDS], v[ROUNDS];

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		errno = 0;
		die("two_area_scaling needs two CPUs");
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t k = 0; k < 4; k++)
			up[k][r] = race(ops[k], false);
		/* the check that the method sees a lock both must take */
		up[4][r] = race(OP_PAIR, true);
		ratio[r] = up[0][r] / up[1][r];
	}
	row(median(ratio, ROUNDS), "x", "two_area_scaling");
	for (size_t k = 0; k < 4; k++) {
		memcpy(v, up[k], sizeof(v));
		row(median(v, ROUNDS), "x", "speedup_%s_2procs",
		    op_name[ops[k]]);
	}
	memcpy(v, up[4], sizeof(v));
	row(median(v, ROUNDS), "x", "speedup_pair_one_area_2procs");
}

int main(int argc, char **argv)
{
	bool growth = argc < 2, latency = argc < 2, scaling = false;
	const char *q = getenv("BENCH_QUICK");

	if (q && *q && strcmp(q, "0"))
		quick = 10;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "growth")) {
			growth = true;
		} else if (!strcmp(argv[i], "latency")) {
			latency = true;
		} else if (!strcmp(argv[i], "scaling")) {
			scaling = true;
		} else {
			fprintf(stderr, "usage: %s [growth] [latency] [scaling]\n",
				argv[0]);
			return 2;
		}
	}
	if (growth)
		bench_growth();
	if (latency)
		bench_latency();
	if (scaling)
		bench_scaling();
	return 0;
}
