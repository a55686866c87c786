// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI that unmodified Android userspace is compiled against: ioctl
 * numbers, constants and struct layout, the driver answering each number
 * (through compat_ioctl in the -m32 build), ENOTTY for anything else, and
 * the state of a freshly opened area.
 */
#include <stddef.h>

#include "ashmem_helpers.h"

struct ioctl_number {
	const char *name;
	unsigned long value;	/* from <linux/ashmem.h> */
	unsigned long lp64;	/* Android's number for a 64-bit caller */
	unsigned long ilp32;	/* Android's number for a 32-bit caller */
};

#define NUMBER(cmd, n64, n32) { #cmd, cmd, n64, n32 }

static const struct ioctl_number ioctl_numbers[] = {
	NUMBER(ASHMEM_SET_NAME,		0x41007701, 0x41007701),
	NUMBER(ASHMEM_GET_NAME,		0x81007702, 0x81007702),
	NUMBER(ASHMEM_SET_SIZE,		0x40087703, 0x40047703),
	NUMBER(ASHMEM_GET_SIZE,		0x00007704, 0x00007704),
	NUMBER(ASHMEM_SET_PROT_MASK,	0x40087705, 0x40047705),
	NUMBER(ASHMEM_GET_PROT_MASK,	0x00007706, 0x00007706),
	NUMBER(ASHMEM_PIN,		0x40087707, 0x40087707),
	NUMBER(ASHMEM_UNPIN,		0x40087708, 0x40087708),
	NUMBER(ASHMEM_GET_PIN_STATUS,	0x00007709, 0x00007709),
	NUMBER(ASHMEM_PURGE_ALL_CACHES,	0x0000770a, 0x0000770a),
	NUMBER(ASHMEM_GET_FILE_ID,	0x8008770b, 0x8004770b),
};

/* This caller's ABI: the numbers that differ follow sizeof(long). */
static unsigned long expected_number(const struct ioctl_number *n)
{
	return sizeof(long) == 8 ? n->lp64 : n->ilp32;
}

TEST(ioctl_numbers_match_android)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ioctl_numbers); i++) {
		const struct ioctl_number *n = &ioctl_numbers[i];

		EXPECT_EQ(expected_number(n), n->value) {
			TH_LOG("%s is %#lx, Android's %zu-bit number is %#lx",
			       n->name, n->value, sizeof(long) * 8,
			       expected_number(n));
		}
	}
}

TEST(constants_and_layout_match_android)
{
	struct ashmem_pin pin;

	EXPECT_EQ(256, ASHMEM_NAME_LEN);
	EXPECT_STREQ("dev/ashmem", ASHMEM_NAME_DEF);
	EXPECT_EQ(0, ASHMEM_NOT_PURGED);
	EXPECT_EQ(1, ASHMEM_WAS_PURGED);
	EXPECT_EQ(0, ASHMEM_IS_UNPINNED);
	EXPECT_EQ(1, ASHMEM_IS_PINNED);
	EXPECT_EQ(0x77, __ASHMEMIOC);
	EXPECT_EQ(8u, sizeof(struct ashmem_pin));
	EXPECT_EQ(0u, offsetof(struct ashmem_pin, offset));
	EXPECT_EQ(4u, offsetof(struct ashmem_pin, len));
	EXPECT_EQ(4u, sizeof(pin.offset));
	EXPECT_EQ(4u, sizeof(pin.len));
}

/*
 * Drives a whole area's life with literal numbers rather than the header's
 * macros, so that a header and driver that agree with each other but not
 * with Android are caught.
 */
