/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real memory pressure without the OOM killer.
 *
 * The kernel calls a shrinker that is not memcg-aware from global reclaim
 * only: kswapd, woken when a zone's free pages fall below its low
 * watermark, or direct reclaim below the min watermark.  Allocating until
 * reclaim gets desperate in a swapless guest ends with the OOM killer, whose
 * report fails the run; allocating "a lot" usually reclaims nothing at all.
 *
 * So these helpers steer by the watermarks instead.  They widen the band
 * between the min and the low watermark (vm.watermark_scale_factor) and
 * allocate anonymous memory until the largest zone's free pages sit in the
 * middle of that band: every allocation there wakes kswapd, which reclaims
 * until the high watermark, and no allocation ever enters direct reclaim.
 * In a guest whose other memory is unevictable (an initramfs, no swap),
 * kswapd's only way to the high watermark is the slab shrinkers, ashmem's
 * among them.  While holding the memory, pressure_hold() gives chunks back
 * whenever the zone sinks towards min, so other allocations in the guest
 * never starve.
 */
#ifndef ASHMEM_PRESSURE_H
#define ASHMEM_PRESSURE_H

#include <poll.h>

#include "ashmem_helpers.h"

#define WMARK_SCALE_FILE	"/proc/sys/vm/watermark_scale_factor"
/* min..low and low..high become 10% of the zone each */
#define PRESSURE_WMARK_SCALE	"1000"
#define PRESSURE_MAX_CHUNKS	8192
#define PRESSURE_CHUNK_PAGES	1024L

/* One zone's free pages and watermarks (boost included), in pages. */
struct zone_wmark {
	long free, min, low, high, managed;
};

/*
 * Read the zone with the most managed pages from /proc/zoneinfo: in a
 * guest below 4 GiB that is DMA32, where anonymous memory comes from.
 * Returns 0, or -1 if the file cannot be read or parsed.
 */
static inline int pressure_zone(struct zone_wmark *best)
{
	static char text[1 << 16];
	struct zone_wmark z = { -1, -1, -1, -1, -1 };
	long boost = 0, v;
	char *line, *save = NULL, key[32];
	bool found = false;

	if (read_text_file("/proc/zoneinfo", text, sizeof(text)) < 0)
		return -1;
	memset(best, 0, sizeof(*best));
	for (line = strtok_r(text, "\n", &save); ; line = strtok_r(NULL, "\n", &save)) {
		/* a zone's numbers end where the next zone, or the file, starts */
		if (!line || !strncmp(line, "Node ", 5)) {
			if (z.managed > best->managed && z.free >= 0 &&
			    z.min >= 0 && z.low >= 0 && z.high >= 0) {
				*best = z;
				best->min += boost;
				best->low += boost;
				best->high += boost;
				found = true;
			}
			if (!line)
				break;
			z = (struct zone_wmark){ -1, -1, -1, -1, -1 };
			boost = 0;
			continue;
		}
		if (sscanf(line, " pages free %ld", &v) == 1)
			z.free = v;
		else if (sscanf(line, " %31s %ld", key, &v) == 2) {
			if (!strcmp(key, "min"))
				z.min = v;
			else if (!strcmp(key, "low"))
				z.low = v;
			else if (!strcmp(key, "high"))
				z.high = v;
			else if (!strcmp(key, "boost"))
				boost = v;
			else if (!strcmp(key, "managed"))
				z.managed = v;
		}
	}
	return found ? 0 : -1;
}

struct pressure {
	void *chunk[PRESSURE_MAX_CHUNKS];
	size_t len[PRESSURE_MAX_CHUNKS];
	size_t n;
	long pages;		/* held now */
	long peak_pages;	/* most ever held */
	long target;		/* zone free pages to hold at */
	long floor;		/* give memory back below this */
	char saved_scale[32];	/* vm.watermark_scale_factor to restore */
};

/*
 * Widen the watermark band.  Returns 0 or -1 (errno set); undo with
 * pressure_end().
 */
static inline int pressure_begin(struct pressure *p)
{
	ssize_t n;

	memset(p, 0, sizeof(*p));
	n = read_text_file(WMARK_SCALE_FILE, p->saved_scale,
			   sizeof(p->saved_scale));
	if (n <= 0)
		return -1;
	return write_text_file(WMARK_SCALE_FILE, PRESSURE_WMARK_SCALE);
}

