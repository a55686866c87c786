/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ashmem: the kernel API differences between the versions the driver
 * builds on.  This is the only file that tests LINUX_VERSION_CODE or the
 * ASHMEM_HAVE_* facts; the rest of the driver calls these helpers.
 *
 * Where a distribution may have backported a change (RHEL does), the
 * decision is a fact about the kernel's headers rather than its version:
 * Kbuild greps the headers and defines ASHMEM_HAVE_<X> (see "header
 * probes" there), and this file is the only reader of those macros.
 *
 * Copyright (C) 2026 The ashmem-linux authors
 */
#ifndef _ASHMEM_COMPAT_H
#define _ASHMEM_COMPAT_H

#include <linux/fs.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/version.h>

/* struct folio_batch: pagevec.h until 6.x, a header of its own in 7.x */
#ifdef ASHMEM_HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

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
#ifdef ASHMEM_HAVE_ACCOUNT_RECLAIMED
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
#ifdef ASHMEM_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * A shmem file of @size bytes; @vm_flags (VM_NORESERVE or not) decides its
 * memory accounting.  7.x passes the flags as a vma_flags_t bitmap.
 */
static inline struct file *ashmem_shmem_file_setup(const char *name,
						   loff_t size,
						   unsigned long vm_flags)
{
#ifdef ASHMEM_HAVE_SHMEM_VMA_FLAGS
	return shmem_file_setup(name, size, legacy_to_vma_flags(vm_flags));
#else
	return shmem_file_setup(name, size, vm_flags);
#endif
}

/*
 * Let shmem set up @vma, a mapping of its file @file, through @fops, the
 * operations shmem gave that file (the file itself carries the driver's
 * copy, which refuses mmap).  Since 6.19 shmem describes a mapping with
 * ->mmap_prepare() on a struct vm_area_desc instead of ->mmap() on the
 * vma; the kernel's "compat" helpers apply such a description to a vma
 * that exists already, the way a stacked filesystem does.  They come in
 * three forms: __compat_vma_mmap_prepare(fops, file, vma) in 6.18 (whose
 * shmem still has ->mmap, unless a distribution backported its change),
 * __compat_vma_mmap(fops, file, vma) in 6.19 and 7.0, and a description
 * filled by compat_set_desc_from_vma() and applied by
 * __compat_vma_mmap(desc, vma) since 7.1.  6.16 and 6.17 have only the
 * one that takes the file's own operations, the refusing copy: there
 * shmem's ->mmap is the only way.
 */
static inline int ashmem_shmem_mmap(const struct file_operations *fops,
				    struct file *file,
				    struct vm_area_struct *vma)
{
#if defined(ASHMEM_HAVE_MMAP_PREPARE) && defined(ASHMEM_HAVE_COMPAT_DESC)
	if (fops->mmap_prepare) {
		struct vm_area_desc desc;
		int ret;

		compat_set_desc_from_vma(&desc, file, vma);
		ret = fops->mmap_prepare(&desc);
		if (ret)
			return ret;
		return __compat_vma_mmap(&desc, vma);
	}
#elif defined(ASHMEM_HAVE_MMAP_PREPARE) && defined(ASHMEM_HAVE_COMPAT_MMAP_FOPS)
	if (fops->mmap_prepare)
		return __compat_vma_mmap(fops, file, vma);
#elif defined(ASHMEM_HAVE_MMAP_PREPARE) && defined(ASHMEM_HAVE_COMPAT_PREPARE_FOPS)
	if (fops->mmap_prepare)
		return __compat_vma_mmap_prepare(fops, file, vma);
#elif defined(ASHMEM_HAVE_MMAP_PREPARE)
	if (fops->mmap_prepare) {
		pr_warn_once("ashmem: shmem's ->mmap_prepare cannot be called on this kernel\n");
		return -ENODEV;
	}
#endif
	return fops->mmap(file, vma);
}

/*
 * Make @fops, a copy of shmem's file operations, refuse mmap() with
 * @refuse: ->mmap and ->mmap_prepare may not both be set.
 */
static inline void ashmem_fops_refuse_mmap(struct file_operations *fops,
					   int (*refuse)(struct file *,
							 struct vm_area_struct *))
{
#ifdef ASHMEM_HAVE_MMAP_PREPARE
	fops->mmap_prepare = NULL;
#endif
	fops->mmap = refuse;
}

/*
 * Shrinkers.  6.7 replaced the struct shrinker that a module embeds and
 * registers with one that the kernel allocates: shrinker_alloc(), then
 * shrinker_register() once the callbacks are set, shrinker_free() to
 * unregister and free.  The three helpers below give every kernel that
 * shape; before 6.7 the struct is the module's (kzalloc()ed here) and
 * registering it can fail.
 */

/**
 * ashmem_shrinker_alloc() - allocate a shrinker, not yet registered
 * @flags: SHRINKER_* flags (SHRINKER_MEMCG_AWARE, SHRINKER_NUMA_AWARE)
 * @name: its name in debugfs (6.0+)
 *
 * Set the callbacks, ->seeks and ->private_data (6.7+ only), then call
 * ashmem_shrinker_register().
 *
 * Context: Process context; may sleep.
 * Return: the shrinker, or %NULL when out of memory.
 */
static inline struct shrinker *ashmem_shrinker_alloc(unsigned int flags,
						     const char *name)
{
#ifdef ASHMEM_HAVE_SHRINKER_ALLOC
	return shrinker_alloc(flags, "%s", name);
#else
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (s)
		s->flags = flags;
	return s;
#endif
}

/**
 * ashmem_shrinker_register() - make a shrinker from ashmem_shrinker_alloc() live
 * @s: the shrinker
 * @name: the name given to ashmem_shrinker_alloc()
 *
 * On failure @s is still to be freed with ashmem_shrinker_free().
 *
 * Context: Process context; may sleep.
 * Return: 0, or a negative errno (only before 6.7).
 */
static inline int ashmem_shrinker_register(struct shrinker *s,
					   const char *name)
{
#ifdef ASHMEM_HAVE_SHRINKER_ALLOC
	shrinker_register(s);
	return 0;
#else
	return register_shrinker(s, "%s", name);
#endif
}

/**
 * ashmem_shrinker_free() - unregister (if registered) and free a shrinker
 * @s: the shrinker from ashmem_shrinker_alloc(), or %NULL
 *
 * Context: Process context; may sleep (waits for running scans).
 */
static inline void ashmem_shrinker_free(struct shrinker *s)
{
#ifdef ASHMEM_HAVE_SHRINKER_ALLOC
	shrinker_free(s);
#else
	if (!s)
		return;
	/* a no-op for a shrinker that was never registered */
	unregister_shrinker(s);
	kfree(s);
#endif
}

/*
 * list_lru: 6.8 gave list_lru_add() and list_lru_del() explicit node and
 * memory cgroup arguments and renamed the forms that derive both from the
 * item's own memory (its page's node, the memcg its slab object is charged
 * to) to *_obj().  The driver wants the latter on every kernel: a range is
 * on the list of the node and cgroup its allocation was charged to.
 */
static inline bool ashmem_list_lru_add(struct list_lru *lru,
				       struct list_head *item)
{
#ifdef ASHMEM_HAVE_LIST_LRU_NID
	return list_lru_add_obj(lru, item);
#else
	return list_lru_add(lru, item);
#endif
}

static inline bool ashmem_list_lru_del(struct list_lru *lru,
				       struct list_head *item)
{
#ifdef ASHMEM_HAVE_LIST_LRU_NID
	return list_lru_del_obj(lru, item);
#else
	return list_lru_del(lru, item);
#endif
}

/*
 * 6.13 took the list lock out of the walk callback's arguments.
 * ASHMEM_LRU_WALK_CB(name) declares a callback with the arguments @item,
 * @list and @arg on every kernel.
 */
#ifdef ASHMEM_HAVE_LRU_WALK_NO_LOCK
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
#ifdef ASHMEM_HAVE_KUNIT_VISIBILITY_H
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
