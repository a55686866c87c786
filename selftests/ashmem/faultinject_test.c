// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (debug kernel only: CONFIG_FAILSLAB, debugfs).
 *
 * Every path of the driver that allocates must fail cleanly with ENOMEM
 * when the allocation fails, and leave the area exactly as it was and
 * fully usable once allocations work again.  kmemleak, scanned by the
 * guest after the run, shows that nothing leaked on the way.
 *
 * Two tools:
 * - failslab with task-filter: probability 100 for the forked child that
 *   set /proc/self/make-it-fail, and nobody else.  Every slab allocation
 *   it makes in that window fails;
 * - /proc/thread-self/fail-nth: fail exactly the N-th allocation this
 *   thread makes from now on, which walks a whole sequence of calls
 *   through every allocation it makes, one at a time.  (failslab's
 *   "space" counts bytes and "interval" a global counter, so neither can
 *   name the N-th allocation of one thread.)
 */
#include "ashmem_helpers.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define STATS		"/sys/kernel/debug/ashmem/stats"
#define AREA_PAGES	4
#define SEED		80

static int failslab_set(const char *attr, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "/%s", attr);
	return write_text_file(path, value);
}

/* The "areas:" counter of the driver's debugfs statistics. */
static long live_areas(void)
{
	char text[512], *p;

	if (read_text_file(STATS, text, sizeof(text)) < 0)
		return -1;
	p = strstr(text, "areas:");
	return p ? strtol(p + strlen("areas:"), NULL, 10) : -1;
}

FIXTURE(failslab) {
	int fd;			/* a mapped area, some of it unpinned */
	size_t ps, len;
	char *addr;
	char name[ASHMEM_NAME_LEN];
};

FIXTURE_SETUP(failslab)
{
	static const char *const config[][2] = {
		{ "probability", "0" },	/* inert while configuring */
		{ "task-filter", "Y" },
		{ "ignore-gfp-wait", "N" },
		{ "cache-filter", "N" },
		{ "verbose", "0" },
		{ "interval", "1" },
		{ "space", "0" },
		{ "times", "-1" },
		{ "probability", "100" },
	};
	size_t i;

	ASSERT_EQ(0, access(FAILSLAB, F_OK)) {
		TH_LOG("%s missing: needs CONFIG_FAILSLAB and debugfs", FAILSLAB);
	}
	for (i = 0; i < ARRAY_SIZE(config); i++) {
		ASSERT_EQ(0, failslab_set(config[i][0], config[i][1])) {
			TH_LOG("failslab/%s: %s", config[i][0], strerror(errno));
		}
	}
	self->ps = page_size();
	self->len = AREA_PAGES * self->ps;
	self->fd = ashmem_create(_metadata, "failslab", self->len);
	ashmem_assert_set_prot(_metadata, self->fd, PROT_READ | PROT_WRITE);
	self->addr = ashmem_assert_mmap(_metadata, self->fd, self->len,
					PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(self->addr, self->len, SEED);
	/* page 1 unpinned, so that a PIN of it would split nothing else */
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, self->ps,
			      self->ps, 0);
	strcpy(self->name, "failslab");
}

FIXTURE_TEARDOWN(failslab)
{
	/* back to the kernel's defaults; probability 0 first */
	failslab_set("probability", "0");
	failslab_set("task-filter", "N");
	failslab_set("ignore-gfp-wait", "Y");
	failslab_set("verbose", "2");
	failslab_set("times", "1");
	munmap(self->addr, self->len);
	close(self->fd);
}

/* The fixture's area is as set up: name, size, mask, pins, content. */
static void assert_area_intact(struct __test_metadata *_metadata,
			       FIXTURE_DATA(failslab) *self)
{
	char *buf = malloc(self->len);
	size_t i;

	ashmem_assert_name(_metadata, self->fd, self->name);
	ashmem_assert_size(_metadata, self->fd, self->len);
	ashmem_assert_prot(_metadata, self->fd, PROT_READ | PROT_WRITE);
	for (i = 0; i < AREA_PAGES; i++)
		ashmem_assert_pin_cmd(_metadata, self->fd,
				      ASHMEM_GET_PIN_STATUS, i * self->ps,
				      self->ps, i == 1 ? ASHMEM_IS_UNPINNED :
				      ASHMEM_IS_PINNED);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, buf, self->len, 0));
	for (i = 0; i < AREA_PAGES; i++) {
		if (i == 1 && is_zero(buf + i * self->ps, self->ps))
			continue;	/* unpinned: may have been purged */
		ASSERT_EQ(-1, pattern_mismatch(buf + i * self->ps, self->ps,
					       SEED, i * self->ps));
	}
	free(buf);
}

