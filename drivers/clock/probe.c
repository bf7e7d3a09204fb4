// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-cost probe: on demand, time operations that trap to the
 * hypervisor under hardware virtualization (CPUID, an intercepted MSR read,
 * a port read, an MMIO read of a virtio register) and keep median, p99 and
 * max per kind.  Under TCG the same numbers are emulation costs, and the
 * exit_probe_source file says so.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/sysfs.h>
#include <linux/virtio_pci.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "clock.h"

static unsigned int probe_iterations = 2000;
module_param(probe_iterations, uint, 0644);
MODULE_PARM_DESC(probe_iterations,
		 "Timed executions per kind in one exit probe, 100..100000 (default 2000)");

enum pvl_probe_kind { PVL_CPUID, PVL_MSR, PVL_PIO, PVL_MMIO, PVL_KINDS };

static const char * const pvl_kind_names[PVL_KINDS] = {
	"cpuid", "msr", "pio", "mmio",
};

struct pvl_probe_result {
	u64 median_ns;
	u64 p99_ns;
	u64 max_ns;
};

static DEFINE_MUTEX(pvl_probe_mutex);
static struct pvl_probe_result pvl_results[PVL_KINDS];
static unsigned int pvl_probe_runs;
static char pvl_mmio_target[64] = "none";

/* The port Linux itself uses for I/O delays: reading it has no effect. */
#define PVL_PROBE_PORT	0x80

/*
 * The read-only num_queues register of the first virtio-pci device's common
 * configuration: reading it changes no device state.
 */
static void __iomem *pvl_map_virtio_reg(struct pci_dev **out)
{
	struct pci_dev *pdev = NULL;
	u8 pos, type, bar;
	u32 offset;
	void __iomem *reg;

	while ((pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
				      PCI_ANY_ID, pdev))) {
		for (pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR); pos;
		     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
			pci_read_config_byte(pdev, pos +
				offsetof(struct virtio_pci_cap, cfg_type), &type);
			if (type != VIRTIO_PCI_CAP_COMMON_CFG)
				continue;
			pci_read_config_byte(pdev, pos +
				offsetof(struct virtio_pci_cap, bar), &bar);
			pci_read_config_dword(pdev, pos +
				offsetof(struct virtio_pci_cap, offset), &offset);
			if (bar > PCI_STD_RESOURCE_END ||
			    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
				break;
			reg = pci_iomap_range(pdev, bar, offset +
				offsetof(struct virtio_pci_common_cfg, num_queues),
				sizeof(__le16));
			if (!reg)
				break;
			*out = pdev;
			return reg;
		}
	}
	return NULL;
}

static int pvl_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 pvl_cycles_ns(u64 cycles)
{
	return tsc_khz ? mul_u64_u32_div(cycles, USEC_PER_SEC, tsc_khz) : 0;
}

static void pvl_probe_kind(enum pvl_probe_kind kind, void __iomem *reg,
			   u64 *cyc, unsigned int n)
{
	struct pvl_probe_result *r = &pvl_results[kind];
	unsigned long flags;
	unsigned int i;
	u64 t0, t1, v;

	for (i = 0; i < n; i++) {
		/* No interrupt inside one measurement. */
		local_irq_save(flags);
		t0 = rdtsc_ordered();
		switch (kind) {
		case PVL_CPUID:
			cpuid_eax(0);
			break;
		case PVL_MSR:
			rdmsrl_safe(MSR_IA32_APICBASE, &v);
			break;
		case PVL_PIO:
			inb(PVL_PROBE_PORT);
			break;
		default:
			ioread16(reg);
			break;
		}
		t1 = rdtsc_ordered();
		local_irq_restore(flags);
		cyc[i] = t1 - t0;
		if (!(i % 64))
			cond_resched();
	}
	sort(cyc, n, sizeof(*cyc), pvl_cmp_u64, NULL);
	r->median_ns = pvl_cycles_ns(cyc[(n - 1) / 2]);
	r->p99_ns = pvl_cycles_ns(cyc[DIV_ROUND_UP(n * 99, 100) - 1]);
	r->max_ns = pvl_cycles_ns(cyc[n - 1]);
}