TEST(driver_answers_every_android_number)
{
	const bool lp64 = sizeof(long) == 8;
	const unsigned long set_size = lp64 ? 0x40087703 : 0x40047703;
	const unsigned long set_prot = lp64 ? 0x40087705 : 0x40047705;
	const unsigned long get_file_id = lp64 ? 0x8008770b : 0x8004770b;
	const size_t size = 2 * page_size();
	char name[ASHMEM_NAME_LEN];
	struct ashmem_pin pin = { 0, 0 };
	unsigned long id = 0;
	char *addr;
	int fd;

	fd = ashmem_open(_metadata);
	ASSERT_EQ(0, ioctl(fd, 0x41007701, "numbers"));
	memset(name, 0, sizeof(name));
	ASSERT_EQ(0, ioctl(fd, 0x81007702, name));
	ASSERT_STREQ("numbers", name);
	ASSERT_EQ(0, ioctl(fd, set_size, size));
	ASSERT_EQ((long)size, (long)ioctl(fd, 0x7704));
	ASSERT_EQ(0, ioctl(fd, set_prot, PROT_READ | PROT_WRITE));
	ASSERT_EQ(PROT_READ | PROT_WRITE, ioctl(fd, 0x7706));

	addr = ashmem_assert_mmap(_metadata, fd, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	addr[0] = 1;

	ASSERT_EQ(ASHMEM_IS_PINNED, ioctl(fd, 0x7709, &pin));
	ASSERT_EQ(0, ioctl(fd, 0x40087708, &pin));
	ASSERT_EQ(ASHMEM_IS_UNPINNED, ioctl(fd, 0x7709, &pin));
	ASSERT_EQ(ASHMEM_NOT_PURGED, ioctl(fd, 0x40087707, &pin));
	ASSERT_EQ(ASHMEM_IS_PINNED, ioctl(fd, 0x7709, &pin));
	ASSERT_LE(0, ioctl(fd, 0x770a)) TH_LOG("PURGE_ALL_CACHES: %s",
					       strerror(errno));
	ASSERT_EQ(0, ioctl(fd, get_file_id, &id)) TH_LOG("GET_FILE_ID: %s",
							 strerror(errno));
	ASSERT_NE(0ul, id);
	ASSERT_EQ(1, addr[0]);

	ASSERT_EQ(0, munmap(addr, size));
	ASSERT_EQ(0, close(fd));
}

TEST(unknown_ioctl_fails_with_enotty)
{
	const unsigned long unknown[] = {
		_IO(__ASHMEMIOC, 0),
		_IO(__ASHMEMIOC, 12),
		_IOR(__ASHMEMIOC, 200, int),
		_IOW(__ASHMEMIOC, 1, int),	/* SET_NAME's nr, wrong size */
		_IO('x', 1),
		0,
	};
	char buf[ASHMEM_NAME_LEN];
	size_t i;
	int fd;

	fd = ashmem_create(_metadata, "unknown", page_size());
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		memset(buf, 0, sizeof(buf));
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, unknown[i], buf)) {
			TH_LOG("ioctl %#lx accepted", unknown[i]);
		}
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("ioctl %#lx: %s", unknown[i], strerror(errno));
		}
	}
	/* isatty() issues TCGETS, which libcutils-era code also relies on. */
	errno = 0;
	EXPECT_EQ(0, isatty(fd));
	EXPECT_EQ(ENOTTY, errno);

	ashmem_assert_name(_metadata, fd, "unknown");
	ashmem_assert_size(_metadata, fd, page_size());
	ashmem_assert_prot(_metadata, fd, ASHMEM_PROT_ALL);
	ASSERT_EQ(0, close(fd));
}

TEST(open_gives_empty_unnamed_area_with_full_mask)
{
	unsigned long id = 0;
	char buf[16];
	int fd;

	fd = ashmem_open(_metadata);
	ashmem_assert_size(_metadata, fd, 0);
	ashmem_assert_prot(_metadata, fd, ASHMEM_PROT_ALL);
	ashmem_assert_name(_metadata, fd, ASHMEM_NAME_DEF);

	/* No backing file yet: nothing to identify, pin, map or seek. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id));
	EXPECT_EQ(EINVAL, errno);
	ashmem_fail_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, 0, EINVAL);
	ashmem_fail_mmap(_metadata, fd, page_size(), PROT_READ, MAP_SHARED, 0,
			 EINVAL);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, close(fd));
}

TEST(each_open_is_a_new_area)
{
	int a, b;

	a = ashmem_create(_metadata, "first", 3 * page_size());
	ashmem_assert_set_prot(_metadata, a, PROT_READ);
	b = ashmem_open(_metadata);

	ashmem_assert_name(_metadata, b, ASHMEM_NAME_DEF);
	ashmem_assert_size(_metadata, b, 0);
	ashmem_assert_prot(_metadata, b, ASHMEM_PROT_ALL);
	ashmem_assert_name(_metadata, a, "first");
	ashmem_assert_size(_metadata, a, 3 * page_size());
	ashmem_assert_prot(_metadata, a, PROT_READ);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(b));
}

TEST(read_only_open_is_a_usable_area)
{
	char *addr;
	int fd;

	fd = ashmem_open_flags(_metadata, O_RDONLY);
	ashmem_assert_set_name(_metadata, fd, "rdonly");
	ashmem_assert_set_size(_metadata, fd, page_size());
	ashmem_assert_name(_metadata, fd, "rdonly");
	ashmem_assert_size(_metadata, fd, page_size());
	/* The VFS refuses a writable shared mapping of a read-only file. */
	ashmem_fail_mmap(_metadata, fd, page_size(), PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0, EACCES);
	addr = ashmem_assert_mmap(_metadata, fd, page_size(), PROT_READ,
				  MAP_SHARED, 0);
	ASSERT_EQ(0, addr[0]);
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

TEST(device_node_is_a_character_device_with_size_zero)
{
	struct stat dev, st;
	int fd;

	ASSERT_EQ(0, stat(ASHMEM_DEVICE, &dev));
	ASSERT_TRUE(S_ISCHR(dev.st_mode));
	ASSERT_NE(0u, dev.st_rdev);
	/* mode 0666: any process may create areas */
	ASSERT_EQ(0666u, dev.st_mode & 0777);

	fd = ashmem_create(_metadata, "stat", 5 * page_size());
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_TRUE(is_ashmem_fd(fd));
	/* libcutils: the size comes from GET_SIZE, never from st_size. */
	ASSERT_EQ(0, st.st_size);
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
