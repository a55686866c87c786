// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: every ioctl crossed with every kind of bad argument.
 *
 * Each table row is one call with one bad argument and the errno it must
 * fail with, in each of the two states an area can be in: sized but never
 * mapped, and mapped (backing file created, one page unpinned).  After
 * every rejected call the area must be exactly as before: name, size,
 * mask, file id, pin state of every page and content.
 *
 * Kinds of bad argument: NULL, unmapped, PROT_NONE, read-only (for
 * outputs) and kernel pointers; objects that straddle into an unmapped
 * page; unaligned, overflowing and past-the-end pin ranges; undefined or
 * added prot bits; calls in the wrong state; unknown commands (nearby
 * numbers, wrong direction, size or type bits); the other ABI's numbers.
 *
 * The other ABI: a 64-bit process that uses the 32-bit numbers of
 * SET_SIZE, SET_PROT_MASK or GET_FILE_ID gets ENOTTY.  A 32-bit process
 * (the -m32 build of this file) may use the 64-bit numbers: the driver
 * accepts them, as Android's does, and the 64-bit GET_FILE_ID then writes
 * the kernel's 8-byte unsigned long.
 */
#include "ashmem_helpers.h"

#define AREA_PAGES	4
#define AREA_NAME	"badinput"
#define AREA_MASK	(PROT_READ | PROT_WRITE)
#define SEED		60
#define UNPINNED_PAGE	1

enum arg_kind {
	ARG_VALUE,		/* .value, by value */
	ARG_NULL,
	ARG_UNMAPPED,		/* an address with nothing mapped */
	ARG_PROT_NONE,		/* a mapped page without access */
	ARG_READ_ONLY,		/* a PROT_READ page (full of zeros) */
	ARG_KERNEL,		/* the last page of the address space */
	ARG_STRADDLE,		/* .value bytes before an unmapped page */
	ARG_PIN,		/* a struct ashmem_pin { .off, .len } */
	ARG_NAME_STRADDLE,	/* .value non-NUL bytes up to an unmapped page */
};

struct bad_call {
	const char *what;	/* the behaviour, as a sentence */
	unsigned long cmd;
	enum arg_kind kind;
	unsigned long value;
	unsigned long long off, len;
	int err[2];		/* errno when unmapped, when mapped; 0: n/a */
};

/* What an area looks like from the outside. */
struct area_state {
	char name[ASHMEM_NAME_LEN];
	long size;
	long mask;
	bool mapped;
	unsigned long file_id;
	int pin[AREA_PAGES];
};

FIXTURE(area) {
	int fd;
	size_t ps, size;
	char *addr;		/* the shared mapping, mapped state only */
	char *scratch;		/* rw | unmapped | PROT_NONE | read-only */
	struct area_state before;
};

FIXTURE_VARIANT(area) {
	bool mapped;
};

FIXTURE_VARIANT_ADD(area, unmapped) { .mapped = false };
FIXTURE_VARIANT_ADD(area, mapped) { .mapped = true };

static void snapshot(struct __test_metadata *_metadata, int fd, size_t ps,
		     struct area_state *st)
{
	struct ashmem_pin pin;
	int i;

	memset(st, 0, sizeof(*st));
	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_NAME, st->name));
	st->size = ioctl(fd, ASHMEM_GET_SIZE);
	st->mask = ioctl(fd, ASHMEM_GET_PROT_MASK);
	st->mapped = ioctl(fd, ASHMEM_GET_FILE_ID, &st->file_id) == 0;
	if (!st->mapped) {
		ASSERT_EQ(EINVAL, errno);
		return;
	}
	for (i = 0; i < AREA_PAGES; i++) {
		pin.offset = i * ps;
		pin.len = ps;
		st->pin[i] = ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin);
		ASSERT_LE(0, st->pin[i]);
	}
}

