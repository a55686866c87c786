// SPDX-License-Identifier: GPL-2.0
/*
 * A random-operation fuzzer.  Each test draws operations from a seeded
 * generator: every ioctl with valid and invalid arguments (bad pointers,
 * unaligned, overflowing and out-of-range pin ranges, unknown commands),
 * mmap, munmap, mprotect, page writes and checks through the mappings,
 * read, pread, lseek, fork (the child runs one operation on the shared
 * area) and close, over a few areas at a time.  Every result, errno and
 * byte read is checked against the model of fuzz_model.h.
 *
 * On a mismatch the recorded operations are replayed on fresh areas and
 * cut down (delta debugging) to a short sequence that still fails, which is
 * printed as C-like lines with the command that reruns the seed.
 *
 * Settings (environment):
 *   ASHMEM_FUZZ_SEED  base seed; test i uses seed + i (default: the time)
 *   ASHMEM_FUZZ_OPS   operations run per test, not counting those skipped
 *                     as inapplicable (default: 125000 for the copy
 *                     in /selftests/debug, which the debug lane runs; 2048
 *                     for the other copies in the debug lane; else 16384)
 *
 * The tests need root (PURGE_ALL_CACHES, drop_caches) and no other ashmem
 * user at the same time: PURGE_ALL_CACHES counts the pages of every area.
 */
#include <libgen.h>
#include <sys/personality.h>
#include <sys/statvfs.h>
#include <time.h>

#include "ashmem_helpers.h"
#include "fuzz_model.h"

#define FUZZ_TESTS		8
#define FUZZ_OPS_LONG		125000	/* x FUZZ_TESTS: a million */
#define FUZZ_OPS_SHORT		16384
#define FUZZ_OPS_DEBUG_LANE	2048	/* the long copy runs there */
#define FUZZ_MINIMISE_SECONDS	60

enum op_kind {
	OP_OPEN, OP_CLOSE, OP_SET_NAME, OP_GET_NAME, OP_SET_SIZE, OP_GET_SIZE,
	OP_SET_PROT, OP_GET_PROT, OP_PIN, OP_UNPIN, OP_PIN_STATUS,
	OP_PURGE_ALL, OP_GET_FILE_ID, OP_BAD_CMD, OP_MMAP, OP_MUNMAP,
	OP_MPROTECT, OP_WRITE, OP_CHECK_MAP, OP_PREAD, OP_READ, OP_LSEEK,
	OP_DROP_CACHES, OP_FORK, OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
	"open", "close", "set_name", "get_name", "set_size", "get_size",
	"set_prot", "get_prot", "pin", "unpin", "pin_status", "purge_all",
	"get_file_id", "bad_cmd", "mmap", "munmap", "mprotect", "write",
	"check_map", "pread", "read", "lseek", "drop_caches", "fork",
};

/* Weights of the operations on an open area, out of their sum. */
static const unsigned int op_weights[OP_KINDS] = {
	[OP_CLOSE] = 5, [OP_SET_NAME] = 25, [OP_GET_NAME] = 25,
	[OP_SET_SIZE] = 35, [OP_GET_SIZE] = 20, [OP_SET_PROT] = 15,
	[OP_GET_PROT] = 15, [OP_PIN] = 130, [OP_UNPIN] = 130,
	[OP_PIN_STATUS] = 100, [OP_PURGE_ALL] = 25, [OP_GET_FILE_ID] = 15,
	[OP_BAD_CMD] = 10, [OP_MMAP] = 35, [OP_MUNMAP] = 20,
	[OP_MPROTECT] = 25, [OP_WRITE] = 110, [OP_CHECK_MAP] = 80,
	[OP_PREAD] = 60, [OP_READ] = 30, [OP_LSEEK] = 40, [OP_FORK] = 1,
};

/* Where a pointer argument points. */
enum ptr_kind {
	PTR_OK,		/* a good buffer */
	PTR_NULL,
	PTR_NONE,	/* a PROT_NONE page */
	PTR_RDONLY,	/* a read-only page (holds a name and a zero pin) */
	PTR_EDGE,	/* the last bytes before the PROT_NONE page */
	PTR_KINDS
};

static const char *const ptr_names[PTR_KINDS] = {
	"&arg", "NULL", "prot_none_page", "read_only_page", "edge_of_page",
};

/* Unknown commands: wrong numbers, directions and sizes of type 0x77. */
static const unsigned int bad_cmds[] = {
	_IO(__ASHMEMIOC, 0), _IO(__ASHMEMIOC, 12), _IO(__ASHMEMIOC, 255),
	_IOW(__ASHMEMIOC, 1, char[16]), _IOR(__ASHMEMIOC, 3, size_t),
	_IOW(__ASHMEMIOC, 4, int), _IO(__ASHMEMIOC, 7),
	_IOWR(__ASHMEMIOC, 8, struct ashmem_pin), _IO(__ASHMEMIOC, 11),
	_IOW(__ASHMEMIOC, 10, char[2]), _IO(0x78, 1), _IOW('X', 7, int),
};

/*
 * One operation, fully determined by its fields so that any subsequence can
 * be replayed.  For OP_FORK the child runs the operation sub_kind.
 */
struct fuzz_op {
	uint8_t kind, sub_kind, slot, ptr, sub;
	uint32_t a, b;
	uint64_t val;
};

enum { EXEC_REAL, EXEC_MODEL };
enum { ST_OK, ST_SKIP, ST_BAD };

struct fuzz {
	struct fuzz_area area[FUZZ_SLOTS];
	size_t ps;
	char *guard;	/* rw page, PROT_NONE page, read-only page */
	char *buf;	/* scratch for names and reads */
	bool rie, noexec, strict;
	bool have_stats;
	long scans;	/* shrinker scans the driver should have counted */
	unsigned long done[OP_KINDS], skipped, inconclusive;
	double busy[OP_KINDS];	/* seconds spent per kind */
	bool in_child;
	char msg[768];
};

static struct fuzz fz;

/* splitmix64: small, seedable, good enough to draw operations. */
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

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define BAD(...) do {							\
	snprintf(fz.msg, sizeof(fz.msg), __VA_ARGS__);			\
	return ST_BAD;							\
} while (0)

/*
 * Compare a system call's result with the model's: @werr non-zero means
 * "fails with that errno", else the call must return @want.
 */
