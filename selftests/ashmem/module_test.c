// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: ashmem_linux cannot be unloaded while any area or any
 * mapping of one exists, in any process (a backing file kept otherwise is
 * shmem's and does not count); once everything is gone it
 * unloads, /dev/ashmem goes away, and loading it again ($ASHMEM_KO) brings
 * back a working device.  Loading it a second time fails with EEXIST.
 *
 * Every test leaves the module loaded, also when it fails (the fixture's
 * teardown reloads it).  Needs CAP_SYS_MODULE (the guest runs as root).
 */
#include <sys/syscall.h>

#include "ashmem_helpers.h"

#define MODULE_DIR	"/sys/module/" ASHMEM_MODULE
#define DEFAULT_KO	"/lib/modules/ashmem_linux.ko"

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

static int finit_module(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags);
}

static const char *module_file(void)
{
	const char *path = getenv("ASHMEM_KO");

	return path && *path ? path : DEFAULT_KO;
}

static bool module_loaded(void)
{
	return access(MODULE_DIR, F_OK) == 0;
}

/* finit_module() of $ASHMEM_KO; 0, or -1 with errno. */
static int load_module(void)
{
	int fd = open(module_file(), O_RDONLY | O_CLOEXEC);
	int ret, saved;

	if (fd < 0)
		return -1;
	ret = finit_module(fd, "", 0);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* Something still uses the module: unloading is refused, nothing changes. */
static void assert_unload_refused(struct __test_metadata *_metadata)
{
	int ret = delete_module(ASHMEM_MODULE, O_NONBLOCK);

	ASSERT_EQ(-1, ret) TH_LOG("the module unloaded while in use");
	/* EAGAIN (== EWOULDBLOCK): the kernel's "module is in use" */
	ASSERT_EQ(EAGAIN, errno) TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, access(ASHMEM_DEVICE, F_OK));
}

/* A full round trip on a new area: the device works. */
static void assert_device_works(struct __test_metadata *_metadata)
{
	size_t len = 2 * page_size();
	char *addr, *buf;
	int fd = ashmem_create(_metadata, "module-check", len);

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 90);
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	ASSERT_TRUE(check_pattern(buf, len, 90));
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_NOT_PURGED);
	free(buf);
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));
}

/* Nothing uses the module any more: it unloads, and loads again. */
static void assert_unload_and_reload(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, delete_module(ASHMEM_MODULE, O_NONBLOCK)) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	ASSERT_FALSE(module_loaded());
	errno = 0;
	ASSERT_EQ(-1, open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC));
	ASSERT_EQ(ENOENT, errno);

	ASSERT_EQ(0, load_module()) {
		TH_LOG("finit_module(%s): %s", module_file(), strerror(errno));
	}
	ASSERT_TRUE(module_loaded());
	assert_device_works(_metadata);
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
	ASSERT_TRUE(module_loaded()) TH_LOG("%s is not loaded", ASHMEM_MODULE);
	assert_device_works(_metadata);
}

FIXTURE_TEARDOWN(module)
{
	if (!module_loaded()) {
		EXPECT_EQ(0, load_module()) {
			TH_LOG("could not reload %s: %s", module_file(),
			       strerror(errno));
		}
	}
}

TEST_F(module, unload_refused_while_an_area_is_open)
{
	size_t len = page_size();
	void *addr;
	int fd = ashmem_open(_metadata);

	/* a bare open area, never sized or mapped */
	assert_unload_refused(_metadata);

	/* with a backing file whose mappings are all gone */
	ashmem_assert_set_size(_metadata, fd, len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_EQ(0, munmap(addr, len));
	assert_unload_refused(_metadata);

	ASSERT_EQ(0, close(fd));
	assert_unload_and_reload(_metadata);
}

TEST_F(module, unload_refused_while_only_a_mapping_remains)
{
	size_t len = 2 * page_size();
	char *shared, *priv;
	int fd = ashmem_create(_metadata, "mapping-left", len);

	shared = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0);
	priv = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE, 0);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, len, 0);
	ASSERT_EQ(0, close(fd));

	assert_unload_refused(_metadata);
	fill_pattern(shared, len, 91);
	ASSERT_TRUE(check_pattern(shared, len, 91));
	ASSERT_EQ(0, munmap(shared, len));

	/* a private mapping still references the backing file */
	assert_unload_refused(_metadata);
	ASSERT_TRUE(is_zero(priv, len));
	ASSERT_EQ(0, munmap(priv, len));

	assert_unload_and_reload(_metadata);
}

/* Another process's descriptor or mapping keeps the module in use. */
FIXTURE(held) {
	int go[2];		/* parent -> child: let go and exit */
	int ready[2];		/* child -> parent: holding it */
	pid_t pid;
};

FIXTURE_VARIANT(held) {
	bool keep_fd;		/* the child keeps the descriptor open */
	bool keep_mapping;	/* the child keeps a mapping */
};

FIXTURE_VARIANT_ADD(held, by_descriptor) {
	.keep_fd = true,
	.keep_mapping = false,
};

