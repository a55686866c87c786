// SPDX-License-Identifier: GPL-2.0
/*
 * The device the Android way, and the tools that provide its second name.
 *
 * Android's libcutils (14 and later) does not open /dev/ashmem: it reads
 * /proc/sys/kernel/random/boot_id, appends it without its newline to
 * "/dev/ashmem", stat()s that name, requires a character device, opens it
 * O_RDWR | O_CLOEXEC and compares every fd's st_rdev with the node's; since
 * Android 16 there is no fallback.  Off Android nobody makes that name: the
 * project's ashmemctl ("ashmemctl node") and udev rule (its helper,
 * ashmem-boot-id-node) do.  Here both make the nodes in a scratch
 * directory, and the lookup runs through them as root and as an
 * unprivileged user (so the node must be mode 0666).  The rest checks what
 * else ashmemctl promises: node --check naming each fault, ls finding an
 * area by its (escaped) name, purge, stat and create.
 *
 * ashmemctl is /bin/ashmemctl (or $ASHMEMCTL), the helper and its rule are
 * in /lib/udev (or $ASHMEM_UDEV_DIR).  A missing program is a failure.
 */
#include <grp.h>
#include <limits.h>
#include <sys/sysmacros.h>

#include "ashmem_helpers.h"

#define BOOT_ID_FILE	"/proc/sys/kernel/random/boot_id"
#define MISC_DEV_FILE	"/sys/class/misc/ashmem/dev"
#define NOBODY		65534

/* What a program run by run_cmd() printed, and how it ended. */
struct cmd_result {
	int status;		/* exit status, or 128 + signal */
	char out[65536];
	char err[4096];
};

static struct cmd_result res;

static const char *ashmemctl_path(void)
{
	const char *path = getenv("ASHMEMCTL");

	return path ? path : "/bin/ashmemctl";
}

static const char *udev_dir(void)
{
	const char *dir = getenv("ASHMEM_UDEV_DIR");

	return dir ? dir : "/lib/udev";
}

static void read_capture(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Runs @argv with @envp (environ if NULL), its stdout and stderr captured
 * in memfds (no pipe to fill up, no ordering to get wrong), and waits for
 * it.  Returns 0, or -1 if it could not be started at all.
 */
static int run_cmd(struct cmd_result *r, char *const envp[],
		   const char *const argv[])
{
	int out = memfd_create("stdout", MFD_CLOEXEC);
	int err = memfd_create("stderr", MFD_CLOEXEC);
	int status;
	pid_t pid;

	if (out < 0 || err < 0)
		return -1;
	pid = fork_child();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execve(argv[0], (char *const *)argv, envp ? envp : environ);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
					128 + WTERMSIG(status);
	read_capture(out, r->out, sizeof(r->out));
	read_capture(err, r->err, sizeof(r->err));
	return 0;
}

/* Runs ashmemctl with up to five arguments (NULL-terminated). */
#define ASHMEMCTL(_metadata, ...) do {					\
	const char *const argv_[] = { ashmemctl_path(), __VA_ARGS__, NULL };	\
	ASSERT_EQ(0, access(argv_[0], X_OK)) {				\
		TH_LOG("%s: %s (the guest ships it in /bin)", argv_[0],	\
		       strerror(errno));				\
	}								\
	ASSERT_EQ(0, run_cmd(&res, NULL, argv_));			\
} while (0)

#define LOG_RESULT() TH_LOG("exit %d\nstdout:\n%s\nstderr:\n%s",	\
			    res.status, res.out, res.err)