static int check_ret(long got, int err, long want, int werr)
{
	if (werr ? (got == -1 && err == werr) : got == want)
		return ST_OK;
	BAD("returned %ld (%s), expected %ld (%s)", got,
	    got == -1 ? strerror(err) : "-", werr ? -1L : want,
	    werr ? strerror(werr) : "-");
}

/* Runs @call, then compares its result and errno with the model's. */
#define CHECK_CALL(call, want, werr) ({					\
	long __ret = (long)(call);					\
	int __err = errno;						\
	check_ret(__ret, __err, (want), (werr));			\
})

static char *ptr_arg(int kind, size_t edge_len, void *good)
{
	switch (kind) {
	case PTR_NULL:
		return NULL;
	case PTR_NONE:
		return fz.guard + fz.ps;
	case PTR_RDONLY:
		return fz.guard + 2 * fz.ps;
	case PTR_EDGE:
		return fz.guard + fz.ps - edge_len;
	}
	return good;
}

static int prot_eff(int prot)
{
	if (fz.rie && (prot & PROT_READ))
		prot |= PROT_EXEC;
	return prot;
}

/* A name of @len letters drawn from @seed. */
static void make_name(char *dst, uint32_t len, uint64_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		dst[i] = 'a' + (char)((seed + i * 7 + i / 5) % 26);
	dst[len] = '\0';
}

static int op_set_name(struct fuzz_area *ar, const struct fuzz_op *op,
		       int mode)
{
	char name[FUZZ_PAGES * 32], *arg = NULL;
	uint32_t len = op->a;
	int werr = 0;
	long ret;

	make_name(name, len, op->val);
	switch (op->ptr) {
	case PTR_NULL:
	case PTR_NONE:
		werr = EFAULT;
		break;
	case PTR_RDONLY:
		snprintf(name, sizeof(name), "%s", fz.guard + 2 * fz.ps + 64);
		break;
	case PTR_EDGE:
		/* @len letters then the PROT_NONE page: no NUL before it */
		if (len < ASHMEM_NAME_LEN)
			werr = EFAULT;
		break;
	}
	if (!werr && ar->has_file)
		werr = EINVAL;
	if (mode == EXEC_REAL) {
		if (op->ptr == PTR_EDGE) {
			arg = ptr_arg(PTR_EDGE, len, NULL);
			memcpy(arg, name, len);
		} else if (op->ptr == PTR_RDONLY) {
			arg = fz.guard + 2 * fz.ps + 64;
		} else {
			arg = ptr_arg(op->ptr, 0, name);
		}
		ret = ioctl(ar->fd, ASHMEM_SET_NAME, arg);
		if (CHECK_CALL(ret, 0, werr))
			return ST_BAD;
	}
	if (!werr) {
		name[ASHMEM_NAME_LEN - 1] = '\0';
		strcpy(ar->name, name);
	}
	return ST_OK;
}

static int op_get_name(struct fuzz_area *ar, const struct fuzz_op *op,
		       int mode)
{
	const char *want = ar->name[0] ? ar->name : ASHMEM_NAME_DEF;
	size_t n = strlen(want) + 1, i;
	int werr = 0;
	char *arg;
	long ret;

	if (op->ptr == PTR_NULL || op->ptr == PTR_NONE ||
	    op->ptr == PTR_RDONLY || (op->ptr == PTR_EDGE && op->a < n))
		werr = EFAULT;
	if (mode != EXEC_REAL)
		return ST_OK;
	memset(fz.buf, 0xa5, ASHMEM_NAME_LEN);
	if (op->ptr == PTR_EDGE)
		memset(fz.guard + fz.ps - op->a, 0xa5, op->a);
	arg = ptr_arg(op->ptr, op->a, fz.buf);
	ret = ioctl(ar->fd, ASHMEM_GET_NAME, arg);
	if (CHECK_CALL(ret, 0, werr))
		return ST_BAD;
	if (werr)
		return ST_OK;
	if (memcmp(arg, want, n))
		BAD("GET_NAME gave \"%.*s\", expected \"%s\"", (int)n, arg,
		    want);
	if (op->ptr == PTR_OK)
		for (i = n; i < ASHMEM_NAME_LEN; i++)
			if ((unsigned char)arg[i] != 0xa5)
				BAD("GET_NAME wrote byte %zu, past the name", i);
	return ST_OK;
}

static int op_set_size(struct fuzz_area *ar, const struct fuzz_op *op,
		       int mode)
{
	size_t size = (size_t)op->val;
	int werr = ar->has_file ? EINVAL : 0;

	if (mode == EXEC_REAL &&
	    CHECK_CALL(ioctl(ar->fd, ASHMEM_SET_SIZE, size), 0, werr))
		return ST_BAD;
	if (!werr)
		ar->size = size;
	return ST_OK;
}

static int op_get_size(struct fuzz_area *ar, int mode)
{
	/* ioctl() returns an int; values that look like -errno are errors */
	long r = (long)ar->size;
	int werr = 0;

	if ((unsigned long)r > -4096UL)
		werr = (int)-r;
	if (mode == EXEC_REAL)
		return CHECK_CALL(ioctl(ar->fd, ASHMEM_GET_SIZE),
				 (int)r, werr);
	return ST_OK;
}

static int op_set_prot(struct fuzz_area *ar, const struct fuzz_op *op,
		       int mode)
{
	unsigned long prot = (unsigned long)op->val;
	int werr = (prot & ~ar->mask) ? EINVAL : 0;

	if (mode == EXEC_REAL &&
	    CHECK_CALL(ioctl(ar->fd, ASHMEM_SET_PROT_MASK, prot), 0,
		      werr))
		return ST_BAD;
	if (!werr) {
		if (fz.rie && (prot & PROT_READ))
			prot |= ar->mask & PROT_EXEC;
		ar->mask = prot;
	}
	return ST_OK;
}

