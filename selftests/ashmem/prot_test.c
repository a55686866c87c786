// SPDX-License-Identifier: GPL-2.0
/*
 * Protection masks: ASHMEM_SET_PROT_MASK / ASHMEM_GET_PROT_MASK and how the
 * mask limits mmap() (EPERM) and mprotect() (EACCES).  The mask only ever
 * narrows, and narrowing it affects later mappings only.
 */
#include <sys/personality.h>
#include <sys/statvfs.h>

#include "ashmem_helpers.h"

static const char *prot_str(int prot)
{
	static const char *const names[] = {
		"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx",
	};

	return names[prot & 7];
}

/* Exec mappings of /dev/ashmem need /dev without noexec (devtmpfs may be). */
static bool dev_allows_exec(void)
{
	struct statvfs st;

	return statvfs(ASHMEM_DEVICE, &st) == 0 && !(st.f_flag & ST_NOEXEC);
}

/* Every mask and every request: only subsets of the mask are accepted. */
TEST(prot_mask_only_narrows)
{
	int from, to, fd;

	/* with READ_IMPLIES_EXEC the driver adds PROT_EXEC, by design */
	ASSERT_EQ(0, personality(0xffffffff) & READ_IMPLIES_EXEC);

	for (from = 0; from <= ASHMEM_PROT_ALL; from++) {
		for (to = 0; to <= ASHMEM_PROT_ALL; to++) {
			fd = ashmem_create(_metadata, "narrow", page_size());
			ashmem_assert_set_prot(_metadata, fd, from);
			ashmem_assert_prot(_metadata, fd, from);
			if ((to & ~from) == 0) {
				ashmem_assert_set_prot(_metadata, fd, to);
				ashmem_assert_prot(_metadata, fd, to);
			} else {
				ashmem_fail_set_prot(_metadata, fd, to, EINVAL);
				ashmem_assert_prot(_metadata, fd, from);
			}
			ASSERT_EQ(0, close(fd));
		}
	}
}

TEST(undefined_prot_bits_fail_with_einval)
{
	const unsigned long bad[] = {
		0x8, 0x10, ASHMEM_PROT_ALL | 0x8, 1UL << 31, ~0UL,
		PROT_READ | (1UL << 24),
	};
	size_t i;
	int fd = ashmem_create(_metadata, "undefined", page_size());

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ashmem_fail_set_prot(_metadata, fd, bad[i], EINVAL);
		ashmem_assert_prot(_metadata, fd, ASHMEM_PROT_ALL);
	}
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ashmem_fail_set_prot(_metadata, fd, bad[i], EINVAL);
		ashmem_assert_prot(_metadata, fd, PROT_READ);
	}
	ASSERT_EQ(0, close(fd));
}

/*
 * mmap() with a mask: every request that is a subset of the mask maps,
 * every other one fails with EPERM, for shared and private mappings.
 */
FIXTURE(masked) {
	int fd;
};

FIXTURE_VARIANT(masked) {
	int mask;
};

FIXTURE_VARIANT_ADD(masked, none) { .mask = PROT_NONE };
FIXTURE_VARIANT_ADD(masked, read) { .mask = PROT_READ };
FIXTURE_VARIANT_ADD(masked, write) { .mask = PROT_WRITE };
FIXTURE_VARIANT_ADD(masked, read_write) { .mask = PROT_READ | PROT_WRITE };
FIXTURE_VARIANT_ADD(masked, read_exec) { .mask = PROT_READ | PROT_EXEC };
FIXTURE_VARIANT_ADD(masked, all) { .mask = ASHMEM_PROT_ALL };

FIXTURE_SETUP(masked)
{
	self->fd = ashmem_create(_metadata, "masked", 2 * page_size());
	ashmem_assert_set_prot(_metadata, self->fd, variant->mask);
}

FIXTURE_TEARDOWN(masked)
{
	EXPECT_EQ(0, close(self->fd));
}