static unsigned int count_lines(const char *text)
{
	unsigned int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The line of @text that contains @needle, copied into @line; false if none. */
static bool find_line(const char *text, const char *needle, char *line,
		      size_t size)
{
	const char *hit = strstr(text, needle);
	const char *start, *end;

	if (!hit)
		return false;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchrnul(hit, '\n');
	snprintf(line, size, "%.*s", (int)(end - start), start);
	return true;
}

/* The boot id without its newline, as libcutils appends it. */
static bool read_boot_id(char *id, size_t size)
{
	ssize_t len = read_text_file(BOOT_ID_FILE, id, size);

	while (len > 0 && (id[len - 1] == '\n' || id[len - 1] == ' '))
		id[--len] = '\0';
	return len > 0;
}

/*
 * Android's lookup over @dir (for "/dev"): boot id, stat(), S_ISCHR, open,
 * name, size, mmap, and the fd's st_rdev against the node's and @want.
 * Returns NULL, or which step failed (errno tells why).  Runs in forked
 * children too, so it reports instead of asserting.
 */
static const char *android_lookup(const char *dir, dev_t want)
{
	char boot_id[64], path[PATH_MAX];
	struct stat node, st;
	size_t len = 2 * page_size();
	const char *fail = NULL;
	char *addr;
	int fd;

	if (!read_boot_id(boot_id, sizeof(boot_id)))
		return "read " BOOT_ID_FILE;
	snprintf(path, sizeof(path), "%s/ashmem%s", dir, boot_id);
	if (stat(path, &node))
		return "stat(/dev/ashmem<boot_id>)";
	if (!S_ISCHR(node.st_mode))
		return "/dev/ashmem<boot_id> is not a character device";
	if (node.st_rdev != want)
		return "/dev/ashmem<boot_id> is not the misc device ashmem";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "open(/dev/ashmem<boot_id>, O_RDWR | O_CLOEXEC)";
	if (ioctl(fd, ASHMEM_SET_NAME, "android-lookup") ||
	    ioctl(fd, ASHMEM_SET_SIZE, len)) {
		fail = "SET_NAME, SET_SIZE";
		goto out_close;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		fail = "mmap";
		goto out_close;
	}
	fill_pattern(addr, len, 8);
	if (!check_pattern(addr, len, 8))
		fail = "the mapping does not keep what was written";
	munmap(addr, len);
	if (!fail && fstat(fd, &st))
		fail = "fstat";
	if (!fail && st.st_rdev != node.st_rdev)
		fail = "the fd's st_rdev differs from the node's";
out_close:
	close(fd);
	return fail;
}

/* The lookup as uid and gid 65534, with no supplementary groups. */
static void assert_lookup_unprivileged(struct __test_metadata *_metadata,
				       const char *dir, dev_t want)
{
	pid_t pid = fork_child();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		const char *fail;

		CHILD_CHECK(setgroups(0, NULL) == 0);
		CHILD_CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
		CHILD_CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
		CHILD_CHECK(geteuid() == NOBODY);
		fail = android_lookup(dir, want);
		if (fail) {
			fprintf(stderr, "# as uid %d: %s: %s\n", NOBODY, fail,
				strerror(errno));
			_exit(1);
		}
		_exit(0);
	}
	assert_child_ok(_metadata, pid);
}

static void assert_lookup_root(struct __test_metadata *_metadata,
			       const char *dir, dev_t want)
{
	const char *fail = android_lookup(dir, want);

	ASSERT_EQ(NULL, fail) TH_LOG("as root: %s: %s", fail, strerror(errno));
}

