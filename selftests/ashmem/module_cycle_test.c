// SPDX-License-Identifier: GPL-2.0
/*
 * Load and unload, many times.  Between cycles areas are created, mapped,
 * written, unpinned, purged, pinned and freed, while another thread keeps
 * the shrinker running (drop_caches), so that unregistering the shrinker
 * meets a running scan.  kmemleak (debug lane) checks after the run that
 * no cycle leaked.
 *
 * module_test covers unloading refused while the area is held by a forked
 * child's descriptor or shared mapping.  Here: held by a process that got
 * the descriptor over a Unix socket and never inherited it, and by nothing
 * but a private mapping in another process.
 *
 * Every test leaves the module loaded.  Needs CAP_SYS_MODULE and $ASHMEM_KO.
 */
#include <sys/syscall.h>

#include "ashmem_helpers.h"

#define MODULE_DIR	"/sys/module/" ASHMEM_MODULE
#define DEFAULT_KO	"/lib/modules/ashmem_linux.ko"

static const char *module_file(void)
{
	const char *path = getenv("ASHMEM_KO");

	return path && *path ? path : DEFAULT_KO;
}

static bool module_loaded(void)
{
	return access(MODULE_DIR, F_OK) == 0;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, ASHMEM_MODULE, O_NONBLOCK);
}

static int load_module(void)
{
	int fd = open(module_file(), O_RDONLY | O_CLOEXEC);
	int ret, saved;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* One area's whole life: map, write, unpin, purge, pin, check, free. */
static void area_life(struct __test_metadata *_metadata, unsigned int seed)
{
	size_t ps = page_size(), len = 4 * ps;
	char *shared, *priv;
	int fd = ashmem_create(_metadata, "cycle", len);

	shared = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0);
	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	fill_pattern(shared, len, seed);
	priv[0] = 1;
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, ps, 2 * ps, 0);
	/* 0 if the drop_caches thread was first: purged all the same */
	ASSERT_LE(0, ioctl(fd, ASHMEM_PURGE_ALL_CACHES));
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, ps, 2 * ps,
			      ASHMEM_WAS_PURGED);
	ASSERT_TRUE(check_pattern(shared, ps, seed));
	ASSERT_TRUE(is_zero(shared + ps, 2 * ps));
	/* an unpinned range left behind at close */
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 3 * ps, ps, 0);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, munmap(priv, len));
	ASSERT_EQ(0, munmap(shared, len));
}

/*
 * Unloads the module.  A purge that overlapped the last close may hold a
 * backing file (and so the module) until the purging thread, here the
 * drop_caches one, returns to user space: "in use" is retried a bounded
 * number of times, yielding in between.
 */
static int unload_when_free(void)
{
	int tries;

	for (tries = 0; tries < 100000; tries++) {
		if (!unload_module())
			return 0;
		if (errno != EAGAIN)
			return -1;
		sched_yield();
	}
	return -1;
}

FIXTURE(cycle) {
	int drop_fd;
	atomic_bool stop;
	struct spin_thread dropper;
	bool dropping;
};

static void *drop_caches_loop(void *arg)
{
	FIXTURE_DATA(cycle) *self = arg;

	while (!atomic_load(&self->stop))
		if (pwrite(self->drop_fd, "2", 1, 0) != 1)
			break;
	return NULL;
}

FIXTURE_SETUP(cycle)
{
	ASSERT_TRUE(module_loaded()) TH_LOG("%s is not loaded", ASHMEM_MODULE);
	self->dropping = false;
	self->drop_fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->drop_fd);
	/* 4: no log line per write from now on */
	ASSERT_EQ(1, pwrite(self->drop_fd, "4", 1, 0));
}

FIXTURE_TEARDOWN(cycle)
{
	if (self->dropping) {
		atomic_store(&self->stop, true);
		spin_thread_wait(&self->dropper);
	}
	close(self->drop_fd);
	if (!module_loaded()) {
		EXPECT_EQ(0, load_module()) {
			TH_LOG("could not reload %s: %s", module_file(),
			       strerror(errno));
		}
	}
}