static int pvl_probe_run(void)
{
	unsigned int n = clamp(READ_ONCE(probe_iterations), 100U, 100000U);
	struct pci_dev *pdev = NULL;
	void __iomem *reg;
	u64 *cyc;
	int kind;

	cyc = kvmalloc_array(n, sizeof(*cyc), GFP_KERNEL);
	if (!cyc)
		return -ENOMEM;
	reg = pvl_map_virtio_reg(&pdev);
	mutex_lock(&pvl_probe_mutex);
	/* One CPU for a whole run: TSCs of different CPUs need not agree. */
	migrate_disable();
	for (kind = 0; kind < PVL_KINDS; kind++) {
		if (kind == PVL_MMIO && !reg) {
			memset(&pvl_results[kind], 0, sizeof(pvl_results[kind]));
			continue;
		}
		pvl_probe_kind(kind, reg, cyc, n);
	}
	migrate_enable();
	if (reg)
		snprintf(pvl_mmio_target, sizeof(pvl_mmio_target),
			 "%s virtio num_queues", pci_name(pdev));
	else
		strscpy(pvl_mmio_target, "none", sizeof(pvl_mmio_target));
	pvl_probe_runs++;
	mutex_unlock(&pvl_probe_mutex);
	if (reg)
		pci_iounmap(pdev, reg);
	pci_dev_put(pdev);
	kvfree(cyc);
	return 0;
}

const char *pvl_hypervisor_label(void)
{
	u32 eax, sig[3];

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return "bare metal";
	cpuid(0x40000000, &eax, &sig[0], &sig[1], &sig[2]);
	if (!memcmp(sig, "TCGTCGTCGTCG", 12))
		return "tcg emulation";
	return "hardware exits";
}

static ssize_t exit_probe_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	unsigned int runs;

	mutex_lock(&pvl_probe_mutex);
	runs = pvl_probe_runs;
	mutex_unlock(&pvl_probe_mutex);
	return sysfs_emit(buf, "%u\n", runs);
}

static ssize_t exit_probe_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	bool run;
	int ret;

	ret = kstrtobool(buf, &run);
	if (ret)
		return ret;
	if (!run)
		return -EINVAL;
	ret = pvl_probe_run();
	return ret ? ret : count;
}

static ssize_t exit_probe_source_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pvl_hypervisor_label());
}

static ssize_t exit_probe_clock_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "tsc %u kHz\n", tsc_khz);
}

static ssize_t exit_probe_mmio_target_show(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   char *buf)
{
	ssize_t ret;

	mutex_lock(&pvl_probe_mutex);
	ret = sysfs_emit(buf, "%s\n", pvl_mmio_target);
	mutex_unlock(&pvl_probe_mutex);
	return ret;
}

struct pvl_result_attr {
	struct kobj_attribute attr;
	enum pvl_probe_kind kind;
	unsigned int stat;
};

static ssize_t pvl_result_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct pvl_result_attr *ra = container_of(attr, struct pvl_result_attr,
						  attr);
	struct pvl_probe_result *r = &pvl_results[ra->kind];
	u64 val;

	mutex_lock(&pvl_probe_mutex);
	val = ra->stat == 0 ? r->median_ns : ra->stat == 1 ? r->p99_ns :
							     r->max_ns;
	mutex_unlock(&pvl_probe_mutex);
	return sysfs_emit(buf, "%llu\n", val);
}

static struct kobj_attribute pvl_probe_attrs[] = {
	__ATTR_RW(exit_probe),
	__ATTR_RO(exit_probe_source),
	__ATTR_RO(exit_probe_clock),
	__ATTR_RO(exit_probe_mmio_target),
};

static const char * const pvl_stat_names[] = { "median", "p99", "max" };
static struct pvl_result_attr pvl_result_attrs[PVL_KINDS * 3];
static char pvl_result_names[PVL_KINDS * 3][32];
static struct attribute *pvl_probe_attr_ptrs[ARRAY_SIZE(pvl_probe_attrs) +
					     ARRAY_SIZE(pvl_result_attrs) + 1];

static const struct attribute_group pvl_probe_group = {
	.attrs = pvl_probe_attr_ptrs,
};

int pvl_probe_init(struct kobject *dir)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(pvl_probe_attrs); i++)
		pvl_probe_attr_ptrs[n++] = &pvl_probe_attrs[i].attr;
	for (i = 0; i < ARRAY_SIZE(pvl_result_attrs); i++) {
		struct pvl_result_attr *ra = &pvl_result_attrs[i];

		ra->kind = i / 3;
		ra->stat = i % 3;
		snprintf(pvl_result_names[i], sizeof(pvl_result_names[i]),
			 "exit_%s_%s_ns", pvl_kind_names[ra->kind],
			 pvl_stat_names[ra->stat]);
		sysfs_attr_init(&ra->attr.attr);
		ra->attr.attr.name = pvl_result_names[i];
		ra->attr.attr.mode = 0444;
		ra->attr.show = pvl_result_show;
		pvl_probe_attr_ptrs[n++] = &ra->attr.attr;
	}
	return sysfs_create_group(dir, &pvl_probe_group);
}

void pvl_probe_exit(struct kobject *dir)
{
	sysfs_remove_group(dir, &pvl_probe_group);
}
