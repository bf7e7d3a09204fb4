/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where pvlens_clock finds the per-CPU areas a hypervisor writes: kvm-clock
 * and steal time registered by the guest kernel ("kvm"), or areas owned by
 * the simulated hypervisor module ("simulated").  The reader is the same for
 * both; only the source differs.
 */
#ifndef _PVLENS_CLOCK_SOURCE_H
#define _PVLENS_CLOCK_SOURCE_H

#include <linux/types.h>
#include <asm/pvclock-abi.h>
#include <uapi/asm/kvm_para.h>

struct pvlens_clock_source {
	/* "kvm" or "simulated": the value of the `source` sysfs file. */
	const char *name;
	/*
	 * The areas of @cpu, or NULL when it has none.  Called from process
	 * context on any CPU; an area stays valid until the source detaches.
	 */
	const struct pvclock_vcpu_time_info *(*pvti)(unsigned int cpu);
	const struct kvm_steal_time *(*steal)(unsigned int cpu);
	/*
	 * Optional: the hypervisor time (ns) the steal value in @st refers to,
	 * from a copy read under its version.  Without it the reader stamps a
	 * sample with its own clock when it reads the area.
	 */
	u64 (*steal_stamp)(unsigned int cpu, const struct kvm_steal_time *st);
};

/*
 * Make @src the source of every CPU.  One external source at a time:
 * -EBUSY when another is attached.  Resets the per-CPU history.
 */
int pvlens_clock_attach_source(const struct pvlens_clock_source *src);
/* Back to the kvm source (or none); returns when no reader uses @src. */
void pvlens_clock_detach_source(const struct pvlens_clock_source *src);

/*
 * The simulated hypervisor publishes the time its steal value refers to in
 * the padding of struct kvm_steal_time that KVM leaves zero: pad[0] low and
 * pad[1] high 32 bits, written under the area's version like the rest.
 */
#define PVLENS_SIM_STAMP_LO	0
#define PVLENS_SIM_STAMP_HI	1

#endif /* _PVLENS_CLOCK_SOURCE_H */