FIXTURE_VARIANT_ADD(held, by_mapping) {
	.keep_fd = false,
	.keep_mapping = true,
};

FIXTURE_SETUP(held)
{
	ASSERT_TRUE(module_loaded()) TH_LOG("%s is not loaded", ASHMEM_MODULE);
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->ready, O_CLOEXEC));
	self->pid = -1;
}

FIXTURE_TEARDOWN(held)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (!module_loaded()) {
		EXPECT_EQ(0, load_module());
	}
}

TEST_F(held, unload_refused_while_a_forked_child_holds_the_area)
{
	size_t len = page_size();
	int fd = ashmem_create(_metadata, "held", len);

	self->pid = fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		void *addr = NULL;

		if (variant->keep_mapping) {
			addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			CHILD_CHECK(addr != MAP_FAILED);
		}
		if (!variant->keep_fd)
			CHILD_CHECK(close(fd) == 0);
		CHILD_CHECK(send_byte(self->ready[1], 'r') == 0);
		CHILD_CHECK(recv_byte(self->go[0]) == 'g');
		if (addr)
			CHILD_CHECK(munmap(addr, len) == 0);
		_exit(0);
	}
	/* the parent lets go of everything */
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ('r', recv_byte(self->ready[0]));

	assert_unload_refused(_metadata);

	ASSERT_EQ(0, send_byte(self->go[1], 'g'));
	assert_child_ok(_metadata, self->pid);
	self->pid = -1;
	assert_unload_and_reload(_metadata);
}

/*
 * A backing file that outlives every area and mapping -- reopened through
 * /proc/self/map_files, or held by an O_PATH file -- is shmem's alone: it
 * does not keep the module loaded, and works unchanged once the module is
 * gone (no operation of it may reach module memory).
 */
TEST_F(module, backing_file_kept_through_map_files_survives_unload)
{
	size_t len = 2 * page_size();
	char path[128], *addr, *buf;
	int fd = ashmem_create(_metadata, "outlives-module", len);
	int opath, rd, again;
	struct stat st;

	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 93);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)addr, (unsigned long)addr + len);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath) TH_LOG("open(%s, O_PATH): %s", path, strerror(errno));
	rd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rd) TH_LOG("open(%s): %s", path, strerror(errno));
	ASSERT_EQ(0, munmap(addr, len));
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(0, delete_module(ASHMEM_MODULE, O_NONBLOCK)) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	ASSERT_FALSE(module_loaded());

	ASSERT_EQ(0, fstat(opath, &st)) TH_LOG("fstat: %s", strerror(errno));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ((off_t)len, st.st_size);
	ASSERT_EQ(0, fstat(rd, &st));
	buf = malloc(len);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)len, pread(rd, buf, len, 0));
	ASSERT_TRUE(check_pattern(buf, len, 93));
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED, rd, 0);
	ASSERT_NE(MAP_FAILED, addr) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_TRUE(check_pattern(addr, len, 93));
	ASSERT_EQ(0, munmap(addr, len));
	/* the O_PATH file opened for real */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", opath);
	again = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, again) TH_LOG("open(%s): %s", path, strerror(errno));
	memset(buf, 0, len);
	ASSERT_EQ((ssize_t)len, pread(again, buf, len, 0));
	ASSERT_TRUE(check_pattern(buf, len, 93));
	free(buf);
	ASSERT_EQ(0, close(again));
	ASSERT_EQ(0, close(rd));
	ASSERT_EQ(0, close(opath));

	ASSERT_EQ(0, load_module()) {
		TH_LOG("finit_module(%s): %s", module_file(), strerror(errno));
	}
	assert_device_works(_metadata);
}

TEST_F(module, second_load_fails_with_eexist)
{
	int fd = ashmem_create(_metadata, "survivor", page_size());
	char *addr = ashmem_assert_mmap(_metadata, fd, page_size(),
					PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	addr[0] = 's';
	errno = 0;
	ASSERT_EQ(-1, load_module());
	ASSERT_EQ(EEXIST, errno) TH_LOG("finit_module: %s", strerror(errno));
	ASSERT_TRUE(module_loaded());
	assert_device_works(_metadata);
	/* the existing area is untouched */
	ashmem_assert_name(_metadata, fd, "survivor");
	ASSERT_EQ('s', addr[0]);
	ASSERT_EQ(0, munmap(addr, page_size()));
	ASSERT_EQ(0, close(fd));
}

TEST_F(module, reloaded_module_starts_afresh)
{
	char value[8];
	int fd;

	assert_unload_and_reload(_metadata);
	ASSERT_LT(0, read_text_file(ASHMEM_PARAMS "/strict_unpin", value,
				    sizeof(value)));
	ASSERT_STREQ("N\n", value);
	fd = ashmem_open(_metadata);
	ASSERT_EQ(0, ioctl(fd, ASHMEM_PURGE_ALL_CACHES));
	ashmem_assert_name(_metadata, fd, ASHMEM_NAME_DEF);
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
