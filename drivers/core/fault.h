/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PVLENS_CORE_FAULT_H
#define _PVLENS_CORE_FAULT_H

struct dentry;

#ifdef CONFIG_FAULT_INJECTION
void pvlens_fault_debugfs_init(struct dentry *parent);
void pvlens_fault_debugfs_exit(void);
#else
static inline void pvlens_fault_debugfs_init(struct dentry *parent)
{
}

static inline void pvlens_fault_debugfs_exit(void)
{
}
#endif

#endif /* _PVLENS_CORE_FAULT_H */
