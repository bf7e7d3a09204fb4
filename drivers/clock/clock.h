/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the parts of pvlens_clock. */
#ifndef _PVLENS_CLOCK_INTERNAL_H
#define _PVLENS_CLOCK_INTERNAL_H

#include <linux/kobject.h>
#include <pvlens/clock_source.h>

/* Versioned copies of hypervisor areas: 0, or -EAGAIN when never stable. */
int pvl_read_pvti(const struct pvclock_vcpu_time_info *src,
		  struct pvclock_vcpu_time_info *dst);
int pvl_read_steal(const struct kvm_steal_time *src,
		   struct kvm_steal_time *dst);

/* kvm.c: the areas the guest kernel registered with KVM. */
const struct pvlens_clock_source *pvl_kvm_init(void);
void pvl_kvm_cpu_online(unsigned int cpu);
void pvl_kvm_exit(void);

/* probe.c: the on-demand exit-cost probe, files in @dir. */
int pvl_probe_init(struct kobject *dir);
void pvl_probe_exit(struct kobject *dir);
const char *pvl_hypervisor_label(void);

#endif /* _PVLENS_CLOCK_INTERNAL_H */