/* The area takes every kind of call again. */
static void assert_area_usable(struct __test_metadata *_metadata,
			       FIXTURE_DATA(failslab) *self)
{
	char *again;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, 2 * self->ps,
			      self->ps, 0);
	ASSERT_LE(0, ashmem_pin_ioctl(self->fd, ASHMEM_PIN, 2 * self->ps,
				      self->ps));
	again = ashmem_assert_mmap(_metadata, self->fd, self->len, PROT_READ,
				   MAP_SHARED, 0);
	ASSERT_EQ(0, memcmp(again, self->addr, self->len));
	ASSERT_EQ(0, munmap(again, self->len));
	assert_area_intact(_metadata, self);
}

/*
 * In a forked child: with failslab on for the child only, @op must fail
 * with ENOMEM.  The child touches nothing new while failing (a page fault
 * that cannot allocate would retry for ever).
 */
enum op { OP_OPEN, OP_UNPIN, OP_PIN, OP_PIN_SPLIT, OP_PAIR, OP_PIN_STATUS,
	  OP_FIRST_MMAP };

static int run_op(enum op op, int fd, size_t ps)
{
	struct ashmem_pin pin = { .offset = (__u32)ps, .len = (__u32)ps };
	int ret;
	void *addr;

	switch (op) {
	case OP_OPEN:
		return open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
	case OP_UNPIN:
		pin.offset = 0;
		return ioctl(fd, ASHMEM_UNPIN, &pin);
	case OP_PIN:
		return ioctl(fd, ASHMEM_PIN, &pin);
	case OP_PIN_SPLIT:
		pin.offset = 2 * (__u32)ps;
		return ioctl(fd, ASHMEM_PIN, &pin);
	case OP_PAIR:
		ret = ioctl(fd, ASHMEM_PIN, &pin);
		return ret < 0 ? ret : ioctl(fd, ASHMEM_UNPIN, &pin);
	case OP_PIN_STATUS:
		return ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin);
	case OP_FIRST_MMAP:
		addr = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
		return addr == MAP_FAILED ? -1 : 0;
	}
	return -1;
}

/* Returns the errno @op failed with under failslab, or 0 if it worked. */
static int op_under_failslab(struct __test_metadata *_metadata, enum op op,
			     int fd)
{
	int result[2], err = -1, status;
	pid_t pid;

	ASSERT_EQ(0, pipe2(result, O_CLOEXEC));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int mif = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
		int ret;

		CHILD_CHECK(mif >= 0);
		/* fault in what the call will use; the result does not matter */
		run_op(OP_PIN_STATUS, fd, page_size());
		errno = 0;
		CHILD_CHECK(pwrite(mif, "1", 1, 0) == 1);
		ret = run_op(op, fd, page_size());
		err = ret < 0 ? errno : 0;
		CHILD_CHECK(pwrite(mif, "0", 1, 0) == 1);
		CHILD_CHECK(write(result[1], &err, sizeof(err)) == sizeof(err));
		_exit(0);
	}
	ASSERT_EQ(0, close(result[1]));
	ASSERT_EQ((ssize_t)sizeof(err), read(result[0], &err, sizeof(err)));
	ASSERT_EQ(0, close(result[0]));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return err;
}

TEST_F(failslab, open_fails_with_enomem)
{
	long areas = live_areas();

	ASSERT_LE(0, areas);
	ASSERT_EQ(ENOMEM, op_under_failslab(_metadata, OP_OPEN, self->fd));
	ASSERT_EQ(areas, live_areas());
	assert_area_usable(_metadata, self);
}

TEST_F(failslab, unpin_fails_with_enomem_and_pins_nothing_out)
{
	ASSERT_EQ(ENOMEM, op_under_failslab(_metadata, OP_UNPIN, self->fd));
	assert_area_intact(_metadata, self);
	assert_area_usable(_metadata, self);
}

/*
 * PIN allocates only to split a range in two: page 2 out of pages 1-3 needs
 * a range for page 3, and none is spare (the UNPIN that made 1-3 reused
 * page 1's).  It fails, and 1-3 stay unpinned.
 */
