// SPDX-License-Identifier: GPL-2.0
/*
 * The fault attribute behind include/pvlens/fault.h, built only on kernels
 * with CONFIG_FAULT_INJECTION.  Off until configured: probability 0, and a
 * task's fail-nth counts our sites as it counts the slab allocator's.
 */
#include <linux/dcache.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <pvlens/fault.h>
#include "fault.h"

static DECLARE_FAULT_ATTR(pvlens_fault_attr);

bool pvlens_should_fail(void)
{
	return should_fail(&pvlens_fault_attr, 1);
}
EXPORT_SYMBOL_GPL(pvlens_should_fail);

void pvlens_fault_debugfs_init(struct dentry *parent)
{
	/* Unchecked like the rest of debugfs: a failure only hides the knobs. */
	fault_create_debugfs_attr("fault_inject", parent, &pvlens_fault_attr);
}

/* After the directory is removed: the attribute holds a dentry reference. */
void pvlens_fault_debugfs_exit(void)
{
	dput(pvlens_fault_attr.dname);
	pvlens_fault_attr.dname = NULL;
}
