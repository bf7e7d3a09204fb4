/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PVLENS_CORE_FAULT_H
#define _PVLENS_CORE_FAULT_H

struct dentry;

#ifdef CONFIG_FAULT_INJECTION
void pvlens_fault_debugfs_init(struct dentry *parent);
#else
static inline void pvlens_fault_debugfs_init(struct dentry *parent)
{
}
#endif

#endif /* _PVLENS_CORE_FAULT_H */