/* Name, size, mask, file id, pin state and content are all unchanged. */
static void assert_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(area) *self, const char *what)
{
	size_t len = AREA_PAGES * self->ps, i;
	struct area_state now;
	char *buf;

	snapshot(_metadata, self->fd, self->ps, &now);
	ASSERT_STREQ(self->before.name, now.name) TH_LOG("after: %s", what);
	ASSERT_EQ(self->before.size, now.size) TH_LOG("after: %s", what);
	ASSERT_EQ(self->before.mask, now.mask) TH_LOG("after: %s", what);
	ASSERT_EQ(self->before.mapped, now.mapped) TH_LOG("after: %s", what);
	ASSERT_EQ(self->before.file_id, now.file_id) TH_LOG("after: %s", what);
	ASSERT_EQ(0, memcmp(self->before.pin, now.pin, sizeof(now.pin))) {
		TH_LOG("pin state changed after: %s", what);
	}
	if (!now.mapped) {
		/* still no backing file: nothing to read */
		errno = 0;
		ASSERT_EQ(-1, pread(self->fd, &i, 1, 0));
		ASSERT_EQ(EBADF, errno);
		return;
	}
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)self->size, pread(self->fd, buf, len, 0));
	for (i = 0; i < AREA_PAGES; i++) {
		const char *page = self->addr + i * self->ps;

		/* only the unpinned page may have been purged meanwhile */
		if (i == UNPINNED_PAGE && is_zero(page, self->ps))
			continue;
		ASSERT_EQ(-1, pattern_mismatch(page, self->ps, SEED,
					       i * self->ps)) {
			TH_LOG("page %zu changed after: %s", i, what);
		}
	}
	ASSERT_EQ(0, memcmp(buf, self->addr, self->size)) {
		TH_LOG("read() and the mapping differ after: %s", what);
	}
	free(buf);
}

FIXTURE_SETUP(area)
{
	size_t ps = page_size();

	self->ps = ps;
	/* not page aligned: ranges end at PAGE_ALIGN(size) */
	self->size = AREA_PAGES * ps - 100;
	self->fd = ashmem_create(_metadata, AREA_NAME, self->size);
	ashmem_assert_set_prot(_metadata, self->fd, AREA_MASK);
	self->addr = NULL;
	if (variant->mapped) {
		self->addr = ashmem_assert_mmap(_metadata, self->fd,
						AREA_PAGES * ps, AREA_MASK,
						MAP_SHARED, 0);
		fill_pattern(self->addr, AREA_PAGES * ps, SEED);
		ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN,
				      UNPINNED_PAGE * ps, ps, 0);
	}

	/* four scratch pages: read-write, unmapped, PROT_NONE, read-only */
	self->scratch = ashmem_assert_mmap(_metadata, -1, 4 * ps,
					   PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_EQ(0, munmap(self->scratch + ps, ps));
	ASSERT_EQ(0, mprotect(self->scratch + 2 * ps, ps, PROT_NONE));
	ASSERT_EQ(0, mprotect(self->scratch + 3 * ps, ps, PROT_READ));
	snapshot(_metadata, self->fd, ps, &self->before);
	ASSERT_EQ(variant->mapped, self->before.mapped);
}

FIXTURE_TEARDOWN(area)
{
	if (self->addr)
		munmap(self->addr, AREA_PAGES * self->ps);
	munmap(self->scratch, 4 * self->ps);
	close(self->fd);
}

static unsigned long bad_arg(FIXTURE_DATA(area) *self,
			     const struct bad_call *c, struct ashmem_pin *pin)
{
	char *hole = self->scratch + self->ps;	/* unmapped */

	switch (c->kind) {
	case ARG_VALUE:
		return c->value;
	case ARG_NULL:
		return 0;
	case ARG_UNMAPPED:
		return (unsigned long)hole;
	case ARG_PROT_NONE:
		return (unsigned long)(self->scratch + 2 * self->ps);
	case ARG_READ_ONLY:
		return (unsigned long)(self->scratch + 3 * self->ps);
	case ARG_KERNEL:
		return -(unsigned long)self->ps;
	case ARG_STRADDLE:
		return (unsigned long)(hole - c->value);
	case ARG_PIN:
		pin->offset = (__u32)c->off;
		pin->len = (__u32)c->len;
		return (unsigned long)pin;
	case ARG_NAME_STRADDLE:
		memset(hole - c->value, 'z', c->value);
		return (unsigned long)(hole - c->value);
	}
	return 0;
}