/* Requires @path to be a character device of @want, mode 0666. */
static void assert_node(struct __test_metadata *_metadata, const char *path,
			dev_t want)
{
	struct stat st;

	ASSERT_EQ(0, lstat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_TRUE(S_ISCHR(st.st_mode)) TH_LOG("%s: mode %o", path, st.st_mode);
	ASSERT_EQ(want, st.st_rdev) {
		TH_LOG("%s is %u:%u, ashmem is %u:%u", path,
		       major(st.st_rdev), minor(st.st_rdev), major(want),
		       minor(want));
	}
	ASSERT_EQ(0666, st.st_mode & 07777) TH_LOG("%s: mode %o", path,
						   st.st_mode & 07777);
}

/*
 * A scratch directory for nodes (searchable by everyone), the boot id, the
 * misc device's number and the two names.  The umask is restrictive so
 * that a tool that forgets it makes a node other users cannot open.
 */
FIXTURE(nodes) {
	char dir[64];
	char boot_id[64];
	char plain[PATH_MAX];
	char boot[PATH_MAX];
	dev_t dev;
	mode_t old_umask;
};

FIXTURE_SETUP(nodes)
{
	char text[32];
	unsigned int maj, min;

	ASSERT_LT(0, read_text_file(MISC_DEV_FILE, text, sizeof(text))) {
		TH_LOG("%s: %s (is %s loaded?)", MISC_DEV_FILE,
		       strerror(errno), ASHMEM_MODULE);
	}
	ASSERT_EQ(2, sscanf(text, "%u:%u", &maj, &min));
	self->dev = makedev(maj, min);
	ASSERT_TRUE(read_boot_id(self->boot_id, sizeof(self->boot_id)));
	strcpy(self->dir, "/tmp/ashmem-nodes.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(self->plain, sizeof(self->plain), "%s/ashmem", self->dir);
	snprintf(self->boot, sizeof(self->boot), "%s/ashmem%s", self->dir,
		 self->boot_id);
	self->old_umask = umask(077);
}

FIXTURE_TEARDOWN(nodes)
{
	umask(self->old_umask);
	unlink(self->plain);
	unlink(self->boot);
	rmdir(self->dir);
}

TEST_F(nodes, ashmemctl_node_names_android_finds_as_root_and_nobody)
{
	struct stat plain, boot;
	int fd;

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->plain, self->dev);
	assert_node(_metadata, self->boot, self->dev);

	assert_lookup_root(_metadata, self->dir, self->dev);
	assert_lookup_unprivileged(_metadata, self->dir, self->dev);

	/* the plain name (Chromium's) is the same device */
	fd = open(self->plain, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", self->plain, strerror(errno));
	ASSERT_EQ(0, fstat(fd, &plain));
	ASSERT_EQ(0, stat(self->boot, &boot));
	ASSERT_EQ(boot.st_rdev, plain.st_rdev);
	close(fd);

	/* what it made passes its own check, and a second run changes nothing */
	ASHMEMCTL(_metadata, "node", "--dev", self->dir, "--check");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_STREQ("", res.err);
	ASSERT_EQ(2, count_lines(res.out)) LOG_RESULT();
	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_EQ(NULL, strstr(res.out, "created")) LOG_RESULT();
}

TEST_F(nodes, udev_helper_makes_boot_id_name_android_finds_and_removes_it)
{
	char rules_path[PATH_MAX], rules[4096], helper[PATH_MAX];
	char devname[PATH_MAX + 16];
	char major_env[32], minor_env[32];
	char *envp[] = { "ACTION=add", devname, major_env, minor_env,
			 "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
	const char *const argv[] = { helper, NULL };

	/* the rule gives the device 0666 and runs the helper for it */
	snprintf(rules_path, sizeof(rules_path), "%s/rules.d/99-ashmem.rules",
		 udev_dir());
	ASSERT_LT(0, read_text_file(rules_path, rules, sizeof(rules))) {
		TH_LOG("%s: %s", rules_path, strerror(errno));
	}
	ASSERT_NE(NULL, strstr(rules, "KERNEL==\"ashmem\", MODE=\"0666\""));
	ASSERT_NE(NULL, strstr(rules, "RUN+=\"ashmem-boot-id-node\""));

	/* the helper, run as udev runs it: the event in the environment */
	snprintf(helper, sizeof(helper), "%s/ashmem-boot-id-node", udev_dir());
	ASSERT_EQ(0, access(helper, X_OK)) TH_LOG("%s: %s", helper,
						  strerror(errno));
	snprintf(devname, sizeof(devname), "DEVNAME=%s", self->plain);
	snprintf(major_env, sizeof(major_env), "MAJOR=%u", major(self->dev));
	snprintf(minor_env, sizeof(minor_env), "MINOR=%u", minor(self->dev));
	ASSERT_EQ(0, run_cmd(&res, envp, argv));
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->boot, self->dev);
	assert_lookup_root(_metadata, self->dir, self->dev);
	assert_lookup_unprivileged(_metadata, self->dir, self->dev);

	/* a stale node of another number is replaced */
	ASSERT_EQ(0, unlink(self->boot));
	ASSERT_EQ(0, mknod(self->boot, S_IFCHR | 0600,
			   makedev(major(self->dev), minor(self->dev) + 1)));
	ASSERT_EQ(0, run_cmd(&res, envp, argv));
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->boot, self->dev);

	envp[0] = "ACTION=remove";
	ASSERT_EQ(0, run_cmd(&res, envp, argv));
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_NE(0, access(self->boot, F_OK));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(nodes, node_check_reports_wrong_mode)
{
	char expect[PATH_MAX + 64];

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_EQ(0, chmod(self->boot, 0600));

	ASHMEMCTL(_metadata, "node", "--dev", self->dir, "--check");
	ASSERT_EQ(1, res.status) LOG_RESULT();
	snprintf(expect, sizeof(expect),
		 "ashmemctl: node: %s: has mode 0600, needs 0666\n", self->boot);
	ASSERT_STREQ(expect, res.err);
	/* the plain name is fine, and said to be */
	snprintf(expect, sizeof(expect), "%s: ok", self->plain);
	ASSERT_NE(NULL, strstr(res.out, expect)) LOG_RESULT();
	/* --check changed nothing */
	ASSERT_EQ(0, access(self->boot, F_OK));
	{
		struct stat st;

		ASSERT_EQ(0, stat(self->boot, &st));
		ASSERT_EQ(0600, st.st_mode & 07777);
	}

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->boot, self->dev);
}

TEST_F(nodes, node_check_reports_wrong_minor)
{
	dev_t wrong = makedev(major(self->dev), minor(self->dev) + 1);
	char expect[PATH_MAX + 96];

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_EQ(0, unlink(self->boot));
	ASSERT_EQ(0, mknod(self->boot, S_IFCHR, wrong));
	ASSERT_EQ(0, chmod(self->boot, 0666));

	ASHMEMCTL(_metadata, "node", "--dev", self->dir, "--check");
	ASSERT_EQ(1, res.status) LOG_RESULT();
	snprintf(expect, sizeof(expect),
		 "ashmemctl: node: %s: is device %u:%u (wrong minor), ashmem is %u:%u\n",
		 self->boot, major(wrong), minor(wrong), major(self->dev),
		 minor(self->dev));
	ASSERT_STREQ(expect, res.err);

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->boot, self->dev);
	assert_lookup_root(_metadata, self->dir, self->dev);
}

