// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes sharing one area, handed over by fork() and by SCM_RIGHTS
 * over a Unix socket: each sees the other's writes, the mask is one per area
 * (whoever narrows it narrows it for all), and a receiver that gets or makes
 * the area read-only cannot map it writable.
 *
 * The processes take turns through one-byte messages on a socketpair; the
 * child reports its verdict through its exit status.
 */
#include "ashmem_helpers.h"

#define AREA_PAGES	3

/* Messages between parent and child. */
enum {
	MSG_GO = 'g',		/* your turn */
	MSG_DONE = 'd',		/* my part is done, your turn */
};

FIXTURE(pair) {
	int sock[2];		/* [0] parent's end, [1] child's end */
	size_t len;
};

FIXTURE_SETUP(pair)
{
	self->len = AREA_PAGES * page_size();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				self->sock));
}

FIXTURE_TEARDOWN(pair)
{
	EXPECT_EQ(0, close(self->sock[0]));
	if (self->sock[1] >= 0) {
		EXPECT_EQ(0, close(self->sock[1]));
	}
}

/*
 * In the parent after fork(): let go of the child's end, so that a child
 * that dies early shows up as end of file instead of a hang.
 */
static void parent_side(struct __test_metadata *_metadata,
			FIXTURE_DATA(pair) *self)
{
	ASSERT_EQ(0, close(self->sock[1]));
	self->sock[1] = -1;
}

/* Waits for @expected from the peer; a CHILD_CHECK for the child side. */
#define CHILD_WAIT(sock, expected) CHILD_CHECK(recv_byte(sock) == (expected))

TEST_F(pair, fork_shares_writes_both_ways)
{
	const size_t len = self->len, half = len / 2;
	char *addr, *buf;
	pid_t pid;
	int fd = ashmem_create(_metadata, "fork-share", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 40);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int sock = self->sock[1];
		char *mine = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

		CHILD_CHECK(mine != MAP_FAILED);
		CHILD_CHECK(check_pattern(mine, len, 40));
		CHILD_CHECK(check_pattern(addr, len, 40));
		fill_pattern(mine + half, len - half, 41);
		CHILD_CHECK(send_byte(sock, MSG_DONE) == 0);
		CHILD_WAIT(sock, MSG_GO);
		CHILD_CHECK(is_zero(mine, half));
		CHILD_CHECK(is_zero(addr, half));
		_exit(0);
	}
	parent_side(_metadata, self);

	ASSERT_EQ(MSG_DONE, recv_byte(self->sock[0]));
	ASSERT_TRUE(check_pattern(addr + half, len - half, 41));
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)(len - half), pread(fd, buf, len - half, half));
	ASSERT_TRUE(check_pattern(buf, len - half, 41));
	free(buf);
	memset(addr, 0, half);
	ASSERT_EQ(0, send_byte(self->sock[0], MSG_GO));
	assert_child_ok(_metadata, pid);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/* libcutils' ForkMultiRegionTest: many areas, all visible to the child. */
TEST_F(pair, fork_shares_many_areas)
{
	const size_t len = page_size();
	int fds[16];
	size_t i;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		char *addr;

		fds[i] = ashmem_create(_metadata, "multi", len);
		addr = ashmem_assert_mmap(_metadata, fds[i], len,
					  PROT_READ | PROT_WRITE, MAP_SHARED,
					  0);
		fill_pattern(addr, len, 50 + i);
		ASSERT_EQ(0, munmap(addr, len));
	}

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < ARRAY_SIZE(fds); i++) {
			char *addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
					  MAP_SHARED, fds[i], 0);

			CHILD_CHECK(addr != MAP_FAILED);
			CHILD_CHECK(check_pattern(addr, len, 50 + i));
			memset(addr, 0, len);
			CHILD_CHECK(munmap(addr, len) == 0);
		}
		_exit(0);
	}
	assert_child_ok(_metadata, pid);

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		char *addr = ashmem_assert_mmap(_metadata, fds[i], len,
						PROT_READ, MAP_SHARED, 0);

		ASSERT_TRUE(is_zero(addr, len)) TH_LOG("area %zu", i);
		ASSERT_EQ(0, munmap(addr, len));
		ASSERT_EQ(0, close(fds[i]));
	}
}

