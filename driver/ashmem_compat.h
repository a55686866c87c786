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

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
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
 * 6.7 replaced the embedded struct shrinker with shrinker_alloc(); the
 * driver keeps a pointer either way.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *
ashmem_shrinker_create(const struct shrinker *tmpl, const char *name)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = tmpl->count_objects;
	s->scan_objects = tmpl->scan_objects;
	s->seeks = tmpl->seeks;
	shrinker_register(s);
	return s;
}

static inline void ashmem_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *
ashmem_shrinker_create(struct shrinker *tmpl, const char *name)
{
	return register_shrinker(tmpl, "%s", name) ? NULL : tmpl;
}

static inline void ashmem_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
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