static int op_pin_cmd(struct fuzz_area *ar, const struct fuzz_op *op,
		      int mode)
{
	static const unsigned long cmds[] = {
		[OP_PIN] = ASHMEM_PIN, [OP_UNPIN] = ASHMEM_UNPIN,
		[OP_PIN_STATUS] = ASHMEM_GET_PIN_STATUS,
	};
	uint64_t end = model_pages(ar, fz.ps) * fz.ps;
	uint64_t off = op->a, len = op->b;
	struct ashmem_pin pin = { .offset = op->a, .len = op->b };
	uint32_t s = 0, e = 0;
	bool empty = false;
	long want = 0;
	int werr = 0;

	if (op->ptr != PTR_OK && op->ptr != PTR_RDONLY)
		werr = EFAULT;
	else if (!ar->has_file)
		werr = EINVAL;
	else if ((off | len) & (fz.ps - 1) || off > end)
		werr = EINVAL;
	else {
		if (!len)
			len = end - off;
		if (off + len > end)
			werr = EINVAL;
		else if (!len)
			empty = true;
		s = (uint32_t)(off / fz.ps);
		e = (uint32_t)(s + len / fz.ps - 1);
	}
	if (!werr && op->kind == OP_UNPIN && fz.strict &&
	    !(ar->mask & PROT_WRITE))
		werr = EPERM;

	if (!werr) {
		switch (op->kind) {
		case OP_PIN:
			want = empty ? ASHMEM_NOT_PURGED : model_pin(ar, s, e);
			break;
		case OP_UNPIN:
			if (!empty)
				model_unpin(ar, s, e);
			break;
		default:
			want = empty ? ASHMEM_IS_PINNED :
				       model_pin_status(ar, s, e);
		}
	}
	if (mode == EXEC_REAL) {
		char *arg = ptr_arg(op->ptr, 4, &pin);
		long ret = ioctl(ar->fd, cmds[op->kind], arg);

		return CHECK_CALL(ret, want, werr);
	}
	return ST_OK;
}

static int op_purge_all(struct fuzz_area *ar, int mode)
{
	long want = 0;
	int i;

	for (i = 0; i < FUZZ_SLOTS; i++)
		if (fz.area[i].fd >= 0)
			want += model_purge(&fz.area[i]);
	fz.scans++;
	if (mode == EXEC_REAL)
		return CHECK_CALL(ioctl(ar->fd, ASHMEM_PURGE_ALL_CACHES), want,
				  0);
	return ST_OK;
}

static int op_get_file_id(struct fuzz_area *ar, const struct fuzz_op *op,
			  int mode)
{
	unsigned long id = 0;
	int werr = 0, i;
	long ret;

	if (!ar->has_file)
		werr = EINVAL;
	else if (op->ptr != PTR_OK)
		werr = EFAULT;
	if (mode != EXEC_REAL)
		return ST_OK;
	ret = ioctl(ar->fd, ASHMEM_GET_FILE_ID,
		    ptr_arg(op->ptr, sizeof(id) / 2, &id));
	if (CHECK_CALL(ret, 0, werr))
		return ST_BAD;
	if (werr)
		return ST_OK;
	if (ar->id_known && ar->file_id != id)
		BAD("GET_FILE_ID gave %lu, before %lu", id, ar->file_id);
	for (i = 0; i < FUZZ_SLOTS; i++) {
		struct fuzz_area *o = &fz.area[i];

		if (o != ar && o->fd >= 0 && o->id_known && o->file_id == id)
			BAD("GET_FILE_ID %lu is also slot %d's", id, i);
	}
	ar->id_known = true;
	ar->file_id = id;
	return ST_OK;
}

static int op_mmap(struct fuzz_area *ar, const struct fuzz_op *op, int mode)
{
	struct fuzz_map *m = &ar->maps[op->sub];
	int prot = (int)(op->val & 7), eff = prot_eff(prot);
	bool shared = op->val & 8;
	size_t len = (size_t)op->a * fz.ps;
	int werr = 0;
	char *addr;

	if (m->addr || ar->size > FUZZ_PAGES * fz.ps)
		return ST_SKIP;
	if ((eff & PROT_EXEC) && fz.noexec)
		werr = EPERM;
	else if (!ar->size || len > model_pages(ar, fz.ps) * fz.ps)
		werr = EINVAL;
	else if (eff & ~ar->mask)
		werr = EPERM;
	if (mode != EXEC_REAL)
		return ST_OK;	/* never run in a child */
	addr = mmap(NULL, len, prot, shared ? MAP_SHARED : MAP_PRIVATE,
		    ar->fd, (off_t)op->b * fz.ps);
	if (CHECK_CALL(addr == MAP_FAILED ? -1 : 0, 0, werr)) {
		if (addr != MAP_FAILED)
			munmap(addr, len);
		return ST_BAD;
	}
	if (werr)
		return ST_OK;
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->pages = op->a;
	m->pgoff = op->b;
	m->prot = eff;
	/* bits outside the mask leave VM_MAY*, and noexec drops VM_MAYEXEC */
	m->may = (int)ar->mask & ~(fz.noexec ? PROT_EXEC : 0);
	m->shared = shared;
	ar->has_file = true;
	return ST_OK;
}

static int op_munmap(struct fuzz_area *ar, const struct fuzz_op *op, int mode)
{
	struct fuzz_map *m = &ar->maps[op->sub];

	if (!m->addr)
		return ST_SKIP;
	if (mode == EXEC_REAL &&
	    CHECK_CALL(munmap(m->addr, m->pages * fz.ps), 0, 0))
		return ST_BAD;
	m->addr = NULL;
	return ST_OK;
}

static int op_mprotect(struct fuzz_area *ar, const struct fuzz_op *op,
		       int mode)
{
	struct fuzz_map *m = &ar->maps[op->sub];
	int prot = (int)(op->val & 7), eff = prot_eff(prot);
	int werr;

	if (!m->addr)
		return ST_SKIP;
	werr = (eff & ~m->may) ? EACCES : 0;
	if (mode == EXEC_REAL &&
	    CHECK_CALL(mprotect(m->addr, m->pages * fz.ps, prot), 0,
		      werr))
		return ST_BAD;
	if (!werr)
		m->prot = eff;
	return ST_OK;
}

/*
 * The page of a mapping an access touches, or NULL when the access would
 * fault (no such permission, or beyond the end of the file: SIGBUS).
 */
static uint8_t *map_page_model(struct fuzz_area *ar, const struct fuzz_op *op,
			       int need)
{
	struct fuzz_map *m = &ar->maps[op->sub];
	uint32_t fp;

	if (!m->addr || !(m->prot & need) || op->a >= m->pages)
		return NULL;
	if (!m->shared)
		return &m->priv[op->a];
	fp = m->pgoff + op->a;
	if (fp >= model_pages(ar, fz.ps))
		return NULL;
	return &ar->content[fp];
}