/* libcutils' ForkProtTest: a mask narrowed by the child binds the parent. */
TEST_F(pair, mask_narrowed_by_child_binds_parent)
{
	const int masks[] = { PROT_READ, PROT_WRITE };
	const size_t len = page_size();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		int fd = ashmem_create(_metadata, "fork-prot", len);
		pid_t pid = fork_child();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			CHILD_CHECK(ioctl(fd, ASHMEM_SET_PROT_MASK,
					  masks[i]) == 0);
			_exit(0);
		}
		assert_child_ok(_metadata, pid);
		ashmem_assert_prot(_metadata, fd, masks[i]);
		ashmem_fail_mmap(_metadata, fd, len, masks[1 - i], MAP_SHARED,
				 0, EPERM);
		ASSERT_EQ(0, close(fd));
	}
}

/*
 * The receiving side of an SCM_RIGHTS hand-over: receives the area, checks
 * it is the one that was sent, maps it writable, sees the sender's pattern
 * 60 and writes pattern 61 over the second half; then waits for the
 * sender's next write (zeros over the first half) and sees it.
 */
static void __attribute__((noreturn))
receive_and_share(int sock, size_t len)
{
	size_t half = len / 2;
	char name[ASHMEM_NAME_LEN];
	char *addr;
	int fd;

	fd = recv_fd(sock);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(is_ashmem_fd(fd));
	CHILD_CHECK(ioctl(fd, ASHMEM_GET_NAME, name) == 0);
	CHILD_CHECK(!strcmp(name, "handover"));
	CHILD_CHECK(ioctl(fd, ASHMEM_GET_SIZE) == (int)len);
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHILD_CHECK(addr != MAP_FAILED);
	CHILD_CHECK(check_pattern(addr, len, 60));
	fill_pattern(addr + half, len - half, 61);
	CHILD_CHECK(send_byte(sock, MSG_DONE) == 0);
	CHILD_WAIT(sock, MSG_GO);
	CHILD_CHECK(is_zero(addr, half));
	CHILD_CHECK(check_pattern(addr + half, len - half, 61));
	_exit(0);
}

TEST_F(pair, scm_rights_shares_writes_both_ways)
{
	const size_t len = self->len, half = len / 2;
	char *addr;
	pid_t pid;
	int fd;

	/* the child exists before the area: only the socket can bring it */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		receive_and_share(self->sock[1], len);
	parent_side(_metadata, self);

	fd = ashmem_create(_metadata, "handover", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 60);
	ASSERT_EQ(0, send_fd(self->sock[0], fd));
	ASSERT_EQ(0, close(fd));	/* the child's copy keeps the area */

	ASSERT_EQ(MSG_DONE, recv_byte(self->sock[0]));
	ASSERT_TRUE(check_pattern(addr, half, 60));
	ASSERT_TRUE(check_pattern(addr + half, len - half, 61));
	memset(addr, 0, half);
	ASSERT_EQ(0, send_byte(self->sock[0], MSG_GO));
	assert_child_ok(_metadata, pid);
	ASSERT_EQ(0, munmap(addr, len));
}

/*
 * A receiver that wants a read-only view narrows the mask itself: from then
 * on nobody can map the area writable, but the sender's existing writable
 * mapping keeps working and the receiver sees its writes.
 */
