/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection at pvlens's own call sites.
 *
 * Every call a pvlens module makes that can fail (an allocation, a sysfs or
 * block/net registration, virtio_find_vqs()) goes through one of the macros
 * below.  On a kernel with CONFIG_FAULT_INJECTION each consults the kernel's
 * fault attributes in /sys/kernel/debug/pvlens/fault_inject/ (probability,
 * interval, times, task-filter: Documentation/fault-injection/) and the
 * calling task's /proc/<pid>/fail-nth.  With failslab and fail_page_alloc
 * kept out of the way, a sweep can then fail each of our sites in turn and
 * nothing in the kernel besides.  Elsewhere the macros are the plain call.
 *
 * A site that is to fail does not make the call, so there is nothing to undo.
 */
#ifndef _PVLENS_FAULT_H
#define _PVLENS_FAULT_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>

#ifdef CONFIG_FAULT_INJECTION
bool pvlens_should_fail(void);
#else
static inline bool pvlens_should_fail(void)
{
	return false;
}
#endif

/* @call, or NULL when this site is to fail (pointer-returning calls). */
#define pvlens_fault_null(call)	(pvlens_should_fail() ? NULL : (call))
/* @call, or ERR_PTR(-ENOMEM) when this site is to fail. */
#define pvlens_fault_errptr(call) \
	(pvlens_should_fail() ? ERR_PTR(-ENOMEM) : (call))
/* @call, or -ENOMEM when this site is to fail (0-or-errno calls). */
#define pvlens_fault_errno(call) (pvlens_should_fail() ? -ENOMEM : (call))

#endif /* _PVLENS_FAULT_H */