static int op_write(struct fuzz_area *ar, const struct fuzz_op *op, int mode)
{
	uint8_t *model = map_page_model(ar, op, PROT_WRITE);

	/* a child's private copy-on-write page is the child's only */
	if (!model || (fz.in_child && !ar->maps[op->sub].shared))
		return ST_SKIP;
	if (mode == EXEC_REAL)
		memset(ar->maps[op->sub].addr + op->a * fz.ps, (int)op->b,
		       fz.ps);
	*model = (uint8_t)op->b;
	return ST_OK;
}

static int op_check_map(struct fuzz_area *ar, const struct fuzz_op *op,
			int mode)
{
	uint8_t *model = map_page_model(ar, op, PROT_READ);
	const uint8_t *p;
	size_t i;

	if (!model)
		return ST_SKIP;
	if (mode != EXEC_REAL)
		return ST_OK;
	p = (const uint8_t *)ar->maps[op->sub].addr + op->a * fz.ps;
	for (i = 0; i < fz.ps; i++)
		if (p[i] != *model)
			BAD("byte %zu of page %u of map %u is %#x, expected %#x",
			    i, op->a, op->sub, p[i], *model);
	return ST_OK;
}

/*
 * What read() or pread() of op->b bytes at @pos returns: the byte count,
 * or an error in @werr (and no byte read, so the position stays).
 */
static long read_want(const struct fuzz_area *ar, const struct fuzz_op *op,
		      long long pos, int *werr)
{
	long long avail = (long long)ar->size - pos;
	long want = avail < 0 ? 0 : avail < op->b ? (long)avail : (long)op->b;

	*werr = 0;
	if (!ar->size)
		return 0;
	if (!ar->has_file)
		*werr = EBADF;
	else if (want && op->ptr != PTR_OK)
		*werr = EFAULT;
	return want;
}

/* read() or pread() of op->b bytes at @pos, checked byte by byte. */
static int check_read(struct fuzz_area *ar, const struct fuzz_op *op,
		      long long pos, long *n)
{
	int werr;
	long want = read_want(ar, op, pos, &werr);
	char *arg;
	long ret, i;

	*n = werr ? 0 : want;
	arg = ptr_arg(op->ptr, 0, fz.buf);
	if (op->kind == OP_PREAD)
		ret = pread(ar->fd, arg, op->b, (off_t)pos);
	else
		ret = read(ar->fd, arg, op->b);
	if (CHECK_CALL(ret, want, werr))
		return ST_BAD;
	for (i = 0; !werr && i < want; i++) {
		uint8_t exp = ar->content[(pos + i) / fz.ps];

		if ((uint8_t)fz.buf[i] != exp)
			BAD("byte %lld read %#x, expected %#x", pos + i,
			    (uint8_t)fz.buf[i], exp);
	}
	return ST_OK;
}

static int op_read(struct fuzz_area *ar, const struct fuzz_op *op, int mode)
{
	long n = 0;
	long long pos = op->kind == OP_PREAD ? op->a : ar->pos;

	if (ar->size > FUZZ_PAGES * fz.ps)
		return ST_SKIP;
	if (mode == EXEC_REAL) {
		if (check_read(ar, op, pos, &n))
			return ST_BAD;
	} else {
		/* a forked child's read: a faulting one moved nothing */
		int werr;

		n = read_want(ar, op, pos, &werr);
		if (werr)
			n = 0;
	}
	if (op->kind == OP_READ)
		ar->pos += n;
	return ST_OK;
}