/* Runs every row that applies to this state; each must fail as listed. */
static void run_table(struct __test_metadata *_metadata,
		      FIXTURE_DATA(area) *self, bool mapped,
		      const struct bad_call *calls, size_t n)
{
	struct ashmem_pin pin;
	size_t i;
	int ret, err;

	for (i = 0; i < n; i++) {
		const struct bad_call *c = &calls[i];
		int expected = c->err[mapped];

		if (!expected)
			continue;
		errno = 0;
		ret = ioctl(self->fd, c->cmd, bad_arg(self, c, &pin));
		err = errno;
		ASSERT_EQ(-1, ret) {
			TH_LOG("%s: ioctl %#lx returned %d", c->what, c->cmd,
			       ret);
		}
		ASSERT_EQ(expected, err) {
			TH_LOG("%s: ioctl %#lx: %s, expected %s", c->what,
			       c->cmd, strerror(err), strerror(expected));
		}
		assert_unchanged(_metadata, self, c->what);
	}
}

#define BOTH(e)		{ e, e }
#define MAPPED_ONLY(e)	{ 0, e }

TEST_F(area, inaccessible_pointers_fail_with_efault)
{
	const unsigned long id_len = sizeof(unsigned long);
	const struct bad_call calls[] = {
		{ "SET_NAME from NULL", ASHMEM_SET_NAME, ARG_NULL,
		  .err = BOTH(EFAULT) },
		{ "SET_NAME from an unmapped page", ASHMEM_SET_NAME,
		  ARG_UNMAPPED, .err = BOTH(EFAULT) },
		{ "SET_NAME from a PROT_NONE page", ASHMEM_SET_NAME,
		  ARG_PROT_NONE, .err = BOTH(EFAULT) },
		{ "SET_NAME from a kernel address", ASHMEM_SET_NAME,
		  ARG_KERNEL, .err = BOTH(EFAULT) },
		{ "SET_NAME of 8 bytes without NUL before an unmapped page",
		  ASHMEM_SET_NAME, ARG_NAME_STRADDLE, 8, .err = BOTH(EFAULT) },
		{ "SET_NAME of 255 bytes without NUL before an unmapped page",
		  ASHMEM_SET_NAME, ARG_NAME_STRADDLE, ASHMEM_NAME_LEN - 1,
		  .err = BOTH(EFAULT) },
		{ "GET_NAME into NULL", ASHMEM_GET_NAME, ARG_NULL,
		  .err = BOTH(EFAULT) },
		{ "GET_NAME into an unmapped page", ASHMEM_GET_NAME,
		  ARG_UNMAPPED, .err = BOTH(EFAULT) },
		{ "GET_NAME into a PROT_NONE page", ASHMEM_GET_NAME,
		  ARG_PROT_NONE, .err = BOTH(EFAULT) },
		{ "GET_NAME into a read-only page", ASHMEM_GET_NAME,
		  ARG_READ_ONLY, .err = BOTH(EFAULT) },
		{ "GET_NAME into a kernel address", ASHMEM_GET_NAME,
		  ARG_KERNEL, .err = BOTH(EFAULT) },
		{ "GET_NAME into 4 bytes before an unmapped page",
		  ASHMEM_GET_NAME, ARG_STRADDLE, 4, .err = BOTH(EFAULT) },
		{ "GET_FILE_ID into NULL", ASHMEM_GET_FILE_ID, ARG_NULL,
		  .err = { EINVAL, EFAULT } },
		{ "GET_FILE_ID into an unmapped page", ASHMEM_GET_FILE_ID,
		  ARG_UNMAPPED, .err = { EINVAL, EFAULT } },
		{ "GET_FILE_ID into a PROT_NONE page", ASHMEM_GET_FILE_ID,
		  ARG_PROT_NONE, .err = { EINVAL, EFAULT } },
		{ "GET_FILE_ID into a read-only page", ASHMEM_GET_FILE_ID,
		  ARG_READ_ONLY, .err = { EINVAL, EFAULT } },
		{ "GET_FILE_ID into a kernel address", ASHMEM_GET_FILE_ID,
		  ARG_KERNEL, .err = { EINVAL, EFAULT } },
		{ "GET_FILE_ID into half a long before an unmapped page",
		  ASHMEM_GET_FILE_ID, ARG_STRADDLE, id_len / 2,
		  .err = { EINVAL, EFAULT } },
	};
	const unsigned long pin_cmds[] = {
		ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS,
	};
	const enum arg_kind pin_kinds[] = {
		ARG_NULL, ARG_UNMAPPED, ARG_PROT_NONE, ARG_KERNEL,
		ARG_STRADDLE,
	};
	struct bad_call pin_calls[ARRAY_SIZE(pin_cmds) * ARRAY_SIZE(pin_kinds)];
	size_t c, k, n = 0;

	run_table(_metadata, self, variant->mapped, calls, ARRAY_SIZE(calls));

	/* struct ashmem_pin from each kind of bad pointer, for all three */
	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++) {
		for (k = 0; k < ARRAY_SIZE(pin_kinds); k++) {
			pin_calls[n] = (struct bad_call) {
				.what = "PIN, UNPIN or GET_PIN_STATUS with a struct ashmem_pin that cannot be read",
				.cmd = pin_cmds[c],
				.kind = pin_kinds[k],
				/* half of the struct before the hole */
				.value = sizeof(struct ashmem_pin) / 2,
				.err = BOTH(EFAULT),
			};
			n++;
		}
	}
	run_table(_metadata, self, variant->mapped, pin_calls, n);
}

