/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ashmem: the kernel API differences between the versions the driver
 * builds on.  This is the only file that tests LINUX_VERSION_CODE; the rest
 * of the driver calls these helpers.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */
#ifndef _ASHMEM_COMPAT_H
#define _ASHMEM_COMPAT_H

#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 0, 0)
#error "ashmem_linux needs Linux 6.0 or later"
#endif

/*
 * Credit pages freed outside the LRU to the reclaim that is running in this
 * task, if any (kswapd, direct reclaim).  Without it reclaim sees no
 * progress from a shrinker that frees whole pages: kswapd counts a failure
 * and soon stops waking, and direct reclaim heads for the OOM killer
 * although memory came back.  6.4 named the helper and the field.
 */
static inline void ashmem_account_reclaimed(unsigned long pages)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	mm_account_reclaimed_pages(pages);
#else
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += pages;
#endif
}

/* vm_flags became read-only with setters in 6.3. */
static inline void ashmem_vm_flags_clear(struct vm_area_struct *vma,
					 unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * 6.7 replaced the embedded struct shrinker with shrinker_alloc(), which
 * also gives a memcg-aware shrinker its id; before, register_shrinker()
 * did that.  So the driver allocates, registers, and only then ties its
 * list_lru to the shrinker (list_lru_init_memcg() reads the id), on every
 * version.  A shrinker registered this way may be called before the
 * list_lru is ready: the driver's callbacks check for that.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *ashmem_shrinker_alloc(unsigned int flags,
						     const char *name)
{
	return shrinker_alloc(flags, "%s", name);
}

static inline int ashmem_shrinker_register(struct shrinker *s,
					   const char *name)
{
	shrinker_register(s);
	return 0;
}

static inline void ashmem_shrinker_free(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *ashmem_shrinker_alloc(unsigned int flags,
						     const char *name)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (s)
		s->flags = flags;
	return s;
}

static inline int ashmem_shrinker_register(struct shrinker *s,
					   const char *name)
{
	return register_shrinker(s, "%s", name);
}

/* unregister_shrinker() ignores a shrinker that was never registered */
static inline void ashmem_shrinker_free(struct shrinker *s)
{
	if (!s)
		return;
	unregister_shrinker(s);
	kfree(s);
}
#endif

/*
 * 6.8 gave list_lru_add() and list_lru_del() explicit node and memcg
 * arguments and renamed the forms that derive both from the object's slab
 * page to *_obj().  The driver wants the latter: a range is on the list of
 * the node and memory cgroup its allocation was charged to.
 */
static inline bool ashmem_list_lru_add(struct list_lru *lru,
				       struct list_head *item)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return list_lru_add_obj(lru, item);
#else
	return list_lru_add(lru, item);
#endif
}

static inline bool ashmem_list_lru_del(struct list_lru *lru,
				       struct list_head *item)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return list_lru_del_obj(lru, item);
#else
	return list_lru_del(lru, item);
#endif
}

/*
 * 6.13 took the list lock out of the walk callback's arguments (the lock is
 * the list's own since then).  ASHMEM_LRU_WALK_CB(name) declares a callback
 * with the arguments @item, @list and @arg on every version.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define ASHMEM_LRU_WALK_CB(name)					\
	enum lru_status name(struct list_head *item,			\
			     struct list_lru_one *list, void *arg)
#else
#define ASHMEM_LRU_WALK_CB(name)					\
	enum lru_status name(struct list_head *item,			\
			     struct list_lru_one *list,			\
			     spinlock_t *lock __always_unused, void *arg)
#endif

/*
 * Whether memory charged to @memcg (%NULL: to none) is within @target's
 * hierarchy.  root_mem_cgroup is not exported: the root is the cgroup
 * without a parent.  Context: rcu_read_lock() held.
 */
#ifdef CONFIG_MEMCG
static inline bool ashmem_memcg_within(struct mem_cgroup *memcg,
				       struct mem_cgroup *target)
{
	if (!memcg)
		return !target->css.parent;
	return mem_cgroup_is_descendant(memcg, target);
}
#else
static inline bool ashmem_memcg_within(struct mem_cgroup *memcg,
				       struct mem_cgroup *target)
{
	return true;
}
#endif

/*
 * The KUnit tests are a module of their own (KUnit runs a module's suites
 * before its init) and reach the range code through EXPORT_SYMBOL_IF_KUNIT,
 * which exists only on kernels with KUnit.  Upstream added it in 6.2
 * (Debian's 6.1 has it backported); 6.13 made namespaces strings.
 */
#if __has_include("kunit/visibility.h")
#include <kunit/visibility.h>
#elif IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(symbol) \
	EXPORT_SYMBOL_NS(symbol, EXPORTED_FOR_KUNIT_TESTING)
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define ASHMEM_IMPORT_FOR_KUNIT() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define ASHMEM_IMPORT_FOR_KUNIT() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

#endif /* _ASHMEM_COMPAT_H */