TEST_F(nodes, node_check_reports_regular_file_and_missing_names)
{
	char expect[2 * PATH_MAX + 128];
	int fd;

	fd = open(self->plain, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	ASSERT_LE(0, fd);
	close(fd);

	ASHMEMCTL(_metadata, "node", "--dev", self->dir, "--check");
	ASSERT_EQ(1, res.status) LOG_RESULT();
	snprintf(expect, sizeof(expect),
		 "ashmemctl: node: %s: is a regular file, not a character device node\n"
		 "ashmemctl: node: %s: missing\n", self->plain, self->boot);
	ASSERT_STREQ(expect, res.err);

	ASHMEMCTL(_metadata, "node", "--dev", self->dir);
	ASSERT_EQ(0, res.status) LOG_RESULT();
	assert_node(_metadata, self->plain, self->dev);
	assert_node(_metadata, self->boot, self->dev);
}

/*
 * ls finds this process' area by a name the driver must escape (space,
 * tab, newline, backslash), with its fd, size and unpinned pages.
 */
TEST(ls_finds_area_by_escaped_name)
{
	size_t ps = page_size();
	char name[64], json_name[96], needle[160], line[512], field[64];
	char *addr;
	int fd;

	snprintf(name, sizeof(name), "ls probe\t%d\n\\ end", getpid());
	/* JSON and ls' table escape these four the same way */
	snprintf(json_name, sizeof(json_name), "ls probe\\t%d\\n\\\\ end",
		 getpid());
	fd = ashmem_create(_metadata, name, 3 * ps);
	addr = ashmem_assert_mmap(_metadata, fd, 3 * ps,
				  PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, ps, ps, 0);

	ASHMEMCTL(_metadata, "ls", "--json");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	snprintf(needle, sizeof(needle), "\"name\": \"%s\"", json_name);
	ASSERT_TRUE(find_line(res.out, needle, line, sizeof(line))) LOG_RESULT();
	snprintf(field, sizeof(field), "\"pid\": %d,", getpid());
	ASSERT_NE(NULL, strstr(line, field)) TH_LOG("%s", line);
	snprintf(field, sizeof(field), "\"fd\": %d,", fd);
	ASSERT_NE(NULL, strstr(line, field)) TH_LOG("%s", line);
	snprintf(field, sizeof(field), "\"size\": %zu,", 3 * ps);
	ASSERT_NE(NULL, strstr(line, field)) TH_LOG("%s", line);
	ASSERT_NE(NULL, strstr(line, "\"unpinned_pages\": 1,")) TH_LOG("%s", line);
	ASSERT_NE(NULL, strstr(line, "\"purged_pages\": 0}")) TH_LOG("%s", line);

	ASHMEMCTL(_metadata, "ls");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_TRUE(find_line(res.out, json_name, line, sizeof(line)))
		LOG_RESULT();
	snprintf(field, sizeof(field), "%d ", getpid());
	ASSERT_NE(NULL, strstr(line, field)) TH_LOG("%s", line);

	/* closed, it is gone */
	munmap(addr, 3 * ps);
	close(fd);
	ASHMEMCTL(_metadata, "ls", "--json");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_EQ(NULL, strstr(res.out, needle)) LOG_RESULT();
}

/* purge prints the unpinned pages it found and purges them. */
TEST(purge_reports_unpinned_pages_and_purges_them)
{
	size_t ps = page_size(), len = 4 * ps;
	unsigned long pages = 0;
	char *addr;
	int fd;

	fd = ashmem_create(_metadata, "purge probe", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, 0);
	fill_pattern(addr, len, 3);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_UNPIN, 0, 0, 0);

	ASHMEMCTL(_metadata, "purge");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_EQ(1, sscanf(res.out, "unpinned_pages: %lu", &pages))
		LOG_RESULT();
	ASSERT_LE(4, pages);
	ashmem_assert_pin_cmd(_metadata, fd, ASHMEM_PIN, 0, 0,
			      ASHMEM_WAS_PURGED);
	ASSERT_TRUE(is_zero(addr, len));
	munmap(addr, len);
	close(fd);
}