TEST_F(area, bad_pin_ranges_fail_with_einval)
{
	const unsigned long long ps = self->ps, end = AREA_PAGES * ps;
	const unsigned long long top = 0xffffffffULL & ~(ps - 1);
	const struct { const char *what; unsigned long long off, len; } r[] = {
		{ "unaligned offset", 1, ps },
		{ "offset of half a page", ps / 2, 0 },
		{ "offset one byte short of a page", ps - 1, ps },
		{ "unaligned length", 0, 1 },
		{ "length one byte over a page", ps, ps + 1 },
		{ "length one byte short of a page", 0, ps - 1 },
		{ "length to the unaligned size", 0, self->size },
		{ "range one page past the end", 0, end + ps },
		{ "range ending past the end", end - ps, 2 * ps },
		{ "range starting at the end", end, ps },
		{ "offset past the end with length 0", end + ps, 0 },
		{ "offset at 2 GiB", 0x80000000ULL, 0 },
		{ "length of 2 GiB", 0, 0x80000000ULL },
		{ "offset plus length wrapping 32 bits", top, 2 * ps },
		{ "length wrapping 32 bits from page 1", ps, top },
		{ "offset and length both at the top", top, top },
		{ "top offset with length 0", top, 0 },
	};
	const unsigned long pin_cmds[] = {
		ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS,
	};
	struct bad_call calls[ARRAY_SIZE(r) * ARRAY_SIZE(pin_cmds)];
	size_t i, c, n = 0;

	for (c = 0; c < ARRAY_SIZE(pin_cmds); c++) {
		for (i = 0; i < ARRAY_SIZE(r); i++) {
			calls[n++] = (struct bad_call) {
				.what = r[i].what,
				.cmd = pin_cmds[c],
				.kind = ARG_PIN,
				.off = r[i].off,
				.len = r[i].len,
				/* never mapped: EINVAL whatever the range */
				.err = BOTH(EINVAL),
			};
		}
	}
	run_table(_metadata, self, variant->mapped, calls, n);
}

TEST_F(area, undefined_or_added_prot_bits_fail_with_einval)
{
	const struct bad_call calls[] = {
		{ "SET_PROT_MASK adding PROT_EXEC", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, PROT_READ | PROT_EXEC, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK of rwx", ASHMEM_SET_PROT_MASK, ARG_VALUE,
		  ASHMEM_PROT_ALL, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK with PROT_SEM", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, PROT_READ | 0x8, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK with bit 4", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, 0x10, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK with PROT_GROWSDOWN", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, PROT_READ | PROT_GROWSDOWN, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK with PROT_GROWSUP", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, PROT_READ | PROT_GROWSUP, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK with bit 31", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, 1UL << 31, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK of all ones", ASHMEM_SET_PROT_MASK,
		  ARG_VALUE, ~0UL, .err = BOTH(EINVAL) },
		{ "SET_PROT_MASK of a pointer", ASHMEM_SET_PROT_MASK,
		  ARG_READ_ONLY, .err = BOTH(EINVAL) },
	};

	run_table(_metadata, self, variant->mapped, calls, ARRAY_SIZE(calls));
}