TEST_F(failslab, pin_that_splits_fails_with_enomem_and_leaves_range_unpinned)
{
	size_t i;

	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, self->ps,
			      3 * self->ps, 0);
	ASSERT_EQ(ENOMEM, op_under_failslab(_metadata, OP_PIN_SPLIT, self->fd));
	for (i = 1; i <= 3; i++)
		ashmem_assert_pin_cmd(_metadata, self->fd,
				      ASHMEM_GET_PIN_STATUS, i * self->ps,
				      self->ps, ASHMEM_IS_UNPINNED);
	/* back to the fixture's state: page 1 alone unpinned */
	ASSERT_LE(0, ashmem_pin_ioctl(self->fd, ASHMEM_PIN, 2 * self->ps,
				      2 * self->ps));
	assert_area_intact(_metadata, self);
	assert_area_usable(_metadata, self);
}

/* PIN of a whole range splits nothing, so it allocates nothing. */
TEST_F(failslab, pin_of_a_whole_range_allocates_nothing)
{
	ASSERT_EQ(0, op_under_failslab(_metadata, OP_PIN, self->fd));
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_GET_PIN_STATUS,
			      self->ps, self->ps, ASHMEM_IS_PINNED);
	ashmem_assert_pin_cmd(_metadata, self->fd, ASHMEM_UNPIN, self->ps,
			      self->ps, 0);
	assert_area_intact(_metadata, self);
	assert_area_usable(_metadata, self);
}

/*
 * The range PIN takes out is kept by the area for the next UNPIN: a pair
 * of them, the hot path of every user, allocates nothing.
 */
TEST_F(failslab, pin_unpin_pair_allocates_nothing)
{
	ASSERT_EQ(0, op_under_failslab(_metadata, OP_PAIR, self->fd));
	assert_area_intact(_metadata, self);
	assert_area_usable(_metadata, self);
}

TEST_F(failslab, get_pin_status_allocates_nothing)
{
	ASSERT_EQ(0, op_under_failslab(_metadata, OP_PIN_STATUS, self->fd));
	assert_area_intact(_metadata, self);
}

TEST_F(failslab, first_mmap_fails_with_enomem_and_leaves_area_unmapped)
{
	unsigned long id;
	char *addr;
	int fd = ashmem_create(_metadata, "first-mmap", self->ps);

	ASSERT_EQ(ENOMEM, op_under_failslab(_metadata, OP_FIRST_MMAP, fd));
	/* no backing file: not frozen, still resizable and renamable */
	errno = 0;
	ASSERT_EQ(-1, ioctl(fd, ASHMEM_GET_FILE_ID, &id));
	ASSERT_EQ(EINVAL, errno);
	ashmem_assert_name(_metadata, fd, "first-mmap");
	ashmem_assert_size(_metadata, fd, self->ps);
	ashmem_assert_set_size(_metadata, fd, 2 * self->ps);
	addr = ashmem_assert_mmap(_metadata, fd, 2 * self->ps,
				  PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pattern(addr, 2 * self->ps, 81);
	ASSERT_TRUE(check_pattern(addr, 2 * self->ps, 81));
	ASSERT_EQ(0, munmap(addr, 2 * self->ps));
	ASSERT_EQ(0, close(fd));
	assert_area_usable(_metadata, self);
}

/*
 * fail-nth: fails the N-th allocation of this thread.  Each run of the
 * sequence below fails one more allocation in, until a run gets through
 * without reaching the N-th: then every allocation on the path has failed
 * once.  Each failure must be a clean ENOMEM, and the area, where one was
 * created, must then be finishable and correct.
 */
enum step { STEP_OPEN, STEP_NAME, STEP_SIZE, STEP_MMAP, STEP_TOUCH,
	    STEP_UNPIN, STEP_PIN, STEP_DONE };

static const char *const step_names[] = {
	"open", "SET_NAME", "SET_SIZE", "mmap", "touch", "UNPIN", "PIN", "-",
};

struct sequence {
	int fd;
	char *addr;
	size_t len;
};

/* Runs the step; 0 or an errno. */
static int run_step(enum step step, struct sequence *s)
{
	struct ashmem_pin pin = { .offset = 0, .len = 0 };

	switch (step) {
	case STEP_OPEN:
		s->fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
		return s->fd < 0 ? errno : 0;
	case STEP_NAME:
		return ioctl(s->fd, ASHMEM_SET_NAME, "nth") ? errno : 0;
	case STEP_SIZE:
		return ioctl(s->fd, ASHMEM_SET_SIZE, s->len) ? errno : 0;
	case STEP_MMAP:
		s->addr = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, s->fd, 0);
		return s->addr == MAP_FAILED ? errno : 0;
	case STEP_TOUCH:
		/* a fault that cannot allocate is retried: no error here */
		fill_pattern(s->addr, s->len, 82);
		return 0;
	case STEP_UNPIN:
		return ioctl(s->fd, ASHMEM_UNPIN, &pin) ? errno : 0;
	case STEP_PIN:
		return ioctl(s->fd, ASHMEM_PIN, &pin) < 0 ? errno : 0;
	case STEP_DONE:
		break;
	}
	return 0;
}