static void __attribute__((noreturn))
receive_and_restrict(int sock, size_t len)
{
	char *addr;
	int fd;

	fd = recv_fd(sock);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(ioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ) == 0);
	CHILD_CHECK(ioctl(fd, ASHMEM_GET_PROT_MASK) == PROT_READ);
	CHILD_CHECK(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0) == MAP_FAILED && errno == EPERM);
	CHILD_CHECK(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
			 0) == MAP_FAILED && errno == EPERM);
	CHILD_CHECK(ioctl(fd, ASHMEM_SET_PROT_MASK,
			  PROT_READ | PROT_WRITE) == -1 && errno == EINVAL);
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHILD_CHECK(addr != MAP_FAILED);
	CHILD_CHECK(check_pattern(addr, len, 70));
	CHILD_CHECK(mprotect(addr, len, PROT_READ | PROT_WRITE) == -1 &&
		    errno == EACCES);
	CHILD_CHECK(probe_write(addr, 'x') == SIGSEGV);
	CHILD_CHECK(send_byte(sock, MSG_DONE) == 0);

	CHILD_WAIT(sock, MSG_GO);
	CHILD_CHECK(check_pattern(addr, len, 71));
	_exit(0);
}

TEST_F(pair, receiver_restricting_mask_gets_read_only_view)
{
	const size_t len = self->len;
	char *addr;
	pid_t pid;
	int fd;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		receive_and_restrict(self->sock[1], len);
	parent_side(_metadata, self);

	fd = ashmem_create(_metadata, "restricted", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 70);
	ASSERT_EQ(0, send_fd(self->sock[0], fd));
	ASSERT_EQ(MSG_DONE, recv_byte(self->sock[0]));

	/* the mask is the area's: the sender is bound by it as well */
	ashmem_assert_prot(_metadata, fd, PROT_READ);
	ashmem_fail_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0, EPERM);
	/* ...but its existing writable mapping is untouched */
	ASSERT_TRUE(check_pattern(addr, len, 70));
	fill_pattern(addr, len, 71);
	ASSERT_EQ(0, send_byte(self->sock[0], MSG_GO));
	assert_child_ok(_metadata, pid);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/*
 * The sender makes the area read-only before handing it over: the receiver
 * can only map it read-only, and sees the sender's later writes.
 */
static void __attribute__((noreturn))
receive_read_only(int sock, size_t len)
{
	char *addr;
	int fd;

	fd = recv_fd(sock);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(ioctl(fd, ASHMEM_GET_PROT_MASK) == PROT_READ);
	CHILD_CHECK(mmap(NULL, len, PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED && errno == EPERM);
	CHILD_CHECK(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0) == MAP_FAILED && errno == EPERM);
	CHILD_CHECK(ioctl(fd, ASHMEM_SET_PROT_MASK, ASHMEM_PROT_ALL) == -1 &&
		    errno == EINVAL);
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHILD_CHECK(addr != MAP_FAILED);
	CHILD_CHECK(check_pattern(addr, len, 80));
	CHILD_CHECK(mprotect(addr, len, PROT_READ | PROT_WRITE) == -1 &&
		    errno == EACCES);
	CHILD_CHECK(send_byte(sock, MSG_DONE) == 0);
	CHILD_WAIT(sock, MSG_GO);
	CHILD_CHECK(check_pattern(addr, len, 81));
	CHILD_CHECK(ioctl(fd, ASHMEM_GET_PROT_MASK) == PROT_READ);
	_exit(0);
}

TEST_F(pair, receiver_of_read_only_area_cannot_map_it_writable)
{
	const size_t len = self->len;
	char *addr;
	pid_t pid;
	int fd;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		receive_read_only(self->sock[1], len);
	parent_side(_metadata, self);

	fd = ashmem_create(_metadata, "read-only", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 80);
	ashmem_assert_set_prot(_metadata, fd, PROT_READ);
	ASSERT_EQ(0, send_fd(self->sock[0], fd));
	ASSERT_EQ(MSG_DONE, recv_byte(self->sock[0]));
	fill_pattern(addr, len, 81);
	ASSERT_EQ(0, send_byte(self->sock[0], MSG_GO));
	assert_child_ok(_metadata, pid);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