static int op_lseek(struct fuzz_area *ar, const struct fuzz_op *op, int mode)
{
	long long off = (int32_t)op->a, want = 0, size = (long long)ar->size;
	int whence = op->sub, werr = 0;
	long long ret;

	if (ar->size > FUZZ_PAGES * fz.ps)
		return ST_SKIP;
	/* where SEEK_DATA and SEEK_HOLE land depends on the page cache */
	if ((whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    (mode != EXEC_REAL || fz.in_child))
		return ST_SKIP;
	if (!ar->size)
		werr = EINVAL;
	else if (!ar->has_file)
		werr = EBADF;
	else if (whence == SEEK_SET)
		want = off;
	else if (whence == SEEK_CUR)
		want = ar->pos + off;
	else if (whence == SEEK_END)
		want = size + off;
	else if (off < 0 || off >= size)
		werr = ENXIO;
	if (!werr && whence <= SEEK_END && want < 0)
		werr = EINVAL;
	if (mode == EXEC_REAL) {
		ret = lseek(ar->fd, (off_t)off, whence);
		if (!werr && (whence == SEEK_DATA || whence == SEEK_HOLE)) {
			/* somewhere in [off, size], or no data after off */
			if (ret == -1 && errno == ENXIO && whence == SEEK_DATA)
				return ST_OK;
			if (ret < off || ret > size ||
			    (whence == SEEK_DATA && ret == size))
				BAD("lseek(%lld, %d) returned %lld (%s), size %lld",
				    off, whence, ret,
				    ret < 0 ? strerror(errno) : "-", size);
			ar->pos = ret;
			return ST_OK;
		}
		if (CHECK_CALL((long)ret, (long)want, werr))
			return ST_BAD;
	}
	if (!werr)
		ar->pos = want;
	return ST_OK;
}

static int op_bad_cmd(struct fuzz_area *ar, const struct fuzz_op *op,
		      int mode)
{
	unsigned long arg = 0;

	if (mode == EXEC_REAL)
		return CHECK_CALL(ioctl(ar->fd, bad_cmds[op->val %
						ARRAY_SIZE(bad_cmds)], &arg),
				 0, ENOTTY);
	return ST_OK;
}

static int op_close(struct fuzz_area *ar, int mode)
{
	int j;

	if (mode != EXEC_REAL)
		return ST_SKIP;
	for (j = 0; j < FUZZ_MAPS; j++)
		if (ar->maps[j].addr &&
		    CHECK_CALL(munmap(ar->maps[j].addr,
				     ar->maps[j].pages * fz.ps), 0, 0))
			return ST_BAD;
	if (CHECK_CALL(close(ar->fd), 0, 0))
		return ST_BAD;
	ar->fd = -1;
	return ST_OK;
}

static int op_open(struct fuzz_area *ar, int mode)
{
	int fd;

	if (ar->fd >= 0 || mode != EXEC_REAL)
		return ST_SKIP;
	fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		BAD("open: %s", strerror(errno));
	model_area_init(ar, fd);
	return ST_OK;
}

static int exec_op(const struct fuzz_op *op, int mode);

/* Fork: the child runs one operation on the shared area and checks it. */
static int op_fork(const struct fuzz_op *op)
{
	struct fuzz_op sub = *op;
	int status, ret;
	pid_t pid;

	sub.kind = op->sub_kind;
	pid = fork_child();
	if (pid < 0)
		BAD("fork: %s", strerror(errno));
	if (pid == 0) {
		fz.in_child = true;
		ret = exec_op(&sub, EXEC_REAL);
		if (ret == ST_BAD) {
			dprintf(STDERR_FILENO, "# child: %s\n", fz.msg);
			_exit(1);
		}
		_exit(ret == ST_SKIP ? 2 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		BAD("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 1)
		BAD("the forked child failed (status %#x)", status);
	if (WEXITSTATUS(status) == 2)
		return ST_SKIP;
	fz.in_child = true;
	ret = exec_op(&sub, EXEC_MODEL);
	fz.in_child = false;
	return ret;
}

static int exec_op(const struct fuzz_op *op, int mode)
{
	struct fuzz_area *ar = &fz.area[op->slot];

	if (op->kind == OP_OPEN)
		return op_open(ar, mode);
	if (ar->fd < 0)
		return ST_SKIP;
	switch (op->kind) {
	case OP_CLOSE:
		return op_close(ar, mode);
	case OP_SET_NAME:
		return op_set_name(ar, op, mode);
	case OP_GET_NAME:
		return op_get_name(ar, op, mode);
	case OP_SET_SIZE:
		return op_set_size(ar, op, mode);
	case OP_GET_SIZE:
		return op_get_size(ar, mode);
	case OP_SET_PROT:
		return op_set_prot(ar, op, mode);
	case OP_GET_PROT:
		if (mode == EXEC_REAL)
			return CHECK_CALL(ioctl(ar->fd, ASHMEM_GET_PROT_MASK),
					 (long)ar->mask, 0);
		return ST_OK;
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_STATUS:
		return op_pin_cmd(ar, op, mode);
	case OP_PURGE_ALL:
		return op_purge_all(ar, mode);
	case OP_GET_FILE_ID:
		return op_get_file_id(ar, op, mode);
	case OP_BAD_CMD:
		return op_bad_cmd(ar, op, mode);
	case OP_MMAP:
		return op_mmap(ar, op, mode);
	case OP_MUNMAP:
		return op_munmap(ar, op, mode);
	case OP_MPROTECT:
		return op_mprotect(ar, op, mode);
	case OP_WRITE:
		return op_write(ar, op, mode);
	case OP_CHECK_MAP:
		return op_check_map(ar, op, mode);
	case OP_PREAD:
	case OP_READ:
		return op_read(ar, op, mode);
	case OP_LSEEK:
		return op_lseek(ar, op, mode);
	case OP_DROP_CACHES:
		if (mode != EXEC_REAL || fz.in_child)
			return ST_SKIP;
		if (write_text_file("/proc/sys/vm/drop_caches", "2"))
			BAD("drop_caches: %s", strerror(errno));
		for (int i = 0; i < FUZZ_SLOTS; i++)
			if (fz.area[i].fd >= 0)
				model_purge(&fz.area[i]);
		fz.scans = ashmem_stat("shrinker_scans:");
		return ST_OK;
	case OP_FORK:
		return mode == EXEC_REAL ? op_fork(op) : ST_SKIP;
	}
	return ST_SKIP;
}

/* Operations on purge state can be upset by a shrinker run we did not ask for. */
static bool purge_sensitive(const struct fuzz_op *op)
{
	int k = op->kind == OP_FORK ? op->sub_kind : op->kind;

	return k == OP_PIN || k == OP_PURGE_ALL || k == OP_CHECK_MAP ||
	       k == OP_PREAD || k == OP_READ || k == OP_LSEEK;
}

/* Close every area and unmap every mapping, without checking. */
static void reset_areas(void)
{
	int i, j;

	for (i = 0; i < FUZZ_SLOTS; i++) {
		struct fuzz_area *ar = &fz.area[i];

		for (j = 0; j < FUZZ_MAPS; j++)
			if (ar->maps[j].addr)
				munmap(ar->maps[j].addr,
				       ar->maps[j].pages * fz.ps);
		if (ar->fd >= 0)
			close(ar->fd);
		model_area_init(ar, -1);
	}
	fz.scans = fz.have_stats ? ashmem_stat("shrinker_scans:") : -1;
}

/* A shrinker scan happened that no operation asked for. */
static bool spontaneous_scan(void)
{
	return fz.have_stats && ashmem_stat("shrinker_scans:") != fz.scans;
}

static uint32_t pick_offset(uint64_t *r, uint32_t pages)
{
	uint32_t ps = (uint32_t)fz.ps, k = rnd(r, 20);

	if (k < 15)
		return rnd(r, pages + 1) * ps;
	if (k < 17)
		return rnd(r, pages * ps + 1) | 1;
	if (k < 18)
		return (pages + 1 + rnd(r, 4)) * ps;
	return (0xffffffffU & ~(ps - 1)) - rnd(r, 3) * ps;
}

static uint64_t pick_size(uint64_t *r)
{
	static const uint64_t huge[] = {
		0x80000000ULL, 0x100000000ULL, 0x100001000ULL,
		0xfffffffffffff000ULL, ~0ULL, 1ULL << 40,
	};
	uint32_t k = rnd(r, 20);

	if (k < 12)
		return (1 + rnd(r, FUZZ_PAGES)) * fz.ps;
	if (k < 16)
		return 1 + rnd(r, FUZZ_PAGES * fz.ps);
	if (k < 17)
		return (FUZZ_PAGES + 1 + rnd(r, 16)) * fz.ps;
	if (k < 18)
		return 0;
	return (size_t)huge[rnd(r, ARRAY_SIZE(huge))];
}

static int pick_ptr(uint64_t *r)
{
	uint32_t k = rnd(r, 100);

	return k < 96 ? PTR_OK : (int)(k - 95);
}

static void gen_args(uint64_t *r, struct fuzz_op *op, int kind)
{
	struct fuzz_area *ar = &fz.area[op->slot];
	uint32_t pages = (uint32_t)(ar->size > FUZZ_PAGES * fz.ps ?
				    FUZZ_PAGES : model_pages(ar, fz.ps));
	int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE,
			PROT_NONE, PROT_READ | PROT_EXEC, 7 };

	switch (kind) {
	case OP_SET_NAME:
		op->ptr = pick_ptr(r);
		op->a = rnd(r, 4) ? rnd(r, 40) : rnd(r, 300);
		if (op->ptr == PTR_EDGE && rnd(r, 2))
			op->a = ASHMEM_NAME_LEN + rnd(r, 40);
		op->val = rng_next(r);
		break;
	case OP_GET_NAME:
		op->ptr = pick_ptr(r);
		op->a = rnd(r, ASHMEM_NAME_LEN);
		break;
	case OP_SET_SIZE:
		op->val = pick_size(r);
		break;
	case OP_SET_PROT:
		op->val = rnd(r, 8) ? (uint64_t)ar->mask & rnd(r, 8) :
				      rnd(r, 16) | (rnd(r, 8) ? 0 : 1UL << 20);
		break;
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_STATUS:
		op->ptr = pick_ptr(r);
		if (op->ptr == PTR_RDONLY)
			break;
		op->a = pick_offset(r, pages);
		op->b = rnd(r, 3) ? rnd(r, pages + 1) * (uint32_t)fz.ps :
				    pick_offset(r, pages);
		break;
	case OP_GET_FILE_ID:
		op->ptr = pick_ptr(r);
		break;
	case OP_BAD_CMD:
		op->val = rnd(r, ARRAY_SIZE(bad_cmds));
		break;
	case OP_MMAP:
		op->sub = rnd(r, FUZZ_MAPS);
		op->a = 1 + rnd(r, pages + 1);
		op->b = rnd(r, 6) ? 0 : rnd(r, 3);
		op->val = prots[rnd(r, ARRAY_SIZE(prots))] |
			  (rnd(r, 4) ? 8 : 0);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
		op->sub = rnd(r, FUZZ_MAPS);
		op->val = prots[rnd(r, ARRAY_SIZE(prots))];
		break;
	case OP_WRITE:
	case OP_CHECK_MAP:
		op->sub = rnd(r, FUZZ_MAPS);
		op->a = rnd(r, ar->maps[op->sub].addr ?
				       ar->maps[op->sub].pages : 1);
		op->b = 1 + rnd(r, 255);
		break;
	case OP_PREAD:
	case OP_READ:
		op->ptr = rnd(r, 50) ? PTR_OK : PTR_NONE;
		op->a = rnd(r, (pages + 1) * (uint32_t)fz.ps);
		op->b = rnd(r, 3 * (uint32_t)fz.ps);
		break;
	case OP_LSEEK:
		op->sub = rnd(r, 5);	/* SEEK_SET .. SEEK_HOLE */
		op->a = (uint32_t)((int32_t)rnd(r, (pages + 2) * fz.ps) -
				   (int32_t)(rnd(r, 4) ? 0 : fz.ps));
		break;
	}
}

static void gen_op(uint64_t *r, struct fuzz_op *op)
{
	static unsigned int total;
	unsigned int k, kind;

	if (!total)
		for (k = 0; k < OP_KINDS; k++)
			total += op_weights[k];
	memset(op, 0, sizeof(*op));
	op->slot = rnd(r, FUZZ_SLOTS);
	if (fz.area[op->slot].fd < 0) {
		op->kind = OP_OPEN;
		return;
	}
	if (!rnd(r, 65536)) {
		op->kind = OP_DROP_CACHES;
		return;
	}
	k = rnd(r, total);
	for (kind = 0; k >= op_weights[kind]; kind++)
		k -= op_weights[kind];
	op->kind = kind;
	if (kind == OP_FORK) {
		static const uint8_t subs[] = {
			OP_SET_NAME, OP_GET_NAME, OP_SET_SIZE, OP_GET_SIZE,
			OP_SET_PROT, OP_PIN, OP_UNPIN, OP_PIN_STATUS,
			OP_PURGE_ALL, OP_GET_FILE_ID, OP_WRITE, OP_CHECK_MAP,
			OP_PREAD, OP_READ, OP_LSEEK,
		};
		kind = subs[rnd(r, ARRAY_SIZE(subs))];
		op->sub_kind = kind;
	}
	gen_args(r, op, kind);
}

/* Prints one operation as a line of C. */
static void print_op(FILE *f, const struct fuzz_op *op)
{
	int kind = op->kind == OP_FORK ? op->sub_kind : op->kind;
	const char *ptr = ptr_names[op->ptr];
	char name[FUZZ_PAGES * 32];

	fprintf(f, "#   %s", op->kind == OP_FORK ? "if (!fork()) " : "");
	switch (kind) {
	case OP_OPEN:
		fprintf(f, "a%u = open(\"/dev/ashmem\", O_RDWR);", op->slot);
		break;
	case OP_CLOSE:
		fprintf(f, "munmap(m%u_*); close(a%u);", op->slot, op->slot);
		break;
	case OP_SET_NAME:
		make_name(name, op->a, op->val);
		fprintf(f, "ioctl(a%u, ASHMEM_SET_NAME, %s%s%s%s); /* %u chars */",
			op->slot, op->ptr == PTR_OK ? "\"" : "",
			op->ptr == PTR_OK ? name : ptr,
			op->ptr == PTR_OK ? "\"" : "",
			op->ptr == PTR_EDGE ? " (name, no NUL)" : "", op->a);
		break;
	case OP_GET_NAME:
		fprintf(f, "ioctl(a%u, ASHMEM_GET_NAME, %s); /* %u bytes */",
			op->slot, op->ptr == PTR_OK ? "buf" : ptr, op->a);
		break;
	case OP_SET_SIZE:
		fprintf(f, "ioctl(a%u, ASHMEM_SET_SIZE, %#llx);", op->slot,
			(unsigned long long)op->val);
		break;
	case OP_GET_SIZE:
		fprintf(f, "ioctl(a%u, ASHMEM_GET_SIZE);", op->slot);
		break;
	case OP_SET_PROT:
		fprintf(f, "ioctl(a%u, ASHMEM_SET_PROT_MASK, %#llx);",
			op->slot, (unsigned long long)op->val);
		break;
	case OP_GET_PROT:
		fprintf(f, "ioctl(a%u, ASHMEM_GET_PROT_MASK);", op->slot);
		break;
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_STATUS:
		fprintf(f, "ioctl(a%u, ASHMEM_%s, ", op->slot,
			kind == OP_PIN ? "PIN" : kind == OP_UNPIN ? "UNPIN" :
			"GET_PIN_STATUS");
		if (op->ptr == PTR_OK)
			fprintf(f, "&(struct ashmem_pin){ %#x, %#x });",
				op->a, op->b);
		else
			fprintf(f, "%s);", ptr);
		break;
	case OP_PURGE_ALL:
		fprintf(f, "ioctl(a%u, ASHMEM_PURGE_ALL_CACHES);", op->slot);
		break;
	case OP_GET_FILE_ID:
		fprintf(f, "ioctl(a%u, ASHMEM_GET_FILE_ID, %s);", op->slot,
			op->ptr == PTR_OK ? "&id" : ptr);
		break;
	case OP_BAD_CMD:
		fprintf(f, "ioctl(a%u, %#x, &arg);", op->slot,
			bad_cmds[op->val % ARRAY_SIZE(bad_cmds)]);
		break;
	case OP_MMAP:
		fprintf(f, "m%u_%u = mmap(NULL, %u * PAGE_SIZE, %#x, %s, a%u, %u * PAGE_SIZE);",
			op->slot, op->sub, op->a, (int)(op->val & 7),
			op->val & 8 ? "MAP_SHARED" : "MAP_PRIVATE", op->slot,
			op->b);
		break;
	case OP_MUNMAP:
		fprintf(f, "munmap(m%u_%u);", op->slot, op->sub);
		break;
	case OP_MPROTECT:
		fprintf(f, "mprotect(m%u_%u, len, %#x);", op->slot, op->sub,
			(int)(op->val & 7));
		break;
	case OP_WRITE:
		fprintf(f, "memset(m%u_%u + %u * PAGE_SIZE, %#x, PAGE_SIZE);",
			op->slot, op->sub, op->a, op->b);
		break;
	case OP_CHECK_MAP:
		fprintf(f, "check_page(m%u_%u + %u * PAGE_SIZE);", op->slot,
			op->sub, op->a);
		break;
	case OP_PREAD:
		fprintf(f, "pread(a%u, %s, %#x, %#x);", op->slot,
			op->ptr == PTR_OK ? "buf" : ptr, op->b, op->a);
		break;
	case OP_READ:
		fprintf(f, "read(a%u, %s, %#x);", op->slot,
			op->ptr == PTR_OK ? "buf" : ptr, op->b);
		break;
	case OP_LSEEK:
		fprintf(f, "lseek(a%u, %d, %d);", op->slot, (int32_t)op->a,
			op->sub);
		break;
	case OP_DROP_CACHES:
		fprintf(f, "write(\"/proc/sys/vm/drop_caches\", \"2\");");
		break;
	}
	fprintf(f, "\n");
}

/*
 * Replays the operations marked in @keep on fresh areas.  Returns the index
 * of the first one that failed, or -1.
 */
static long replay(const struct fuzz_op *ops, const bool *keep, long n)
{
	long i;

	reset_areas();
	for (i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		if (exec_op(&ops[i], EXEC_REAL) == ST_BAD) {
			if (purge_sensitive(&ops[i]) && spontaneous_scan())
				return -1;
			return i;
		}
	}
	return -1;
}

/*
 * Delta debugging: drop chunks of operations, halving the chunk when none
 * can go, as long as the rest still fails (in any way).
 */
static long minimise(const struct fuzz_op *ops, bool *keep, long n)
{
	double deadline = now_seconds() + FUZZ_MINIMISE_SECONDS;
	long kept = n, chunk, start, i, j, replays = 0;
	bool *trial = malloc(n);
	int slot = ops[n - 1].slot;

	if (!trial)
		return n;
	/* first, everything on the other areas at once */
	for (i = 0; i < n; i++)
		trial[i] = keep[i] && (ops[i].slot == slot ||
				       ops[i].kind == OP_PURGE_ALL);
	replays++;
	if (replay(ops, trial, n) >= 0)
		memcpy(keep, trial, n);
	for (kept = 0, i = 0; i < n; i++)
		kept += keep[i];

	for (chunk = kept / 2; chunk >= 1 && now_seconds() < deadline;) {
		bool progress = false;

		for (start = 0; start < kept && now_seconds() < deadline;) {
			long seen = 0, removed = 0;

			memcpy(trial, keep, n);
			for (i = 0; i < n && removed < chunk; i++) {
				if (!keep[i])
					continue;
				if (seen++ >= start) {
					trial[i] = false;
					removed++;
				}
			}
			replays++;
			j = replay(ops, trial, n);
			if (j >= 0) {
				/* everything after the failure can go too */
				for (i = j + 1; i < n; i++)
					trial[i] = false;
				memcpy(keep, trial, n);
				for (kept = 0, i = 0; i < n; i++)
					kept += keep[i];
				progress = true;
			} else {
				start += chunk;
			}
		}
		if (!progress)
			chunk /= 2;
	}
	free(trial);
	printf("# minimised to %ld operations in %ld replays\n", kept,
	       replays);
	return kept;
}

static unsigned long long base_seed;
static long ops_per_test = FUZZ_OPS_SHORT;

/* Totals over the tests, shared with the harness' parent process. */
struct fuzz_totals {
	unsigned long ops, skipped, inconclusive;
	double seconds;
};
static struct fuzz_totals *totals;

static void fuzz_init(struct __test_metadata *_metadata)
{
	char text[16];
	struct statvfs st;

	memset(&fz, 0, sizeof(fz));
	fz.ps = page_size();
	fz.guard = mmap(NULL, 3 * fz.ps, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(fz.guard != MAP_FAILED);
	memset(fz.guard + 2 * fz.ps, 0, fz.ps);
	strcpy(fz.guard + 2 * fz.ps + 64, "read-only-name");
	ASSERT_EQ(0, mprotect(fz.guard + fz.ps, fz.ps, PROT_NONE));
	ASSERT_EQ(0, mprotect(fz.guard + 2 * fz.ps, fz.ps, PROT_READ));
	fz.buf = malloc(4 * fz.ps);
	ASSERT_TRUE(fz.buf != NULL);
	fz.rie = personality(0xffffffff) & READ_IMPLIES_EXEC;
	fz.noexec = statvfs(ASHMEM_DEVICE, &st) == 0 && (st.f_flag & ST_NOEXEC);
	fz.strict = read_text_file(ASHMEM_PARAMS "/strict_unpin", text,
				   sizeof(text)) > 0 && text[0] == 'Y';
	ASSERT_EQ(0, geteuid()) TH_LOG("the fuzzer needs root");
	fz.have_stats = ashmem_stat("shrinker_scans:") >= 0;
	reset_areas();
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_VARIANT(fuzz) {
	int index;
};

FIXTURE_VARIANT_ADD(fuzz, run0) { .index = 0 };
FIXTURE_VARIANT_ADD(fuzz, run1) { .index = 1 };
FIXTURE_VARIANT_ADD(fuzz, run2) { .index = 2 };
FIXTURE_VARIANT_ADD(fuzz, run3) { .index = 3 };
FIXTURE_VARIANT_ADD(fuzz, run4) { .index = 4 };
FIXTURE_VARIANT_ADD(fuzz, run5) { .index = 5 };
FIXTURE_VARIANT_ADD(fuzz, run6) { .index = 6 };
FIXTURE_VARIANT_ADD(fuzz, run7) { .index = 7 };

FIXTURE_SETUP(fuzz)
{
	fuzz_init(_metadata);
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_operations_match_the_model, 600)
{
	unsigned long long seed = base_seed + variant->index;
	uint64_t rng = seed;
	struct fuzz_op *ops;
	double start, secs;
	long i, failed = -1, areas_before, done = 0, cap = 4096;
	bool *keep;
	int ret;

	ops = malloc(cap * sizeof(*ops));
	ASSERT_TRUE(ops != NULL);
	areas_before = ashmem_stat("areas:");
	start = now_seconds();
	/* ops_per_test counts operations run; skipped ones come on top */
	for (i = 0; done < ops_per_test; i++) {
		double t0;

		if (i == cap) {
			cap *= 2;
			ops = realloc(ops, cap * sizeof(*ops));
			ASSERT_TRUE(ops != NULL);
		}
		gen_op(&rng, &ops[i]);
		t0 = now_seconds();
		ret = exec_op(&ops[i], EXEC_REAL);
		fz.busy[ops[i].kind] += now_seconds() - t0;
		if (ret == ST_SKIP) {
			fz.skipped++;
			continue;
		}
		fz.done[ops[i].kind]++;
		done++;
		if (ret == ST_OK)
			continue;
		if (purge_sensitive(&ops[i]) && spontaneous_scan()) {
			/* memory pressure purged behind the model's back */
			printf("# op %ld: a shrinker scan nobody asked for; starting over on fresh areas\n",
			       i);
			fz.inconclusive++;
			reset_areas();
			continue;
		}
		failed = i;
		break;
	}
	secs = now_seconds() - start;

	if (failed >= 0) {
		char msg[sizeof(fz.msg)];
		long n = failed + 1, k;

		memcpy(msg, fz.msg, sizeof(msg));
		printf("# MISMATCH at operation %ld (seed %llu): %s\n", failed,
		       seed, msg);
		print_op(stdout, &ops[failed]);
		keep = malloc(n);
		ASSERT_TRUE(keep != NULL);
		memset(keep, 1, n);
		minimise(ops, keep, n);
		printf("# reproducer (each line's result is checked against the model):\n");
		for (k = 0; k < n; k++)
			if (keep[k])
				print_op(stdout, &ops[k]);
		if (replay(ops, keep, n) >= 0)
			printf("# the reproducer fails: %s\n", fz.msg);
		else
			printf("# the reproducer passes on replay: timing-dependent\n");
		printf("# rerun: ASHMEM_FUZZ_SEED=%llu ASHMEM_FUZZ_OPS=%ld fuzz_test (test %s)\n",
		       base_seed, done, _metadata->name);
		fflush(stdout);
		reset_areas();
		ASSERT_LT(failed, 0) TH_LOG("%s", msg);
	}

	/* nothing must be left: no area, no unpinned page */
	reset_areas();
	if (fz.area[0].fd < 0) {
		int fd = ashmem_open(_metadata);

		ASSERT_EQ(0, ioctl(fd, ASHMEM_PURGE_ALL_CACHES));
		ASSERT_EQ(0, close(fd));
	}
	if (areas_before >= 0)
		ASSERT_EQ(areas_before, ashmem_stat("areas:"));

	printf("# seed %llu: %ld ops in %.1f s, %.0f ops/s, %lu skipped, %lu restarts after unrequested purges\n",
	       seed, done, secs, done / (secs > 0 ? secs : 1),
	       fz.skipped, fz.inconclusive);
	printf("#  ");
	for (i = 0; i < OP_KINDS; i++)
		printf(" %s=%lu/%.2fs", op_names[i], fz.done[i], fz.busy[i]);
	printf("\n");
	if (totals) {
		__atomic_add_fetch(&totals->ops, done, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&totals->skipped, fz.skipped,
				   __ATOMIC_SEQ_CST);
		totals->seconds += secs;
	}
	free(ops);
}

static void print_totals(void)
{
	if (totals && totals->ops)
		printf("# fuzz totals: seed %llu, %lu ops, %.1f s, %.0f ops/s, %lu skipped\n",
		       base_seed, totals->ops, totals->seconds,
		       totals->ops / (totals->seconds > 0 ? totals->seconds : 1),
		       totals->skipped);
}

int main(int argc, char **argv)
{
	char path[4096], *env;

	env = getenv("ASHMEM_FUZZ_SEED");
	base_seed = env ? strtoull(env, NULL, 0) :
			  (unsigned long long)time(NULL) * 1000003ULL +
				  (unsigned long long)getpid();
	snprintf(path, sizeof(path), "%s", argv[0]);
	/* the debug lane's copy runs the long fuzz */
	if (!strcmp(basename(dirname(path)), "debug"))
		ops_per_test = FUZZ_OPS_LONG;
	else if (getenv("ASHMEM_LANE") &&
		 !strcmp(getenv("ASHMEM_LANE"), "debug"))
		ops_per_test = FUZZ_OPS_DEBUG_LANE;
	env = getenv("ASHMEM_FUZZ_OPS");
	if (env)
		ops_per_test = strtol(env, NULL, 0);
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		totals = NULL;
	printf("# fuzz: seed %llu, %ld operations per test, %d tests (rerun with ASHMEM_FUZZ_SEED=%llu)\n",
	       base_seed, ops_per_test, FUZZ_TESTS, base_seed);
	/* the harness exit()s when done */
	atexit(print_totals);
	return test_harness_run(argc, argv);
}
