/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ashmem selftests.
 *
 * Operations on an area come in assert/fail pairs: ashmem_assert_<op>()
 * requires <op> to succeed, ashmem_fail_<op>() requires it to fail with a
 * given errno.  Both take the harness' _metadata, so a broken expectation
 * ends the test at once with a message that names the operation.
 *
 * Code running in a forked child must not use the harness' ASSERT_*() (it
 * would unwind into the harness inside the child); it uses CHILD_CHECK(),
 * which prints the failed condition and exits with status 1, and the parent
 * collects the verdict with assert_child_ok().
 */
#ifndef ASHMEM_HELPERS_H
#define ASHMEM_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ashmem.h>

#include "kselftest_harness.h"

#define ASHMEM_DEVICE		"/dev/ashmem"
#define ASHMEM_MODULE		"ashmem_linux"
#define ASHMEM_STATS_FILE	"/sys/kernel/debug/ashmem/stats"
#define ASHMEM_PARAMS		"/sys/module/" ASHMEM_MODULE "/parameters"

/* PROT_READ | PROT_WRITE | PROT_EXEC: the mask of a new area. */
#define ASHMEM_PROT_ALL		(PROT_READ | PROT_WRITE | PROT_EXEC)

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline size_t page_align(size_t size)
{
	return (size + page_size() - 1) & ~(page_size() - 1);
}

/*
 * Opening and creating areas.  A missing /dev/ashmem is a failure, not a
 * skip: these tests exist to exercise the driver.
 */
static inline int ashmem_open_flags(struct __test_metadata *_metadata,
				    int flags)
{
	int fd = open(ASHMEM_DEVICE, flags | O_CLOEXEC);

	ASSERT_LE(0, fd) {
		TH_LOG("open(%s): %s (is %s loaded?)", ASHMEM_DEVICE,
		       strerror(errno), ASHMEM_MODULE);
	}
	return fd;
}

static inline int ashmem_open(struct __test_metadata *_metadata)
{
	return ashmem_open_flags(_metadata, O_RDWR);
}

/* Opens a new area and gives it @name (unless NULL) and @size. */
static inline int ashmem_create(struct __test_metadata *_metadata,
				const char *name, size_t size)
{
	int fd = ashmem_open(_metadata);

	if (name) {
		ASSERT_EQ(0, ioctl(fd, ASHMEM_SET_NAME, name)) {
			TH_LOG("SET_NAME(\"%s\"): %s", name, strerror(errno));
		}
	}
	ASSERT_EQ(0, ioctl(fd, ASHMEM_SET_SIZE, size)) {
		TH_LOG("SET_SIZE(%zu): %s", size, strerror(errno));
	}
	return fd;
}

/* mmap */
static inline void *ashmem_assert_mmap(struct __test_metadata *_metadata,
				       int fd, size_t len, int prot, int flags,
				       off_t offset)
{
	void *addr = mmap(NULL, len, prot, flags, fd, offset);

	ASSERT_TRUE(addr != MAP_FAILED) {
		TH_LOG("mmap(len %zu, prot %#x, flags %#x, offset %jd): %s",
		       len, prot, flags, (intmax_t)offset, strerror(errno));
	}
	return addr;
}

static inline void ashmem_fail_mmap(struct __test_metadata *_metadata,
				    int fd, size_t len, int prot, int flags,
				    off_t offset, int err)
{
	void *addr = mmap(NULL, len, prot, flags, fd, offset);
	int saved = errno;

	ASSERT_TRUE(addr == MAP_FAILED) {
		TH_LOG("mmap(len %zu, prot %#x, flags %#x, offset %jd) succeeded, expected %s",
		       len, prot, flags, (intmax_t)offset, strerror(err));
	}
	ASSERT_EQ(err, saved) {
		TH_LOG("mmap(len %zu, prot %#x, flags %#x, offset %jd): %s, expected %s",
		       len, prot, flags, (intmax_t)offset, strerror(saved),
		       strerror(err));
	}
}

/* Names */
static inline void ashmem_assert_set_name(struct __test_metadata *_metadata,
					  int fd, const char *name)
{
	ASSERT_EQ(0, ioctl(fd, ASHMEM_SET_NAME, name)) {
		TH_LOG("SET_NAME: %s", strerror(errno));
	}
}