TEST_F(area, calls_in_the_wrong_state_fail_with_einval)
{
	unsigned long long ps = self->ps;
	const struct bad_call calls[] = {
		{ "SET_SIZE after mmap, same size", ASHMEM_SET_SIZE,
		  ARG_VALUE, AREA_PAGES * ps - 100, .err = MAPPED_ONLY(EINVAL) },
		{ "SET_SIZE after mmap, to 0", ASHMEM_SET_SIZE, ARG_VALUE, 0,
		  .err = MAPPED_ONLY(EINVAL) },
		{ "SET_SIZE after mmap, to a huge size", ASHMEM_SET_SIZE,
		  ARG_VALUE, ~0UL, .err = MAPPED_ONLY(EINVAL) },
		{ "SET_NAME after mmap", ASHMEM_SET_NAME, ARG_READ_ONLY,
		  .err = MAPPED_ONLY(EINVAL) },
		{ "PIN of a valid range before mmap", ASHMEM_PIN, ARG_PIN,
		  .off = 0, .len = ps, .err = { EINVAL, 0 } },
		{ "UNPIN of a valid range before mmap", ASHMEM_UNPIN, ARG_PIN,
		  .off = 0, .len = 0, .err = { EINVAL, 0 } },
		{ "GET_PIN_STATUS before mmap", ASHMEM_GET_PIN_STATUS, ARG_PIN,
		  .off = ps, .len = ps, .err = { EINVAL, 0 } },
		{ "GET_FILE_ID into a valid buffer before mmap",
		  ASHMEM_GET_FILE_ID, ARG_PIN, .err = { EINVAL, 0 } },
	};

	run_table(_metadata, self, variant->mapped, calls, ARRAY_SIZE(calls));
}

TEST_F(area, unknown_commands_fail_with_enotty)
{
	const unsigned long unknown[] = {
		/* nearby numbers */
		_IO(__ASHMEMIOC, 0), _IO(__ASHMEMIOC, 12),
		_IO(__ASHMEMIOC, 13), _IO(__ASHMEMIOC, 0xff),
		/* a known nr with the wrong direction */
		_IOR(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN]),
		_IOWR(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN]),
		_IOW(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN]),
		_IOR(__ASHMEMIOC, 3, size_t),
		_IO(__ASHMEMIOC, 3),
		_IOR(__ASHMEMIOC, 4, size_t),
		_IOR(__ASHMEMIOC, 5, unsigned long),
		_IOR(__ASHMEMIOC, 6, unsigned long),
		_IOR(__ASHMEMIOC, 7, struct ashmem_pin),
		_IO(__ASHMEMIOC, 7),
		_IO(__ASHMEMIOC, 8),
		_IOW(__ASHMEMIOC, 9, struct ashmem_pin),
		_IOWR(__ASHMEMIOC, 9, struct ashmem_pin),
		_IOW(__ASHMEMIOC, 10, int),
		_IOW(__ASHMEMIOC, 11, unsigned long),
		_IO(__ASHMEMIOC, 11),
		/* a known nr with the wrong size */
		_IOW(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN - 1]),
		_IOR(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN * 2]),
		_IOW(__ASHMEMIOC, 3, char),
		_IOW(__ASHMEMIOC, 5, short),
		_IOW(__ASHMEMIOC, 7, __u64[2]),
		_IOW(__ASHMEMIOC, 8, __u32),
		_IOR(__ASHMEMIOC, 11, char),
		/* a known nr and size with another type */
		_IOW(__ASHMEMIOC + 1, 1, char[ASHMEM_NAME_LEN]),
		_IOW(__ASHMEMIOC - 1, 7, struct ashmem_pin),
		_IO(0, 4),
		/* the whole number shifted or truncated */
		ASHMEM_SET_NAME >> 8, ASHMEM_PIN & 0xffff,
		(unsigned long)ASHMEM_GET_SIZE << 16,
	};
	struct bad_call calls[ARRAY_SIZE(unknown)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		calls[i] = (struct bad_call) {
			.what = "an unknown command",
			.cmd = unknown[i],
			/* an argument the real command would accept */
			.kind = ARG_READ_ONLY,
			.err = BOTH(ENOTTY),
		};
	}
	run_table(_metadata, self, variant->mapped, calls, ARRAY_SIZE(calls));
}