TEST_F_TIMEOUT(cycle, unload_and_reload_many_times_with_areas_between, 900)
{
	/* the 32-bit copy checks the compat syscalls; fewer cycles do */
	const int cycles = sizeof(long) == 8 ? 100 : 20;
	int i, j;

	atomic_store(&self->stop, false);
	ASSERT_EQ(0, spin_thread_start(&self->dropper, drop_caches_loop, self));
	self->dropping = true;
	for (i = 0; i < cycles; i++) {
		for (j = 0; j < 3; j++)
			area_life(_metadata, i * 3 + j);
		ASSERT_EQ(0, unload_when_free()) {
			TH_LOG("cycle %d: delete_module: %s", i, strerror(errno));
		}
		ASSERT_FALSE(module_loaded());
		ASSERT_EQ(0, load_module()) {
			TH_LOG("cycle %d: finit_module(%s): %s", i,
			       module_file(), strerror(errno));
		}
		ASSERT_TRUE(module_loaded());
	}
	area_life(_metadata, 1000);
	atomic_store(&self->stop, true);
	spin_thread_wait(&self->dropper);
	self->dropping = false;
}

/*
 * Held by another process: one that received the descriptor over a Unix
 * socket (it was forked before the area existed), or one that keeps only
 * a private mapping after every descriptor is closed.
 */
FIXTURE(held) {
	int sock[2];
	pid_t pid;
};

FIXTURE_VARIANT(held) {
	bool keep_fd;
};

FIXTURE_VARIANT_ADD(held, by_received_descriptor) { .keep_fd = true };
FIXTURE_VARIANT_ADD(held, by_private_mapping_only) { .keep_fd = false };

FIXTURE_SETUP(held)
{
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sock));
	self->pid = -1;
}

FIXTURE_TEARDOWN(held)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	close(self->sock[0]);
	close(self->sock[1]);
	if (!module_loaded())
		EXPECT_EQ(0, load_module());
}

TEST_F(held, unload_refused_while_another_process_holds_the_area)
{
	size_t len = page_size();
	int fd;

	self->pid = fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		char *priv = NULL;
		int got;

		CHILD_CHECK(close(self->sock[0]) == 0);
		got = recv_fd(self->sock[1]);
		CHILD_CHECK(got >= 0);
		CHILD_CHECK(is_ashmem_fd(got));
		if (!variant->keep_fd) {
			priv = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE, got, 0);
			CHILD_CHECK(priv != MAP_FAILED);
			priv[0] = 'p';
			CHILD_CHECK(close(got) == 0);
		}
		CHILD_CHECK(send_byte(self->sock[1], 'r') == 0);
		CHILD_CHECK(recv_byte(self->sock[1]) == 'g');
		if (priv)
			CHILD_CHECK(priv[0] == 'p' && munmap(priv, len) == 0);
		else
			CHILD_CHECK(close(got) == 0);
		CHILD_CHECK(send_byte(self->sock[1], 'd') == 0);
		CHILD_CHECK(recv_byte(self->sock[1]) == -1);
		_exit(0);
	}
	/* the area is created after the fork: the child cannot inherit it */
	fd = ashmem_create(_metadata, "sent", len);
	ASSERT_EQ(0, send_fd(self->sock[0], fd));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ('r', recv_byte(self->sock[0]));

	errno = 0;
	ASSERT_EQ(-1, unload_module());
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_TRUE(module_loaded());

	ASSERT_EQ(0, send_byte(self->sock[0], 'g'));
	ASSERT_EQ('d', recv_byte(self->sock[0]));
	/* the child let go: now it unloads */
	ASSERT_EQ(0, unload_module()) TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_EQ(0, load_module());
	ASSERT_EQ(0, close(self->sock[0]));
	self->sock[0] = -1;
	assert_child_ok(_metadata, self->pid);
	self->pid = -1;
}

TEST_HARNESS_MAIN