static inline void ashmem_fail_set_name(struct __test_metadata *_metadata,
					int fd, const char *name, int err)
{
	int ret = ioctl(fd, ASHMEM_SET_NAME, name);
	int saved = errno;

	ASSERT_EQ(-1, ret) TH_LOG("SET_NAME succeeded, expected %s",
				  strerror(err));
	ASSERT_EQ(err, saved) TH_LOG("SET_NAME: %s, expected %s",
				     strerror(saved), strerror(err));
}

/* GET_NAME must report @expected. */
static inline void ashmem_assert_name(struct __test_metadata *_metadata,
				      int fd, const char *expected)
{
	char name[ASHMEM_NAME_LEN];

	memset(name, 0, sizeof(name));
	ASSERT_EQ(0, ioctl(fd, ASHMEM_GET_NAME, name)) {
		TH_LOG("GET_NAME: %s", strerror(errno));
	}
	ASSERT_EQ(0, name[sizeof(name) - 1]);
	ASSERT_STREQ(expected, name);
}

/* Sizes */
static inline void ashmem_assert_set_size(struct __test_metadata *_metadata,
					  int fd, size_t size)
{
	ASSERT_EQ(0, ioctl(fd, ASHMEM_SET_SIZE, size)) {
		TH_LOG("SET_SIZE(%zu): %s", size, strerror(errno));
	}
}

static inline void ashmem_fail_set_size(struct __test_metadata *_metadata,
					int fd, size_t size, int err)
{
	int ret = ioctl(fd, ASHMEM_SET_SIZE, size);
	int saved = errno;

	ASSERT_EQ(-1, ret) TH_LOG("SET_SIZE(%zu) succeeded, expected %s",
				  size, strerror(err));
	ASSERT_EQ(err, saved) TH_LOG("SET_SIZE(%zu): %s, expected %s", size,
				     strerror(saved), strerror(err));
}

/* GET_SIZE must report @expected (which must fit the int ioctl() returns). */
static inline void ashmem_assert_size(struct __test_metadata *_metadata,
				      int fd, size_t expected)
{
	ASSERT_EQ((long)expected, (long)ioctl(fd, ASHMEM_GET_SIZE));
}

/* Protection masks */
static inline void ashmem_assert_set_prot(struct __test_metadata *_metadata,
					  int fd, unsigned long prot)
{
	ASSERT_EQ(0, ioctl(fd, ASHMEM_SET_PROT_MASK, prot)) {
		TH_LOG("SET_PROT_MASK(%#lx): %s", prot, strerror(errno));
	}
}

static inline void ashmem_fail_set_prot(struct __test_metadata *_metadata,
					int fd, unsigned long prot, int err)
{
	int ret = ioctl(fd, ASHMEM_SET_PROT_MASK, prot);
	int saved = errno;

	ASSERT_EQ(-1, ret) TH_LOG("SET_PROT_MASK(%#lx) succeeded, expected %s",
				  prot, strerror(err));
	ASSERT_EQ(err, saved) TH_LOG("SET_PROT_MASK(%#lx): %s, expected %s",
				     prot, strerror(saved), strerror(err));
}

static inline void ashmem_assert_prot(struct __test_metadata *_metadata,
				      int fd, int expected)
{
	ASSERT_EQ(expected, ioctl(fd, ASHMEM_GET_PROT_MASK));
}

/* Pinning: @cmd is ASHMEM_PIN, ASHMEM_UNPIN or ASHMEM_GET_PIN_STATUS. */
static inline int ashmem_pin_ioctl(int fd, unsigned long cmd, size_t offset,
				   size_t len)
{
	struct ashmem_pin pin = {
		.offset = (__u32)offset,
		.len = (__u32)len,
	};

	return ioctl(fd, cmd, &pin);
}

static inline const char *pin_cmd_name(unsigned long cmd)
{
	switch (cmd) {
	case ASHMEM_PIN:
		return "PIN";
	case ASHMEM_UNPIN:
		return "UNPIN";
	case ASHMEM_GET_PIN_STATUS:
		return "GET_PIN_STATUS";
	}
	return "?";
}

