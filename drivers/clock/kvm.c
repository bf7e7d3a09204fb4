// SPDX-License-Identifier: GPL-2.0
/*
 * The "kvm" source: the kvm-clock areas of the guest kernel and the steal
 * time areas it registered with KVM, found without writing any MSR.
 *
 * Untested here: the test machine runs guests under TCG, which has no KVM
 * paravirt features (Documentation/clock.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_para.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/hypervisor.h>
#include <asm/msr.h>
#include <asm/pvclock.h>
#include <asm/kvmclock.h>	/* after asm/pvclock.h, which it needs */

#include "clock.h"

struct pvl_kvm_cpu {
	const struct kvm_steal_time __rcu *st;
	void *map;
	u64 msr;
};

static struct pvl_kvm_cpu *pvl_kvm_cpus;
static bool pvl_kvm_has_clock, pvl_kvm_has_steal;

static const struct pvclock_vcpu_time_info *pvl_kvm_pvti(unsigned int cpu)
{
	struct pvclock_vsyscall_time_info *p;

	if (!pvl_kvm_has_clock)
		return NULL;
	p = READ_ONCE(per_cpu(hv_clock_per_cpu, cpu));
	if (!p && cpu == 0)
		p = pvclock_get_pvti_cpu0_va();
	return p ? &p->pvti : NULL;
}

/* Caller holds rcu_read_lock(). */
static const struct kvm_steal_time *pvl_kvm_steal(unsigned int cpu)
{
	if (!pvl_kvm_cpus)
		return NULL;
	return rcu_dereference(pvl_kvm_cpus[cpu].st);
}

static const struct pvlens_clock_source pvl_kvm_source = {
	.name = "kvm",
	.pvti = pvl_kvm_pvti,
	.steal = pvl_kvm_steal,
};

/*
 * Runs on @cpu when it comes online: read back where the guest kernel
 * registered the steal area and map that page read-only.
 */
void pvl_kvm_cpu_online(unsigned int cpu)
{
	struct pvl_kvm_cpu *kc;
	struct page *page;
	phys_addr_t pa;
	void *map, *old;
	u64 msr;

	if (!pvl_kvm_has_steal || !pvl_kvm_cpus)
		return;
	kc = &pvl_kvm_cpus[cpu];
	if (rdmsrl_safe(MSR_KVM_STEAL_TIME, &msr)) {
		pr_warn_once("cpu%u: MSR_KVM_STEAL_TIME unreadable\n", cpu);
		return;
	}
	if (!(msr & KVM_MSR_ENABLED) || msr == kc->msr)
		return;
	/* Bits 63:6 hold the 64-byte aligned address of the area. */
	pa = msr & ~(u64)(sizeof(struct kvm_steal_time) - 1);
	if (!pfn_valid(PHYS_PFN(pa))) {
		pr_warn("cpu%u: steal area %pa is not RAM, ignored\n", cpu, &pa);
		return;
	}
	page = pfn_to_page(PHYS_PFN(pa));
	/* Shared with the host: unencrypted on SEV guests, like kvm.c maps it. */
	map = vmap(&page, 1, VM_MAP, pgprot_decrypted(PAGE_KERNEL_RO));
	if (!map) {
		pr_warn("cpu%u: cannot map the steal area\n", cpu);
		return;
	}
	old = kc->map;
	rcu_assign_pointer(kc->st, map + offset_in_page(pa));
	kc->map = map;
	kc->msr = msr;
	if (old) {
		synchronize_rcu();
		vunmap(old);
	}
}

const struct pvlens_clock_source *pvl_kvm_init(void)
{
	u32 base, features;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return NULL;
	base = hypervisor_cpuid_base(KVM_SIGNATURE, 0);
	if (!base)
		return NULL;
	features = cpuid_eax(base | KVM_CPUID_FEATURES);
	pvl_kvm_has_clock = (features & (BIT(KVM_FEATURE_CLOCKSOURCE) |
					 BIT(KVM_FEATURE_CLOCKSOURCE2))) &&
			    pvl_kvm_pvti(0);
	pvl_kvm_has_steal = features & BIT(KVM_FEATURE_STEAL_TIME);
	if (!pvl_kvm_has_clock && !pvl_kvm_has_steal)
		return NULL;
	if (pvl_kvm_has_steal) {
		pvl_kvm_cpus = kcalloc(nr_cpu_ids, sizeof(*pvl_kvm_cpus),
				       GFP_KERNEL);
		if (!pvl_kvm_cpus)
			pvl_kvm_has_steal = false;
	}
	pr_info("KVM features %#x: kvm-clock %s, steal time %s\n", features,
		pvl_kvm_has_clock ? "yes" : "no",
		pvl_kvm_has_steal ? "yes" : "no");
	return &pvl_kvm_source;
}

/* After every reader is gone (the caller synchronised RCU). */
void pvl_kvm_exit(void)
{
	unsigned int cpu;

	if (!pvl_kvm_cpus)
		return;
	for_each_possible_cpu(cpu)
		if (pvl_kvm_cpus[cpu].map)
			vunmap(pvl_kvm_cpus[cpu].map);
	kfree(pvl_kvm_cpus);
	pvl_kvm_cpus = NULL;
}
