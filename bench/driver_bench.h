/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the driver's benchmark programs (pin_bench.c,
 * area_bench.c), which run in the QEMU guest against /dev/ashmem.
 *
 * Every figure is printed on stdout as one "name,value,unit" line (see
 * bench/run.sh).  Times come from clock_gettime(CLOCK_MONOTONIC); a figure
 * is the median of BENCH_REPS repetitions, and a ratio the median of the
 * ratios of its two sides measured one right after the other in the same
 * repetition, so that what the machine does meanwhile moves both sides.
 * A benchmark never asserts a time: an operation that fails ends the
 * program with a message on stderr and a non-zero status.
 */
#ifndef DRIVER_BENCH_H
#define DRIVER_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/ashmem.h>

#define ASHMEM_DEVICE	"/dev/ashmem"
#define BENCH_REPS	5
#define KIB		1024UL
#define MIB		(1024UL * 1024UL)

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", err, strerror(err));
	exit(1);
}

/* One "name,value,unit" row, flushed at once (a later crash keeps it). */
static inline void __attribute__((format(printf, 3, 4)))
row(double value, const char *unit, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("%s,%.6g,%s\n", name, value, unit);
	fflush(stdout);
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values (sorts them). */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The value below which a fraction @q of @n sorted values lie. */
static inline double quantile_sorted(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	return v[i < n ? i : n - 1];
}

/* A new area of @size bytes named @name; dies on failure. */
static inline int area_create(const char *name, size_t size)
{
	char buf[ASHMEM_NAME_LEN] = { 0 };
	int fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s", ASHMEM_DEVICE);
	snprintf(buf, sizeof(buf), "%s", name);
	if (ioctl(fd, ASHMEM_SET_NAME, buf) < 0)
		die("ASHMEM_SET_NAME");
	if (ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
		die("ASHMEM_SET_SIZE %zu", size);
	return fd;
}

/* A shared mapping of all of @fd; dies on failure. */
static inline char *map_shared(int fd, size_t size, int extra_flags)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | extra_flags, fd, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes", size);
	return p;
}

/* ASHMEM_PIN, _UNPIN or _GET_PIN_STATUS of a byte range; dies on error. */
static inline int pin_ioctl(int fd, unsigned int cmd, size_t offset, size_t len)
{
	struct ashmem_pin pin = { .offset = offset, .len = len };
	int ret = ioctl(fd, cmd, &pin);

	if (ret < 0)
		die("pin ioctl %#x at %zu+%zu", cmd, offset, len);
	return ret;
}

/* Write one byte in every page of [@p, @p + @size). */
static inline void touch_pages(char *p, size_t size)
{
	size_t page = page_size();

	for (size_t off = 0; off < size; off += page)
		((volatile char *)p)[off] = 1;
}

static inline int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static inline ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* The number after "@key" in a "key: value" text file, or -1. */
static inline long text_value(const char *path, const char *key)
{
	char buf[8192], *at;
	size_t len = strlen(key);

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (at = buf; (at = strstr(at, key)); at += len) {
		if ((at == buf || at[-1] == '\n') &&
		    (at[len] == ':' || at[len] == ' ' || at[len] == '\t'))
			return strtol(at + len + 1, NULL, 10);
	}
	return -1;
}

static inline long meminfo_kib(const char *key)
{
	return text_value("/proc/meminfo", key);
}

/* A line in the kernel log (the guest's judge reads some of them). */
static inline void kmsg(const char *text)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			fprintf(stderr, "/dev/kmsg: %s\n", strerror(errno));
		close(fd);
	}
}

#endif /* DRIVER_BENCH_H */