/* Writes @n to fail-nth; returns what it reads back afterwards. */
static long fail_nth(int nth, unsigned int n)
{
	char buf[32];
	ssize_t len;

	snprintf(buf, sizeof(buf), "%u", n);
	if (pwrite(nth, buf, strlen(buf), 0) != (ssize_t)strlen(buf))
		return -1;
	len = pread(nth, buf, sizeof(buf) - 1, 0);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return strtol(buf, NULL, 10);
}

TEST_F_TIMEOUT(failslab, every_allocation_of_create_map_unpin_pin_fails_cleanly, 600)
{
	struct sequence s;
	long areas = live_areas(), left;
	enum step step, failed;
	char buf[32];
	unsigned int n;
	int nth, err = 0;

	/* fail-nth is independent of the probability: only it fails now */
	ASSERT_EQ(0, failslab_set("probability", "0"));
	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth);
	ASSERT_LE(0, areas);
	/* fault in the stack and the buffers first */
	memset(buf, 0, sizeof(buf));
	memset(&s, 0, sizeof(s));

	for (n = 1; n < 10000; n++) {
		s.fd = -1;
		s.addr = MAP_FAILED;
		s.len = AREA_PAGES * self->ps;
		failed = STEP_DONE;

		snprintf(buf, sizeof(buf), "%u", n);
		ASSERT_EQ((ssize_t)strlen(buf), pwrite(nth, buf, strlen(buf), 0));
		for (step = STEP_OPEN; step < STEP_DONE; step++) {
			err = run_step(step, &s);
			if (err) {
				failed = step;
				break;
			}
		}
		ASSERT_LT(0, pread(nth, buf, sizeof(buf) - 1, 0));
		left = strtol(buf, NULL, 10);
		ASSERT_EQ(0, fail_nth(nth, 0));

		if (failed != STEP_DONE) {
			/*
			 * ENOMEM, also for the first mmap(): shmem says
			 * ENOSPC when it cannot allocate the backing inode,
			 * and the driver turns that into ENOMEM.
			 */
			ASSERT_EQ(ENOMEM, err) {
				TH_LOG("allocation %u: %s failed with %s", n,
				       step_names[failed], strerror(err));
			}
			ASSERT_EQ(0, left) TH_LOG("%s failed, nothing injected",
						  step_names[failed]);
		}
		if (s.fd >= 0) {
			/* finish the sequence: the area must be all right */
			for (step = failed; step < STEP_DONE; step++) {
				err = run_step(step, &s);
				if (err == EINVAL && (step == STEP_NAME ||
						      step == STEP_SIZE))
					err = 0;	/* mapped after all */
				ASSERT_EQ(0, err) {
					TH_LOG("allocation %u: %s after the failure: %s",
					       n, step_names[step], strerror(err));
				}
			}
			ASSERT_EQ((long)s.len, (long)ioctl(s.fd, ASHMEM_GET_SIZE));
			ASSERT_TRUE(check_pattern(s.addr, s.len, 82));
			ashmem_assert_pin_cmd(_metadata, s.fd,
					      ASHMEM_GET_PIN_STATUS, 0, 0,
					      ASHMEM_IS_PINNED);
			ASSERT_EQ(0, munmap(s.addr, s.len));
			ASSERT_EQ(0, close(s.fd));
		}
		ASSERT_EQ(areas, live_areas()) TH_LOG("allocation %u", n);
		if (failed == STEP_DONE && left > 0)
			break;	/* the sequence has fewer than n allocations */
	}
	TH_LOG("the sequence makes %u slab allocations", n - 1);
	ASSERT_LT(3u, n);
	ASSERT_GT(10000u, n);
	ASSERT_EQ(0, close(nth));
}

TEST_HARNESS_MAIN