static inline void pressure_release(struct pressure *p)
{
	while (p->n > 0) {
		p->n--;
		munmap(p->chunk[p->n], p->len[p->n]);
	}
	p->pages = 0;
}

static inline int pressure_end(struct pressure *p)
{
	pressure_release(p);
	return write_text_file(WMARK_SCALE_FILE, p->saved_scale);
}

/* Give back the newest chunk; false if there is none. */
static inline bool pressure_give_back(struct pressure *p, size_t ps)
{
	if (p->n == 0)
		return false;
	p->n--;
	munmap(p->chunk[p->n], p->len[p->n]);
	p->pages -= p->len[p->n] / ps;
	return true;
}

/*
 * Allocate (and touch: MAP_POPULATE) anonymous memory until the largest
 * zone's free pages are at most halfway between its min and low
 * watermarks.  Steps shrink as the target nears, so the zone never
 * overshoots towards min.  It allocates no more than the zone had above the
 * target when called: what reclaim frees meanwhile stays free, so kswapd
 * can reach the high watermark and sleep.  Chasing it instead would leave
 * kswapd failing, and after MAX_RECLAIM_RETRIES failures the kernel stops
 * waking it.  Returns 0, or -1 if the zone cannot be read or an allocation
 * failed (errno set).
 */
static inline int pressure_fill(struct pressure *p)
{
	size_t ps = page_size();
	struct zone_wmark z;
	long step, budget = -1;
	void *addr;

	for (;;) {
		if (pressure_zone(&z))
			return -1;
		p->target = z.min + (z.low - z.min) / 2;
		p->floor = z.min + (z.low - z.min) / 4;
		if (budget < 0)
			budget = z.free - p->target;
		if (z.free <= p->target || budget <= 0 ||
		    p->n == PRESSURE_MAX_CHUNKS)
			return 0;
		step = (z.free - p->target + 1) / 2;
		if (step > PRESSURE_CHUNK_PAGES)
			step = PRESSURE_CHUNK_PAGES;
		if (step < 16)
			step = 16;
		if (step > budget)
			step = budget;
		addr = mmap(NULL, step * ps, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (addr == MAP_FAILED)
			return -1;
		p->chunk[p->n] = addr;
		p->len[p->n] = step * ps;
		p->n++;
		p->pages += step;
		budget -= step;
		if (p->pages > p->peak_pages)
			p->peak_pages = p->pages;
	}
}

/*
 * Keep the zone in the band: give chunks back while its free pages are
 * below the floor (something else in the guest allocates and reclaim
 * cannot keep up).  Call it every few milliseconds while holding.
 * Returns 0, or -1 if the zone cannot be read.
 */
static inline int pressure_hold(struct pressure *p)
{
	size_t ps = page_size();
	struct zone_wmark z;

	for (;;) {
		if (pressure_zone(&z))
			return -1;
		if (z.free >= p->floor || !pressure_give_back(p, ps))
			return 0;
	}
}

/*
 * Fills the zone and holds it in kswapd's band until kswapd, through the
 * shrinker, has purged something (debugfs reclaim_pages moved past
 * @reclaim_before) and brought the zone back to its high watermark -- it
 * sleeps then -- or until @seconds have passed.  @z gets the zone as last
 * read.  Returns 0, or -1 (errno set) if allocating or reading the zone
 * failed.  The memory stays held: pressure_release() gives it back.
 *
 * The caller must have more unpinned memory than kswapd needs to reach the
 * high watermark (a quarter of the zone is plenty).  Otherwise kswapd
 * purges it all and still fails; after 16 such passes the kernel stops
 * waking it until some direct reclaim succeeds, which these helpers never
 * cause, and later tests in the same boot find kswapd asleep.
 */
static inline int pressure_until_purged(struct pressure *p,
					long reclaim_before,
					unsigned int seconds,
					struct zone_wmark *z)
{
	uint64_t deadline = now_ns() + seconds * 1000000000ULL;

	if (pressure_fill(p))
		return -1;
	for (;;) {
		if (pressure_zone(z))
			return -1;
		if (ashmem_stat("reclaim_pages:") != reclaim_before &&
		    z->free >= z->high)
			return 0;
		if (now_ns() > deadline)
			return 0;
		if (pressure_hold(p))
			return -1;
		poll(NULL, 0, 10);
	}
}

#endif /* ASHMEM_PRESSURE_H */
