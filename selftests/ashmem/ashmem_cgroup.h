/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup2 for the tests that put processes into memory cgroups: the
 * hierarchy is the guest's, mounted at /sys/fs/cgroup by its /init.  A test
 * enables the memory controller for the root's children if it is off,
 * makes its groups there, and undoes both in its teardown.
 */
#ifndef ASHMEM_CGROUP_H
#define ASHMEM_CGROUP_H

#include <sched.h>
#include <sys/statfs.h>
#include <time.h>

#include <linux/magic.h>

#include "ashmem_helpers.h"

#define CGROUP2		"/sys/fs/cgroup"
/* a group may be left a moment after its last task is reaped */
#define CGROUP_SETTLE_SECONDS	30

static inline int memcg_write(const char *dir, const char *file,
			      const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_text_file(path, value);
}

/* The value of "@key N" in a flat-keyed cgroup file, or of a plain one. */
static inline long memcg_read(const char *dir, const char *file,
			      const char *key)
{
	char path[256], text[4096], *line;
	size_t len = key ? strlen(key) : 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_text_file(path, text, sizeof(text)) < 0)
		return -1;
	if (!key)
		return strtol(text, NULL, 10);
	for (line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, len) && line[len] == ' ')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/* True if the space-separated @list (a cgroup controller list) has @word. */
static inline bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') &&
		    (!p[len] || p[len] == ' ' || p[len] == '\n'))
			return true;
	return false;
}

static inline long seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec;
}

/* cgroup2 is mounted at CGROUP2 and offers the memory controller. */
static inline void cgroup2_assert_memory(struct __test_metadata *_metadata)
{
	char controllers[256];
	struct statfs fs;

	ASSERT_EQ(0, statfs(CGROUP2, &fs)) {
		TH_LOG("statfs(%s): %s", CGROUP2, strerror(errno));
	}
	ASSERT_EQ(CGROUP2_SUPER_MAGIC, fs.f_type) {
		TH_LOG("no cgroup2 at %s (the guest's /init mounts it)",
		       CGROUP2);
	}
	ASSERT_LE(0, read_text_file(CGROUP2 "/cgroup.controllers", controllers,
				    sizeof(controllers)));
	ASSERT_TRUE(has_word(controllers, "memory")) {
		TH_LOG("no memory controller in cgroup2 (CONFIG_MEMCG? a v1 mount?), only: %s",
		       controllers);
	}
}

/*
 * Enables memory for the root's children if it is off; sets @added if this
 * call did, for cgroup_disable_memory() to undo.
 */
static inline void cgroup_enable_memory(struct __test_metadata *_metadata,
					bool *added)
{
	char enabled[256];

	ASSERT_LE(0, read_text_file(CGROUP2 "/cgroup.subtree_control", enabled,
				    sizeof(enabled)));
	if (has_word(enabled, "memory"))
		return;
	ASSERT_EQ(0, write_text_file(CGROUP2 "/cgroup.subtree_control",
				     "+memory")) {
		TH_LOG("enabling memory in the root group: %s",
		       strerror(errno));
	}
	*added = true;
}

static inline void cgroup_disable_memory(struct __test_metadata *_metadata,
					 bool added)
{
	if (!added)
		return;
	EXPECT_EQ(0, write_text_file(CGROUP2 "/cgroup.subtree_control",
				     "-memory")) {
		TH_LOG("disabling memory in the root group: %s",
		       strerror(errno));
	}
}

/*
 * Makes @dir, a group with memory limit @max ("max": none) and no swap, and
 * sets it in @made (of size @size) so that teardown removes it.
 */
static inline void cgroup_make(struct __test_metadata *_metadata,
			       const char *dir, const char *max, char *made,
			       size_t size)
{
	char path[256];

	ASSERT_EQ(0, mkdir(dir, 0755)) TH_LOG("mkdir(%s): %s", dir, strerror(errno));
	snprintf(made, size, "%s", dir);
	ASSERT_EQ(0, memcg_write(dir, "memory.max", max)) {
		TH_LOG("%s/memory.max: %s", dir, strerror(errno));
	}
	/* no swap to push anything to, should the guest ever get some */
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	if (!access(path, F_OK))
		ASSERT_EQ(0, write_text_file(path, "0"));
}

/* Removes a group made by cgroup_make() once its tasks are gone. */
static inline void cgroup_remove(struct __test_metadata *_metadata,
				 const char *dir)
{
	struct timespec start;

	if (!dir[0])
		return;
	/*
	 * A group goes away once empty, even while memory is still charged
	 * to it; a reaped task may leave it a moment late (EBUSY meanwhile,
	 * seen on PREEMPT_RT).
	 */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (rmdir(dir) && (errno == EBUSY || errno == EAGAIN) &&
	       seconds_since(&start) < CGROUP_SETTLE_SECONDS)
		sched_yield();
	EXPECT_NE(0, access(dir, F_OK)) {
		TH_LOG("rmdir(%s): %s", dir, strerror(errno));
	}
}

#endif /* ASHMEM_CGROUP_H */