/* The numbers a caller of the other word size would use. */
#define SET_SIZE_32	_IOW(__ASHMEMIOC, 3, __u32)
#define SET_PROT_32	_IOW(__ASHMEMIOC, 5, __u32)
#define GET_FILE_ID_32	_IOR(__ASHMEMIOC, 11, __u32)
#define SET_SIZE_64	_IOW(__ASHMEMIOC, 3, __u64)
#define SET_PROT_64	_IOW(__ASHMEMIOC, 5, __u64)
#define GET_FILE_ID_64	_IOR(__ASHMEMIOC, 11, __u64)

TEST_F(area, numbers_of_the_other_abi)
{
	if (sizeof(long) == 8) {
		/* a 64-bit process has no business with 32-bit numbers */
		const struct bad_call calls[] = {
			{ "32-bit SET_SIZE from a 64-bit process", SET_SIZE_32,
			  ARG_VALUE, 1, .err = BOTH(ENOTTY) },
			{ "32-bit SET_PROT_MASK from a 64-bit process",
			  SET_PROT_32, ARG_VALUE, PROT_READ,
			  .err = BOTH(ENOTTY) },
			{ "32-bit GET_FILE_ID from a 64-bit process",
			  GET_FILE_ID_32, ARG_PIN, .err = BOTH(ENOTTY) },
		};

		ASSERT_EQ(0x40047703ul, SET_SIZE_32);
		ASSERT_EQ(0x40047705ul, SET_PROT_32);
		ASSERT_EQ(0x8004770bul, GET_FILE_ID_32);
		run_table(_metadata, self, variant->mapped, calls,
			  ARRAY_SIZE(calls));
		return;
	}

	/*
	 * A 32-bit process using the 64-bit numbers: accepted, as by
	 * Android's driver (its compat_ioctl passes every number it does not
	 * translate through).  GET_FILE_ID_64 writes 8 bytes.
	 */
	{
		unsigned char buf[16];
		__u64 id64;

		memset(buf, 0xAA, sizeof(buf));
		if (!variant->mapped) {
			errno = 0;
			ASSERT_EQ(-1, ioctl(self->fd, GET_FILE_ID_64, buf));
			ASSERT_EQ(EINVAL, errno);
			ASSERT_EQ(0, ioctl(self->fd, SET_SIZE_64, 2 * self->ps));
			ashmem_assert_size(_metadata, self->fd, 2 * self->ps);
			ASSERT_EQ(0, ioctl(self->fd, SET_PROT_64, PROT_READ));
			ashmem_assert_prot(_metadata, self->fd, PROT_READ);
			return;
		}
		ASSERT_EQ(0, ioctl(self->fd, GET_FILE_ID_64, buf));
		memcpy(&id64, buf, sizeof(id64));
		ASSERT_EQ((__u64)self->before.file_id, id64);
		ASSERT_EQ(0xAA, buf[8]);
		errno = 0;
		ASSERT_EQ(-1, ioctl(self->fd, SET_SIZE_64, self->ps));
		ASSERT_EQ(EINVAL, errno);
		assert_unchanged(_metadata, self, "64-bit SET_SIZE after mmap");
		errno = 0;
		ASSERT_EQ(-1, ioctl(self->fd, SET_PROT_64, ASHMEM_PROT_ALL));
		ASSERT_EQ(EINVAL, errno);
		assert_unchanged(_metadata, self, "64-bit SET_PROT_MASK adding exec");
	}
}