TEST_F(masked, mmap_beyond_mask_fails_with_eperm)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	size_t len = 2 * page_size();
	int prot;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		for (prot = 0; prot <= ASHMEM_PROT_ALL; prot++) {
			bool allowed = (prot & ~variant->mask) == 0;
			void *addr;

			if ((prot & PROT_EXEC) && !dev_allows_exec())
				allowed = false;
			if (!allowed) {
				ashmem_fail_mmap(_metadata, self->fd, len, prot,
						 flags[i], 0, EPERM);
				continue;
			}
			addr = ashmem_assert_mmap(_metadata, self->fd, len,
						  prot, flags[i], 0);
			ASSERT_EQ(0, munmap(addr, len));
		}
	}
	ashmem_assert_prot(_metadata, self->fd, variant->mask);
}

/* Adding a permission the mask lacks to an existing mapping: EACCES. */
TEST_F(masked, mprotect_beyond_mask_fails_with_eacces)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	size_t len = 2 * page_size();
	size_t i;
	int prot;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		char *addr = ashmem_assert_mmap(_metadata, self->fd, len,
						PROT_NONE, flags[i], 0);

		for (prot = 0; prot <= ASHMEM_PROT_ALL; prot++) {
			bool allowed = (prot & ~variant->mask) == 0;

			if ((prot & PROT_EXEC) && !dev_allows_exec())
				allowed = false;
			errno = 0;
			ASSERT_EQ(allowed ? 0 : -1, mprotect(addr, len, prot)) {
				TH_LOG("mask %s, %s mapping, mprotect %s: %s",
				       prot_str(variant->mask),
				       flags[i] == MAP_SHARED ? "shared" : "private",
				       prot_str(prot), strerror(errno));
			}
			if (!allowed) {
				ASSERT_EQ(EACCES, errno);
			}
		}
		ASSERT_EQ(0, munmap(addr, len));
	}
}

/* What the mask refuses, the page tables refuse too. */
TEST_F(masked, access_beyond_mask_faults)
{
	size_t len = 2 * page_size();
	char *addr;

	if (!(variant->mask & PROT_READ)) {
		/* PROT_NONE is always allowed and must fault on access */
		addr = ashmem_assert_mmap(_metadata, self->fd, len, PROT_NONE,
					  MAP_SHARED, 0);
		ASSERT_EQ(SIGSEGV, probe_read(addr, NULL));
		ASSERT_EQ(SIGSEGV, probe_write(addr + page_size(), 1));
		ASSERT_EQ(0, munmap(addr, len));
		return;
	}
	addr = ashmem_assert_mmap(_metadata, self->fd, len, PROT_READ,
				  MAP_SHARED, 0);
	ASSERT_EQ(0, probe_read(addr, NULL));
	ASSERT_EQ(SIGSEGV, probe_write(addr, 1));
	ASSERT_EQ(SIGSEGV, probe_write(addr + len - 1, 1));
	ASSERT_EQ(0, addr[0]);
	ASSERT_EQ(0, munmap(addr, len));
}

/*
 * Narrowing the mask leaves existing mappings as they are (including their
 * right to mprotect() back to what they had); only later mmap() calls are
 * refused.
 */
TEST(mask_change_affects_only_later_mappings)
{
	size_t len = page_size();
	char *rw, *ro;
	int fd = ashmem_create(_metadata, "later", len);

	rw = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);

	ASSERT_EQ(0, probe_write(rw, 'w'));
	ASSERT_EQ(0, mprotect(rw, len, PROT_READ));
	ASSERT_EQ(SIGSEGV, probe_write(rw, 'x'));
	ASSERT_EQ(0, mprotect(rw, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, probe_write(rw + 1, 'v'));

	ashmem_fail_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 0, EPERM);
	ashmem_fail_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE, 0, EPERM);
	ro = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	/* the old writable mapping and the new read-only one share content */
	ASSERT_EQ('w', ro[0]);
	ASSERT_EQ('v', ro[1]);
	rw[2] = 'u';
	ASSERT_EQ('u', ro[2]);
	errno = 0;
	ASSERT_EQ(-1, mprotect(ro, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);

	ASSERT_EQ(0, munmap(rw, len));
	ASSERT_EQ(0, munmap(ro, len));
	ashmem_assert_prot(_metadata, fd, PROT_READ);
	ASSERT_EQ(0, close(fd));
}

/* The mask may be narrowed before the first mmap(), and that one obeys it. */
TEST(mask_set_before_first_mmap_applies_to_it)
{
	size_t len = page_size();
	char *addr;
	int fd = ashmem_create(_metadata, "first", len);

	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ashmem_fail_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 0, EPERM);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_EQ(0, addr[len - 1]);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