/* @cmd over [@offset, @offset + @len) must return @expected. */
static inline void ashmem_assert_pin_cmd(struct __test_metadata *_metadata,
					 int fd, unsigned long cmd,
					 size_t offset, size_t len,
					 int expected)
{
	int ret = ashmem_pin_ioctl(fd, cmd, offset, len);

	ASSERT_EQ(expected, ret) {
		TH_LOG("%s(offset %#zx, len %#zx) returned %d (%s), expected %d",
		       pin_cmd_name(cmd), offset, len, ret,
		       ret < 0 ? strerror(errno) : "-", expected);
	}
}

static inline void ashmem_fail_pin_cmd(struct __test_metadata *_metadata,
				       int fd, unsigned long cmd,
				       size_t offset, size_t len, int err)
{
	int ret = ashmem_pin_ioctl(fd, cmd, offset, len);
	int saved = errno;

	ASSERT_EQ(-1, ret) {
		TH_LOG("%s(offset %#zx, len %#zx) returned %d, expected %s",
		       pin_cmd_name(cmd), offset, len, ret, strerror(err));
	}
	ASSERT_EQ(err, saved) {
		TH_LOG("%s(offset %#zx, len %#zx): %s, expected %s",
		       pin_cmd_name(cmd), offset, len, strerror(saved),
		       strerror(err));
	}
}

/*
 * Fault probes: touch one byte and report the signal (SIGSEGV or SIGBUS)
 * the access raised, or 0 when it worked.
 */
static sigjmp_buf probe_jmp __attribute__((unused));

static inline void probe_handler(int sig)
{
	siglongjmp(probe_jmp, sig);
}

static inline int probe_access(volatile char *addr, bool write, char value,
			       char *seen)
{
	struct sigaction sa = { .sa_handler = probe_handler };
	struct sigaction old_segv, old_bus;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(probe_jmp, 1);
	if (!sig) {
		if (write)
			*addr = value;
		else if (seen)
			*seen = *addr;
		else
			(void)*addr;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

/* Returns 0 if reading @addr works (storing the byte in @seen), else the signal. */
static inline int probe_read(const volatile char *addr, char *seen)
{
	return probe_access((volatile char *)addr, false, 0, seen);
}

/* Returns 0 if writing @value to @addr works, else the signal. */
static inline int probe_write(volatile char *addr, char value)
{
	return probe_access(addr, true, value, NULL);
}

/*
 * Content patterns.  The byte at offset i depends on @seed and i, and
 * differs from page to page, so a misplaced page is noticed too.
 */
static inline unsigned char pattern_byte(unsigned int seed, size_t i)
{
	return (unsigned char)(seed * 37 + i * 7 + i / 4093 + 1);
}

static inline void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

/* Returns the offset of the first byte that differs, or -1. */
static inline ssize_t pattern_mismatch(const void *buf, size_t len,
				       unsigned int seed, size_t start)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, start + i))
			return (ssize_t)i;
	return -1;
}

static inline bool check_pattern(const void *buf, size_t len,
				 unsigned int seed)
{
	return pattern_mismatch(buf, len, seed, 0) < 0;
}

static inline bool is_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Reads a whole (small) text file into @buf, NUL-terminated; -1 on error. */
static inline ssize_t read_text_file(const char *path, char *buf, size_t size)
{
	ssize_t len = 0, n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The value of "@key N" in debugfs ashmem/stats, or -1 without debugfs. */
static inline long ashmem_stat(const char *key)
{
	char text[512], *p;

	if (read_text_file(ASHMEM_STATS_FILE, text, sizeof(text)) < 0)
		return -1;
	p = strstr(text, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* A /proc/meminfo figure, in KiB; -1 if it is missing. */
static inline long meminfo_kib(const char *key)
{
	char text[8192], *line;
	size_t keylen = strlen(key);

	if (read_text_file("/proc/meminfo", text, sizeof(text)) < 0)
		return -1;
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, keylen) && line[keylen] == ':')
			return atol(line + keylen + 1);
	}
	return -1;
}