/*
 * stat shows the driver's counters, which count this test's area (its
 * bytes once it is mapped and has a backing file).
 */
TEST(stat_counts_this_area)
{
	size_t len = 5 * page_size();
	char line[128];
	long areas = -1, bytes = -1;
	void *addr;
	int fd;

	fd = ashmem_create(_metadata, "stat probe", len);
	addr = ashmem_assert_mmap(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	ASHMEMCTL(_metadata, "stat");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	ASSERT_TRUE(find_line(res.out, "areas ", line, sizeof(line)))
		LOG_RESULT();
	ASSERT_EQ(1, sscanf(line, "areas %ld", &areas));
	ASSERT_TRUE(find_line(res.out, "bytes ", line, sizeof(line)))
		LOG_RESULT();
	ASSERT_EQ(1, sscanf(line, "bytes %ld", &bytes));
	ASSERT_LE(1, areas);
	ASSERT_LE((long)len, bytes);
	ASSERT_NE(NULL, strstr(res.out, "lru_pages ")) LOG_RESULT();
	munmap(addr, len);
	close(fd);
}

/* create runs the command with the area open on the fd asked for. */
TEST(create_runs_command_with_area_on_fd)
{
	ASHMEMCTL(_metadata, "create", "create probe", "8K", "--fd", "5", "--",
		  "/bin/cat", "/proc/self/fdinfo/5");
	ASSERT_EQ(0, res.status) LOG_RESULT();
	/* the driver's fdinfo: escaped name, size; cat got exactly that fd */
	ASSERT_NE(NULL, strstr(res.out, "name:\tcreate\\040probe\n"))
		LOG_RESULT();
	ASSERT_NE(NULL, strstr(res.out, "size:\t8192\n")) LOG_RESULT();

	ASHMEMCTL(_metadata, "create", "x", "4096", "--", "/nonexistent");
	ASSERT_EQ(127, res.status) LOG_RESULT();
	ASSERT_EQ(1, count_lines(res.err)) LOG_RESULT();
}

/* Every subcommand has --help; misuse is one "ashmemctl: " line and non-zero. */
TEST(help_and_misuse)
{
	static const char *const commands[] = { "node", "stat", "purge", "ls",
						"create" };
	char usage[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		ASHMEMCTL(_metadata, commands[i], "--help");
		ASSERT_EQ(0, res.status) LOG_RESULT();
		snprintf(usage, sizeof(usage), "usage: ashmemctl %s",
			 commands[i]);
		ASSERT_EQ(0, strncmp(res.out, usage, strlen(usage)))
			LOG_RESULT();
	}
	ASHMEMCTL(_metadata, "frobnicate");
	ASSERT_NE(0, res.status);
	ASSERT_EQ(1, count_lines(res.err)) LOG_RESULT();
	ASSERT_EQ(0, strncmp(res.err, "ashmemctl: ", 11)) LOG_RESULT();
	ASHMEMCTL(_metadata, "node", "--dev", "/nonexistent");
	ASSERT_EQ(1, res.status);
	ASSERT_EQ(1, count_lines(res.err)) LOG_RESULT();
	ASHMEMCTL(_metadata, "create", "x", "12Q", "--", "/bin/true");
	ASSERT_EQ(1, res.status);
	ASSERT_STREQ("ashmemctl: create: bad size '12Q'\n", res.err);
}

TEST_HARNESS_MAIN