/* Commands that take their argument by value ignore pointer-like ones. */
TEST_F(area, getters_ignore_their_argument)
{
	const unsigned long args[] = {
		0, 1, (unsigned long)self->scratch + self->ps, ~0UL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		ASSERT_EQ(self->before.size,
			  ioctl(self->fd, ASHMEM_GET_SIZE, args[i]));
		ASSERT_EQ(self->before.mask,
			  ioctl(self->fd, ASHMEM_GET_PROT_MASK, args[i]));
		assert_unchanged(_metadata, self, "a getter with a junk argument");
	}
}

/*
 * Sizes that no mapping can have: mmap() refuses them and the area stays
 * unmapped, so it can still be resized and then mapped.
 */
struct bad_size {
	const char *what;
	unsigned long size;
	int flags;
	int err;
};

static void assert_mmap_refused_then_fixable(struct __test_metadata *_metadata,
					     const struct bad_size *b)
{
	size_t ps = page_size();
	unsigned long id;
	char *addr;
	int fd = ashmem_create(_metadata, "bad-size", 0);

	ashmem_assert_set_size(_metadata, fd, b->size);
	ashmem_fail_mmap(_metadata, fd, ps, PROT_READ | PROT_WRITE,
			 MAP_SHARED | b->flags, 0, b->err);
	/* GET_SIZE returns an int: compare what fits */
	ASSERT_EQ((int)b->size, ioctl(fd, ASHMEM_GET_SIZE)) TH_LOG("%s", b->what);
	ashmem_assert_name(_metadata, fd, "bad-size");
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id)) TH_LOG("%s", b->what);
	ASSERT_EQ(EINVAL, errno);

	ashmem_assert_set_size(_metadata, fd, ps);
	addr = ashmem_assert_mmap(_metadata, fd, ps, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	addr[0] = 1;
	ASSERT_EQ(0, munmap(addr, ps));
	ASSERT_EQ(0, close(fd));
}

TEST(mmap_of_zero_or_unrepresentable_sizes_fails_and_leaves_area_unmapped)
{
	const bool lp64 = sizeof(long) == 8;
	const unsigned long top_bit = ~0UL - (~0UL >> 1);
	const struct bad_size sizes[] = {
		{ "size 0", 0, 0, EINVAL },
		{ "size 0, MAP_NORESERVE", 0, MAP_NORESERVE, EINVAL },
		/*
		 * In a 64-bit process, PAGE_ALIGN(SIZE_MAX) wraps to 0 and
		 * 2^63 is beyond what a shmem file can be.  A 32-bit
		 * process cannot express either (its sizes fit easily).
		 */
		{ "size SIZE_MAX", ~0UL, MAP_NORESERVE, lp64 ? EINVAL : 0 },
		{ "size 2^63", top_bit, MAP_NORESERVE, lp64 ? EINVAL : 0 },
		{ "size 2^63 + 1", top_bit + 1, MAP_NORESERVE,
		  lp64 ? EINVAL : 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!sizes[i].err)
			continue;
		assert_mmap_refused_then_fixable(_metadata, &sizes[i]);
	}
}

/*
 * Without MAP_NORESERVE the first mmap() accounts the whole size: far
 * more than the machine has fails with ENOMEM (heuristic overcommit), and
 * again leaves the area unmapped.
 */
TEST(mmap_of_a_size_beyond_memory_without_noreserve_fails_with_enomem)
{
	const struct bad_size sizes[] = {
		{ "4 GiB - 1", 0xffffffffUL, 0, ENOMEM },
		{ "3 GiB", 0xc0000000UL, 0, ENOMEM },
	};
	char buf[64];
	size_t i;

	/* the heuristic (0) or strict (2) mode refuse this; 1 would not */
	ASSERT_LT(0, read_text_file("/proc/sys/vm/overcommit_memory", buf,
				    sizeof(buf)));
	ASSERT_NE('1', buf[0]);
	ASSERT_GT(3UL << 30, (unsigned long)sysconf(_SC_PHYS_PAGES) * page_size());
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		assert_mmap_refused_then_fixable(_metadata, &sizes[i]);
}

TEST_HARNESS_MAIN