/* Writes @text to a sysfs or procfs file; 0 or -1 with errno. */
static inline int write_text_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if (close(fd) && n >= 0)
		return -1;
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Forked children.  fork_child() returns in both processes like fork(); the
 * child dies with its parent, so a failed test leaves no orphan behind.
 */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %s:%d: check failed: %s (errno: %s)\n", \
			__FILE__, __LINE__, #cond, strerror(errno));	\
		_exit(1);						\
	}								\
} while (0)

static inline pid_t fork_child(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/* Waits for @pid and requires it to have exited with status 0. */
static inline void assert_child_ok(struct __test_metadata *_metadata,
				   pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("child killed by signal %d", WTERMSIG(status));
	}
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* One-byte messages over a pipe or socket, to order the two processes. */
static inline int send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Returns the byte read, or -1 on error or end of file. */
static inline int recv_byte(int fd)
{
	unsigned char c;
	ssize_t n;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? c : -1;
}

/* Passing a file descriptor over a Unix socket (SCM_RIGHTS). */
static inline int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;

	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Returns the received descriptor (close-on-exec), or -1. */
static inline int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* True if @fd is an open file of the ashmem misc device. */
static inline bool is_ashmem_fd(int fd)
{
	struct stat dev, st;

	if (stat(ASHMEM_DEVICE, &dev) || fstat(fd, &st))
		return false;
	return S_ISCHR(st.st_mode) && st.st_rdev == dev.st_rdev;
}

/*
 * Finds the /proc/self/maps line of the mapping that starts at @addr and
 * copies it, without its newline, into @line.  Returns false if none.
 */
static inline bool find_maps_line(const void *addr, char *line, size_t size)
{
	static char maps[1 << 16];
	char *cur, *end;

	if (read_text_file("/proc/self/maps", maps, sizeof(maps)) < 0)
		return false;
	for (cur = maps; *cur; cur = end + 1) {
		unsigned long start;

		end = strchrnul(cur, '\n');
		if (sscanf(cur, "%lx-", &start) == 1 &&
		    start == (unsigned long)addr) {
			snprintf(line, size, "%.*s", (int)(end - cur), cur);
			return true;
		}
		if (!*end)
			break;
	}
	return false;
}

/*
 * Threads that never wait on a futex.  32-bit glibc waits with the old
 * futex() call, which a kernel without CONFIG_COMPAT_32BIT_TIME (the debug
 * lane's) does not have: pthread_join() and pthread barriers abort there.
 * These threads are detached at once and waited for by spinning on a flag
 * (yielding the CPU, never sleeping); the barrier spins the same way.
 * Thread bodies should not contend for locks (malloc, stdio) either.
 */
struct spin_thread {
	pthread_t id;
	atomic_bool done;
	void *(*fn)(void *arg);
	void *arg;
};

static inline void *spin_thread_main(void *arg)
{
	struct spin_thread *t = arg;

	t->fn(t->arg);
	atomic_store(&t->done, true);
	return NULL;
}

/* Starts @fn(@arg) in a new thread; 0 or an error number. */
static inline int spin_thread_start(struct spin_thread *t,
				    void *(*fn)(void *arg), void *arg)
{
	int ret;

	atomic_init(&t->done, false);
	t->fn = fn;
	t->arg = arg;
	ret = pthread_create(&t->id, NULL, spin_thread_main, t);
	if (!ret)
		pthread_detach(t->id);
	return ret;
}

/* Returns once the thread's function has returned. */
static inline void spin_thread_wait(struct spin_thread *t)
{
	while (!atomic_load(&t->done))
		sched_yield();
}

struct spin_barrier {
	unsigned int parties;
	atomic_uint arrived;
	atomic_uint generation;
};

static inline void spin_barrier_init(struct spin_barrier *b,
				     unsigned int parties)
{
	b->parties = parties;
	atomic_init(&b->arrived, 0);
	atomic_init(&b->generation, 0);
}

static inline void spin_barrier_wait(struct spin_barrier *b)
{
	unsigned int gen = atomic_load(&b->generation);

	if (atomic_fetch_add(&b->arrived, 1) + 1 == b->parties) {
		atomic_store(&b->arrived, 0);
		atomic_fetch_add(&b->generation, 1);
		return;
	}
	while (atomic_load(&b->generation) == gen)
		sched_yield();
}

#endif /* ASHMEM_HELPERS_H */
