// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_clock: what the hypervisor takes from each vCPU (steal time,
 * preemption) and how the guest's clocks disagree, seen from inside the
 * guest.  Documentation/clock.rst describes the files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel_stat.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <asm/pvclock.h>
#include <asm/tsc.h>

#include <pvlens/pvclock_math.h>
#include "clock.h"

static unsigned int sample_ms = 100;
module_param(sample_ms, uint, 0444);
MODULE_PARM_DESC(sample_ms, "Sampling period in ms, 10..1000 (default 100)");

#define PVL_SAMPLE_MS_MIN	10
#define PVL_SAMPLE_MS_MAX	1000
#define PVL_STEAL_HISTORY_NS	(60 * NSEC_PER_SEC)
#define PVL_DRIFT_WINDOW_NS	(10 * NSEC_PER_SEC)
/* A hypervisor that keeps a version odd this long is broken, not busy. */
#define PVL_MAX_TRIES		BIT(20)
#define PVL_NO_KVM		"unavailable: no KVM paravirt features"

struct pvl_steal_sample {
	u64 stamp;
	u64 steal;
};

/* Per possible CPU; everything below @lock is protected by it. */
struct pvl_cpu {
	spinlock_t lock;	/* sampler against sysfs readers */
	struct pvl_steal_sample *ring;
	unsigned int head;
	unsigned int count;
	bool online;
	bool have_version;
	u32 last_version;
	u64 samples;
	u64 preempted_seen;
	u64 version_changes;
};

struct pvl_drift_sample {
	u64 raw;
	u64 real;
	u64 tsc;
	u64 pv;
	unsigned int clock_was_set_seq;
	unsigned int cpu;
	bool pv_ok;
};

static struct pvl_cpu *pvl_cpus;
static unsigned int pvl_ring_len, pvl_drift_len;

static DEFINE_SPINLOCK(pvl_drift_lock);
static struct pvl_drift_sample *pvl_drift;
static unsigned int pvl_drift_head, pvl_drift_count;
static u64 pvl_realtime_jumps;
static unsigned int pvl_last_cws;
static bool pvl_have_cws;
static unsigned int pvl_drift_cpu;

/* The source readers use; the kvm one, or an attached external one. */
static const struct pvlens_clock_source __rcu *pvl_src;
static const struct pvlens_clock_source *pvl_kvm_src;
static const struct pvlens_clock_source *pvl_ext_src;
static DEFINE_MUTEX(pvl_src_mutex);

static DEFINE_PER_CPU(u64, pvl_read_retries);

static struct kobject *pvl_top_kobj, *pvl_kobj;
static struct kobject **pvl_cpu_kobjs;
static struct dentry *pvl_debugfs;
static enum cpuhp_state pvl_hp_state;
static struct delayed_work pvl_sampler;

int pvl_read_pvti(const struct pvclock_vcpu_time_info *src,
		  struct pvclock_vcpu_time_info *dst)
{
	unsigned int version, tries = 0;

	do {
		if (tries++ == PVL_MAX_TRIES) {
			pr_warn_ratelimited("pvclock version stays odd (%u)\n",
					    READ_ONCE(src->version));
			return -EAGAIN;
		}
		if (tries > 1) {
			this_cpu_inc(pvl_read_retries);
			cpu_relax();
		}
		version = pvclock_read_begin(src);
		*dst = *src;
	} while (pvclock_read_retry(src, version));
	dst->version = version;
	return 0;
}

int pvl_read_steal(const struct kvm_steal_time *src, struct kvm_steal_time *dst)
{
	unsigned int version, tries = 0;

	/* The protocol of the guest kernel's own steal clock. */
	do {
		if (tries++ == PVL_MAX_TRIES) {
			pr_warn_ratelimited("steal time version stays odd (%u)\n",
					    READ_ONCE(src->version));
			return -EAGAIN;
		}
		if (tries > 1) {
			this_cpu_inc(pvl_read_retries);
			cpu_relax();
		}
		version = READ_ONCE(src->version);
		virt_rmb();	/* version before data, pairs with the host */
		*dst = *src;
		virt_rmb();	/* data before the version check */
	} while ((version & 1) || version != READ_ONCE(src->version));
	dst->version = version;
	return 0;
}

static void pvl_reset_cpu(struct pvl_cpu *pc)
{
	pc->head = 0;
	pc->count = 0;
	pc->have_version = false;
	pc->samples = 0;
	pc->preempted_seen = 0;
	pc->version_changes = 0;
}

static void pvl_reset_history(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		spin_lock(&pvl_cpus[cpu].lock);
		pvl_reset_cpu(&pvl_cpus[cpu]);
		spin_unlock(&pvl_cpus[cpu].lock);
	}
	spin_lock_irq(&pvl_drift_lock);
	pvl_drift_count = 0;
	spin_unlock_irq(&pvl_drift_lock);
}

static struct pvl_steal_sample *pvl_ring_at(struct pvl_cpu *pc, unsigned int i)
{
	/* i = 0 is the oldest sample. */
	return &pc->ring[(pc->head + pvl_ring_len - pc->count + i) % pvl_ring_len];
}

static void pvl_ring_push(struct pvl_cpu *pc, unsigned int cpu, u64 stamp,
			  u64 steal)
{
	if (pc->count) {
		struct pvl_steal_sample *last = pvl_ring_at(pc, pc->count - 1);

		/* A device value: never let it wrap a window. */
		if (stamp < last->stamp || steal < last->steal) {
			pr_warn_once("cpu%u: steal %llu at %llu ns after %llu at %llu ns went backwards, history restarted\n",
				     cpu, steal, stamp, last->steal,
				     last->stamp);
			pc->count = 0;
		}
	}
	pc->ring[pc->head].stamp = stamp;
	pc->ring[pc->head].steal = steal;
	pc->head = (pc->head + 1) % pvl_ring_len;
	if (pc->count < pvl_ring_len)
		pc->count++;
}

static void pvl_sample_cpu(const struct pvlens_clock_source *src,
			   unsigned int cpu)
{
	struct pvl_cpu *pc = &pvl_cpus[cpu];
	const struct pvclock_vcpu_time_info *pva = NULL;
	const struct kvm_steal_time *sta = NULL;
	struct pvclock_vcpu_time_info pv;
	struct kvm_steal_time st;
	bool have_pv = false, have_st = false;
	u64 stamp = 0;
	u32 changes;

	if (src) {
		pva = src->pvti(cpu);
		sta = src->steal(cpu);
	}
	if (sta && !pvl_read_steal(sta, &st)) {
		have_st = true;
		stamp = src->steal_stamp ? src->steal_stamp(cpu, &st) :
					   ktime_get_ns();
	}
	if (pva && !pvl_read_pvti(pva, &pv))
		have_pv = true;

	spin_lock(&pc->lock);
	if (!pc->online)
		goto out;
	pc->samples++;
	if (have_pv) {
		changes = (pv.version - pc->last_version) / 2;
		if (pc->have_version && changes < (1U << 30))
			pc->version_changes += changes;
		pc->last_version = pv.version;
		pc->have_version = true;
	}
	if (have_st) {
		if (st.preempted & KVM_VCPU_PREEMPTED)
			pc->preempted_seen++;
		pvl_ring_push(pc, cpu, stamp, st.steal);
	}
out:
	spin_unlock(&pc->lock);
}

/*
 * Runs with interrupts off on the drift CPU (an IPI), so all clocks are read
 * together; everyone else takes pvl_drift_lock with interrupts off.
 */
static void pvl_sample_drift(void *info)
{
	const struct pvlens_clock_source *src = info;
	const struct pvclock_vcpu_time_info *pva;
	struct pvclock_vcpu_time_info pv;
	struct system_time_snapshot snap;
	struct pvl_drift_sample *s;
	unsigned int cpu = smp_processor_id();
	bool pv_ok;
	u64 tsc;

	pva = src ? src->pvti(cpu) : NULL;
	ktime_get_snapshot(&snap);
	/* The TSC after the copy: an update in between leaves it valid. */
	pv_ok = pva && !pvl_read_pvti(pva, &pv);
	tsc = rdtsc_ordered();

	spin_lock(&pvl_drift_lock);
	s = &pvl_drift[pvl_drift_head];
	s->raw = ktime_to_ns(snap.raw);
	s->real = ktime_to_ns(snap.real);
	s->tsc = tsc;
	s->cpu = cpu;
	s->pv_ok = pv_ok;
	/* Another CPU's TSC may be ahead of ours: never scale a "negative" delta. */
	if (pv_ok)
		s->pv = pvlens_pvclock_time(pv.system_time, pv.tsc_timestamp,
					    pv.tsc_to_system_mul, pv.tsc_shift,
					    max_t(s64, tsc - pv.tsc_timestamp, 0) +
					    pv.tsc_timestamp);
	/* settimeofday() and friends: a jump, never drift. */
	if (pvl_have_cws)
		pvl_realtime_jumps += snap.clock_was_set_seq - pvl_last_cws;
	pvl_last_cws = snap.clock_was_set_seq;
	pvl_have_cws = true;
	s->clock_was_set_seq = snap.clock_was_set_seq;
	pvl_drift_head = (pvl_drift_head + 1) % pvl_drift_len;
	if (pvl_drift_count < pvl_drift_len)
		pvl_drift_count++;
	spin_unlock(&pvl_drift_lock);
}

/*
 * The current clocksource's name.  The kernel exports no accessor for it, so
 * it is read from the kernel's own sysfs file; that happens here, in process
 * context without any seq_file lock held (a read from inside our sysfs show
 * nests two seq_file locks, which lockdep rightly reports), and the show
 * prints this copy, at most one sample period old.
 */
#define PVL_CS_NAME_LEN	32	/* as the kernel's clocksource names */
static char pvl_cs_name[PVL_CS_NAME_LEN];
static DEFINE_SPINLOCK(pvl_cs_lock);

static void pvl_refresh_clocksource(void)
{
	char name[PVL_CS_NAME_LEN + 2] = "";
	struct file *f;
	loff_t pos = 0;
	ssize_t len;

	f = filp_open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      O_RDONLY, 0);
	if (IS_ERR(f))
		return;
	len = kernel_read(f, name, sizeof(name) - 1, &pos);
	filp_close(f, NULL);
	if (len <= 0)
		return;
	name[len] = '\0';
	spin_lock(&pvl_cs_lock);
	strscpy(pvl_cs_name, strim(name), sizeof(pvl_cs_name));
	spin_unlock(&pvl_cs_lock);
}

static void pvl_sample_work(struct work_struct *work)
{
	const struct pvlens_clock_source *src;
	unsigned int cpu;

	pvl_refresh_clocksource();
	cpus_read_lock();
	rcu_read_lock();
	src = rcu_dereference(pvl_src);
	for_each_online_cpu(cpu)
		pvl_sample_cpu(src, cpu);
	/* One CPU for drift: TSCs of different CPUs need not agree. */
	cpu = cpu_online(pvl_drift_cpu) ? pvl_drift_cpu :
					  cpumask_first(cpu_online_mask);
	smp_call_function_single(cpu, pvl_sample_drift, (void *)src, 1);
	rcu_read_unlock();
	cpus_read_unlock();
	queue_delayed_work(system_wq, &pvl_sampler,
			   msecs_to_jiffies(sample_ms));
}

/* Steal over the last @window ns (or all history when shorter), in ppm. */
static int pvl_steal_ppm(unsigned int cpu, u64 window, u64 *ppm)
{
	struct pvl_cpu *pc = &pvl_cpus[cpu];
	struct pvl_steal_sample *n, *o;
	int i, ret = 0;

	spin_lock(&pc->lock);
	if (pc->count < 2) {
		ret = -ENODATA;
		goto out;
	}
	n = pvl_ring_at(pc, pc->count - 1);
	for (i = pc->count - 2; i > 0; i--)
		if (n->stamp - pvl_ring_at(pc, i)->stamp >= window)
			break;
	o = pvl_ring_at(pc, i);
	*ppm = min(pvlens_ppm(n->steal - o->steal, n->stamp - o->stamp),
		   PVLENS_PPM);
out:
	spin_unlock(&pc->lock);
	return ret;
}

enum pvl_drift_kind { PVL_DRIFT_TSC, PVL_DRIFT_REALTIME, PVL_DRIFT_PVCLOCK,
		      PVL_DRIFT_WINDOW, PVL_DRIFT_KINDS };

/*
 * Rates against CLOCK_MONOTONIC_RAW (the current clocksource, without NTP)
 * over up to PVL_DRIFT_WINDOW_NS of samples taken on one CPU, after the last
 * realtime jump, all from the same window.  @ok[kind] says which exist.
 */
static int pvl_drift_compute(s64 *val, bool *ok)
{
	struct pvl_drift_sample *n, *o, *s;
	unsigned int i;
	u64 d_ref, d_tsc;
	int ret = 0;

	memset(ok, 0, PVL_DRIFT_KINDS * sizeof(*ok));
	spin_lock_irq(&pvl_drift_lock);
	if (pvl_drift_count < 2) {
		ret = -ENODATA;
		goto out;
	}
	n = &pvl_drift[(pvl_drift_head + pvl_drift_len - 1) % pvl_drift_len];
	o = n;
	for (i = 2; i <= pvl_drift_count; i++) {
		s = &pvl_drift[(pvl_drift_head + pvl_drift_len - i) %
			       pvl_drift_len];
		if (s->cpu != n->cpu ||
		    s->clock_was_set_seq != n->clock_was_set_seq ||
		    n->raw - s->raw > PVL_DRIFT_WINDOW_NS)
			break;
		o = s;
	}
	d_ref = n->raw - o->raw;
	if (!d_ref) {
		ret = -ENODATA;
		goto out;
	}
	val[PVL_DRIFT_WINDOW] = d_ref;
	ok[PVL_DRIFT_WINDOW] = true;
	if (tsc_khz) {
		d_tsc = mul_u64_u32_div(n->tsc - o->tsc, USEC_PER_SEC, tsc_khz);
		val[PVL_DRIFT_TSC] = pvlens_drift_ppb(d_tsc, d_ref);
		ok[PVL_DRIFT_TSC] = true;
	}
	val[PVL_DRIFT_REALTIME] = pvlens_drift_ppb(n->real - o->real, d_ref);
	ok[PVL_DRIFT_REALTIME] = true;
	if (n->pv_ok && o->pv_ok) {
		val[PVL_DRIFT_PVCLOCK] = pvlens_drift_ppb(n->pv - o->pv, d_ref);
		ok[PVL_DRIFT_PVCLOCK] = true;
	}
out:
	spin_unlock_irq(&pvl_drift_lock);
	return ret;
}

static int pvl_drift_read(enum pvl_drift_kind kind, s64 *val)
{
	s64 vals[PVL_DRIFT_KINDS];
	bool ok[PVL_DRIFT_KINDS];

	if (pvl_drift_compute(vals, ok) || !ok[kind])
		return -ENODATA;
	*val = vals[kind];
	return 0;
}

enum pvl_cpu_field {
	PVL_STEAL_NS, PVL_STEAL_PPM_1S, PVL_STEAL_PPM_10S, PVL_STEAL_PPM_60S,
	PVL_PREEMPTED_SEEN, PVL_PV_MUL, PVL_PV_SHIFT, PVL_PV_FLAGS,
	PVL_PV_TSC_STABLE, PVL_PV_SYSTEM_TIME, PVL_PV_TSC_TIMESTAMP,
	PVL_PV_VERSION_CHANGES, PVL_KERNEL_STEAL_NS, PVL_STEAL_DIFF_NS,
};

struct pvl_cpu_attr {
	struct kobj_attribute attr;
	enum pvl_cpu_field field;
};

static int pvl_kobj_cpu(struct kobject *kobj, unsigned int *cpu)
{
	if (kstrtouint(kobject_name(kobj) + 3, 10, cpu) || *cpu >= nr_cpu_ids)
		return -ENODEV;
	return 0;
}

static int pvl_live_steal(unsigned int cpu, struct kvm_steal_time *st)
{
	const struct pvlens_clock_source *src;
	const struct kvm_steal_time *area;
	int ret = -ENODATA;

	rcu_read_lock();
	src = rcu_dereference(pvl_src);
	area = src ? src->steal(cpu) : NULL;
	if (area)
		ret = pvl_read_steal(area, st);
	rcu_read_unlock();
	return ret;
}

static int pvl_live_pvti(unsigned int cpu, struct pvclock_vcpu_time_info *pv)
{
	const struct pvlens_clock_source *src;
	const struct pvclock_vcpu_time_info *area;
	int ret = -ENODATA;

	rcu_read_lock();
	src = rcu_dereference(pvl_src);
	area = src ? src->pvti(cpu) : NULL;
	if (area)
		ret = pvl_read_pvti(area, pv);
	rcu_read_unlock();
	return ret;
}

static ssize_t pvl_cpu_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	static const u64 windows[] = {
		[PVL_STEAL_PPM_1S] = NSEC_PER_SEC,
		[PVL_STEAL_PPM_10S] = 10 * NSEC_PER_SEC,
		[PVL_STEAL_PPM_60S] = 60 * NSEC_PER_SEC,
	};
	enum pvl_cpu_field f = container_of(attr, struct pvl_cpu_attr, attr)->field;
	struct pvclock_vcpu_time_info pv;
	struct kvm_steal_time st;
	struct pvl_cpu *pc;
	unsigned int cpu;
	u64 val, kstl;
	int ret;

	ret = pvl_kobj_cpu(kobj, &cpu);
	if (ret)
		return ret;
	pc = &pvl_cpus[cpu];
	kstl = READ_ONCE(kcpustat_cpu(cpu).cpustat[CPUTIME_STEAL]);

	switch (f) {
	case PVL_STEAL_NS:
	case PVL_STEAL_DIFF_NS:
		ret = pvl_live_steal(cpu, &st);
		if (ret)
			return ret;
		if (f == PVL_STEAL_NS)
			return sysfs_emit(buf, "%llu\n", st.steal);
		return sysfs_emit(buf, "%lld\n", (s64)(st.steal - kstl));
	case PVL_STEAL_PPM_1S:
	case PVL_STEAL_PPM_10S:
	case PVL_STEAL_PPM_60S:
		ret = pvl_steal_ppm(cpu, windows[f], &val);
		return ret ? ret : sysfs_emit(buf, "%llu\n", val);
	case PVL_PREEMPTED_SEEN:
	case PVL_PV_VERSION_CHANGES:
		spin_lock(&pc->lock);
		val = f == PVL_PREEMPTED_SEEN ? pc->preempted_seen :
						pc->version_changes;
		spin_unlock(&pc->lock);
		return sysfs_emit(buf, "%llu\n", val);
	case PVL_KERNEL_STEAL_NS:
		return sysfs_emit(buf, "%llu\n", kstl);
	default:
		break;
	}

	ret = pvl_live_pvti(cpu, &pv);
	if (ret)
		return ret;
	switch (f) {
	case PVL_PV_MUL:
		return sysfs_emit(buf, "%u\n", pv.tsc_to_system_mul);
	case PVL_PV_SHIFT:
		return sysfs_emit(buf, "%d\n", pv.tsc_shift);
	case PVL_PV_FLAGS:
		return sysfs_emit(buf, "%u\n", pv.flags);
	case PVL_PV_TSC_STABLE:
		return sysfs_emit(buf, "%d\n",
				  !!(pv.flags & PVCLOCK_TSC_STABLE_BIT));
	case PVL_PV_SYSTEM_TIME:
		return sysfs_emit(buf, "%llu\n", pv.system_time);
	case PVL_PV_TSC_TIMESTAMP:
		return sysfs_emit(buf, "%llu\n", pv.tsc_timestamp);
	default:
		return -EINVAL;
	}
}

#define PVL_CPU_ATTR(_name, _field)					\
	static struct pvl_cpu_attr pvl_attr_##_name = {			\
		.attr = __ATTR(_name, 0444, pvl_cpu_show, NULL),	\
		.field = _field,					\
	}

PVL_CPU_ATTR(steal_ns, PVL_STEAL_NS);
PVL_CPU_ATTR(steal_ppm_1s, PVL_STEAL_PPM_1S);
PVL_CPU_ATTR(steal_ppm_10s, PVL_STEAL_PPM_10S);
PVL_CPU_ATTR(steal_ppm_60s, PVL_STEAL_PPM_60S);
PVL_CPU_ATTR(preempted_seen, PVL_PREEMPTED_SEEN);
PVL_CPU_ATTR(pvclock_mul, PVL_PV_MUL);
PVL_CPU_ATTR(pvclock_shift, PVL_PV_SHIFT);
PVL_CPU_ATTR(pvclock_flags, PVL_PV_FLAGS);
PVL_CPU_ATTR(pvclock_tsc_stable, PVL_PV_TSC_STABLE);
PVL_CPU_ATTR(pvclock_system_time, PVL_PV_SYSTEM_TIME);
PVL_CPU_ATTR(pvclock_tsc_timestamp, PVL_PV_TSC_TIMESTAMP);
PVL_CPU_ATTR(pvclock_version_changes, PVL_PV_VERSION_CHANGES);
PVL_CPU_ATTR(kernel_steal_ns, PVL_KERNEL_STEAL_NS);
PVL_CPU_ATTR(steal_diff_ns, PVL_STEAL_DIFF_NS);

static struct attribute *pvl_cpu_attrs[] = {
	&pvl_attr_steal_ns.attr.attr,
	&pvl_attr_steal_ppm_1s.attr.attr,
	&pvl_attr_steal_ppm_10s.attr.attr,
	&pvl_attr_steal_ppm_60s.attr.attr,
	&pvl_attr_preempted_seen.attr.attr,
	&pvl_attr_pvclock_mul.attr.attr,
	&pvl_attr_pvclock_shift.attr.attr,
	&pvl_attr_pvclock_flags.attr.attr,
	&pvl_attr_pvclock_tsc_stable.attr.attr,
	&pvl_attr_pvclock_system_time.attr.attr,
	&pvl_attr_pvclock_tsc_timestamp.attr.attr,
	&pvl_attr_pvclock_version_changes.attr.attr,
	&pvl_attr_kernel_steal_ns.attr.attr,
	&pvl_attr_steal_diff_ns.attr.attr,
	NULL,
};

static const struct attribute_group pvl_cpu_group = {
	.attrs = pvl_cpu_attrs,
};

static ssize_t source_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	const struct pvlens_clock_source *src;
	ssize_t ret;

	rcu_read_lock();
	src = rcu_dereference(pvl_src);
	ret = sysfs_emit(buf, "%s\n", src ? src->name : PVL_NO_KVM);
	rcu_read_unlock();
	return ret;
}

static ssize_t clocksource_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	char name[PVL_CS_NAME_LEN];

	spin_lock(&pvl_cs_lock);
	strscpy(name, pvl_cs_name, sizeof(name));
	spin_unlock(&pvl_cs_lock);
	return name[0] ? sysfs_emit(buf, "%s\n", name) : -ENODATA;
}

static ssize_t tsc_stable_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", boot_cpu_has(X86_FEATURE_TSC) &&
			  !check_tsc_unstable());
}

static ssize_t pvl_drift_show(enum pvl_drift_kind kind, char *buf)
{
	s64 val;
	int ret = pvl_drift_read(kind, &val);

	return ret ? ret : sysfs_emit(buf, "%lld\n", val);
}

static ssize_t drift_tsc_ppb_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return pvl_drift_show(PVL_DRIFT_TSC, buf);
}

static ssize_t drift_realtime_ppb_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return pvl_drift_show(PVL_DRIFT_REALTIME, buf);
}

static ssize_t drift_pvclock_ppb_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return pvl_drift_show(PVL_DRIFT_PVCLOCK, buf);
}

static ssize_t drift_window_ns_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return pvl_drift_show(PVL_DRIFT_WINDOW, buf);
}

static ssize_t realtime_jumps_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	u64 val;

	spin_lock_irq(&pvl_drift_lock);
	val = pvl_realtime_jumps;
	spin_unlock_irq(&pvl_drift_lock);
	return sysfs_emit(buf, "%llu\n", val);
}

static struct kobj_attribute pvl_global_attrs[] = {
	__ATTR_RO(source),
	__ATTR_RO(clocksource),
	__ATTR_RO(tsc_stable),
	__ATTR_RO(drift_tsc_ppb),
	__ATTR_RO(drift_realtime_ppb),
	__ATTR_RO(drift_pvclock_ppb),
	__ATTR_RO(drift_window_ns),
	__ATTR_RO(realtime_jumps),
};

static struct attribute *pvl_global_attr_ptrs[ARRAY_SIZE(pvl_global_attrs) + 1];

static const struct attribute_group pvl_global_group = {
	.attrs = pvl_global_attr_ptrs,
};

static int pvl_summary_show(struct seq_file *m, void *unused)
{
	static const u64 windows[] = { NSEC_PER_SEC, 10 * NSEC_PER_SEC,
				       60 * NSEC_PER_SEC };
	struct pvclock_vcpu_time_info pv;
	struct kvm_steal_time st;
	unsigned int cpu, i;
	u64 ppm;

	const struct pvlens_clock_source *src;

	rcu_read_lock();
	src = rcu_dereference(pvl_src);
	seq_printf(m, "source: %s\n", src ? src->name : PVL_NO_KVM);
	rcu_read_unlock();
	seq_puts(m, "cpu online samples steal_ns steal_ppm_1s steal_ppm_10s steal_ppm_60s preempted_seen mul shift flags version_changes kernel_steal_ns\n");
	for_each_possible_cpu(cpu) {
		struct pvl_cpu *pc = &pvl_cpus[cpu];

		seq_printf(m, "%u %d %llu", cpu, READ_ONCE(pc->online),
			   READ_ONCE(pc->samples));
		if (pvl_live_steal(cpu, &st))
			seq_puts(m, " -");
		else
			seq_printf(m, " %llu", st.steal);
		for (i = 0; i < ARRAY_SIZE(windows); i++) {
			if (pvl_steal_ppm(cpu, windows[i], &ppm))
				seq_puts(m, " -");
			else
				seq_printf(m, " %llu", ppm);
		}
		seq_printf(m, " %llu", READ_ONCE(pc->preempted_seen));
		if (pvl_live_pvti(cpu, &pv))
			seq_puts(m, " - - -");
		else
			seq_printf(m, " %u %d %u", pv.tsc_to_system_mul,
				   pv.tsc_shift, pv.flags);
		seq_printf(m, " %llu %llu\n", READ_ONCE(pc->version_changes),
			   READ_ONCE(kcpustat_cpu(cpu).cpustat[CPUTIME_STEAL]));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvl_summary);

/*
 * One versioned copy of each area of every online CPU, read on the CPU that
 * reads this file: the torn-read test checks the simulator's value pairs.
 */
static int pvl_snapshot_show(struct seq_file *m, void *unused)
{
	struct pvclock_vcpu_time_info pv;
	struct kvm_steal_time st;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		seq_printf(m, "%u", cpu);
		if (pvl_live_pvti(cpu, &pv))
			seq_puts(m, " - - - - - -");
		else
			seq_printf(m, " %u %llu %llu %u %d %u", pv.version,
				   pv.tsc_timestamp, pv.system_time,
				   pv.tsc_to_system_mul, pv.tsc_shift,
				   pv.flags);
		if (pvl_live_steal(cpu, &st))
			seq_puts(m, " - - - -\n");
		else
			seq_printf(m, " %u %llu %u %u\n", st.version, st.steal,
				   st.flags, st.preempted);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvl_snapshot);

/* Every drift number of one window, for comparing them with each other. */
static int pvl_drift_dbg_show(struct seq_file *m, void *unused)
{
	static const char * const names[PVL_DRIFT_KINDS] = {
		"tsc_ppb", "realtime_ppb", "pvclock_ppb", "window_ns",
	};
	s64 vals[PVL_DRIFT_KINDS];
	bool ok[PVL_DRIFT_KINDS];
	unsigned int i;

	pvl_drift_compute(vals, ok);
	for (i = 0; i < PVL_DRIFT_KINDS; i++)
		if (ok[i])
			seq_printf(m, "%s %lld\n", names[i], vals[i]);
		else
			seq_printf(m, "%s -\n", names[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvl_drift_dbg);

static int pvl_retries_show(struct seq_file *m, void *unused)
{
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += per_cpu(pvl_read_retries, cpu);
	seq_printf(m, "%llu\n", sum);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvl_retries);

int pvlens_clock_attach_source(const struct pvlens_clock_source *src)
{
	int ret = 0;

	if (!src || !src->name || !src->pvti || !src->steal)
		return -EINVAL;
	mutex_lock(&pvl_src_mutex);
	if (pvl_ext_src) {
		ret = -EBUSY;
		goto out;
	}
	pvl_ext_src = src;
	rcu_assign_pointer(pvl_src, src);
	synchronize_rcu();
	pvl_reset_history();
	pr_info("source: %s\n", src->name);
out:
	mutex_unlock(&pvl_src_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(pvlens_clock_attach_source);

void pvlens_clock_detach_source(const struct pvlens_clock_source *src)
{
	mutex_lock(&pvl_src_mutex);
	if (pvl_ext_src == src) {
		pvl_ext_src = NULL;
		rcu_assign_pointer(pvl_src, pvl_kvm_src);
		synchronize_rcu();
		pvl_reset_history();
		pr_info("source: %s\n", pvl_kvm_src ? pvl_kvm_src->name :
			PVL_NO_KVM);
	}
	mutex_unlock(&pvl_src_mutex);
}
EXPORT_SYMBOL_GPL(pvlens_clock_detach_source);

static int pvl_cpu_online(unsigned int cpu)
{
	struct pvl_cpu *pc = &pvl_cpus[cpu];

	if (pvl_kvm_src)
		pvl_kvm_cpu_online(cpu);
	/* Time spent offline is no window: start the history again. */
	spin_lock(&pc->lock);
	pc->online = true;
	pc->count = 0;
	pc->have_version = false;
	spin_unlock(&pc->lock);
	return 0;
}

static int pvl_cpu_offline(unsigned int cpu)
{
	struct pvl_cpu *pc = &pvl_cpus[cpu];

	spin_lock(&pc->lock);
	pc->online = false;
	spin_unlock(&pc->lock);
	return 0;
}

static void pvl_remove_cpu_dirs(void)
{
	unsigned int cpu;

	if (pvl_cpu_kobjs) {
		for_each_possible_cpu(cpu)
			kobject_put(pvl_cpu_kobjs[cpu]);
		kfree(pvl_cpu_kobjs);
		pvl_cpu_kobjs = NULL;
	}
}

static void pvl_free_cpus(void)
{
	unsigned int cpu;

	if (pvl_cpus) {
		for_each_possible_cpu(cpu)
			kfree(pvl_cpus[cpu].ring);
		kfree(pvl_cpus);
		pvl_cpus = NULL;
	}
}

static int pvl_alloc_cpus(void)
{
	unsigned int cpu;

	pvl_cpus = kcalloc(nr_cpu_ids, sizeof(*pvl_cpus), GFP_KERNEL);
	pvl_cpu_kobjs = kcalloc(nr_cpu_ids, sizeof(*pvl_cpu_kobjs), GFP_KERNEL);
	if (!pvl_cpus || !pvl_cpu_kobjs)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct pvl_cpu *pc = &pvl_cpus[cpu];
		char name[16];

		spin_lock_init(&pc->lock);
		pc->ring = kcalloc(pvl_ring_len, sizeof(*pc->ring), GFP_KERNEL);
		if (!pc->ring)
			return -ENOMEM;
		snprintf(name, sizeof(name), "cpu%u", cpu);
		pvl_cpu_kobjs[cpu] = kobject_create_and_add(name, pvl_kobj);
		if (!pvl_cpu_kobjs[cpu])
			return -ENOMEM;
		if (sysfs_create_group(pvl_cpu_kobjs[cpu], &pvl_cpu_group))
			return -ENOMEM;
	}
	return 0;
}

static void pvl_debugfs_init(void)
{
	pvl_debugfs = debugfs_create_dir("pvlens_clock", NULL);
	debugfs_create_file("summary", 0444, pvl_debugfs, NULL,
			    &pvl_summary_fops);
	debugfs_create_file("snapshot", 0444, pvl_debugfs, NULL,
			    &pvl_snapshot_fops);
	debugfs_create_file("read_retries", 0444, pvl_debugfs, NULL,
			    &pvl_retries_fops);
	debugfs_create_file("drift", 0444, pvl_debugfs, NULL,
			    &pvl_drift_dbg_fops);
}

/*
 * The math every reading uses, held at load against the kernel's own
 * (assembly) pvclock scaling over the shifts a hypervisor sends.
 */
static int __init pvl_selftest_math(unsigned int *cases)
{
	static const u64 deltas[] __initconst = {
		0, 1, 0xffffffffULL, 0x100000000ULL, 1000000000ULL,
		0x123456789abcdefULL, 0x8000000000000000ULL, U64_MAX,
	};
	static const u32 muls[] __initconst = {
		0, 1, 0x80000000, 0xcccccccd, U32_MAX,
	};
	unsigned int d, m, bad = 0;
	int shift;

	*cases = 0;
	for (d = 0; d < ARRAY_SIZE(deltas); d++)
		for (m = 0; m < ARRAY_SIZE(muls); m++)
			for (shift = -32; shift <= 32; shift++) {
				(*cases)++;
				if (pvlens_pvclock_scale(deltas[d], muls[m], shift) !=
				    pvclock_scale_delta(deltas[d], muls[m], shift))
					bad++;
			}
	if (bad) {
		pr_err("pvclock math differs from the kernel's in %u of %u cases\n",
		       bad, *cases);
		return -EINVAL;
	}
	return 0;
}

static int __init pvl_init(void)
{
	unsigned int i, cases;
	int ret;

	ret = pvl_selftest_math(&cases);
	if (ret)
		return ret;

	if (sample_ms < PVL_SAMPLE_MS_MIN || sample_ms > PVL_SAMPLE_MS_MAX) {
		pr_warn("sample_ms=%u out of %u..%u, using 100\n", sample_ms,
			PVL_SAMPLE_MS_MIN, PVL_SAMPLE_MS_MAX);
		sample_ms = 100;
	}
	pvl_ring_len = PVL_STEAL_HISTORY_NS / (sample_ms * NSEC_PER_MSEC) + 2;
	pvl_drift_len = PVL_DRIFT_WINDOW_NS / (sample_ms * NSEC_PER_MSEC) + 2;
	pvl_drift = kcalloc(pvl_drift_len, sizeof(*pvl_drift), GFP_KERNEL);
	if (!pvl_drift)
		return -ENOMEM;

	ret = -ENOMEM;
	pvl_top_kobj = kobject_create_and_add("pvlens", kernel_kobj);
	if (!pvl_top_kobj)
		goto err_drift;
	pvl_kobj = kobject_create_and_add("clock", pvl_top_kobj);
	if (!pvl_kobj)
		goto err_top;
	for (i = 0; i < ARRAY_SIZE(pvl_global_attrs); i++)
		pvl_global_attr_ptrs[i] = &pvl_global_attrs[i].attr;
	ret = sysfs_create_group(pvl_kobj, &pvl_global_group);
	if (ret)
		goto err_kobj;
	ret = pvl_alloc_cpus();
	if (ret)
		goto err_cpus;
	ret = pvl_probe_init(pvl_kobj);
	if (ret)
		goto err_cpus;

	pvl_kvm_src = pvl_kvm_init();
	RCU_INIT_POINTER(pvl_src, pvl_kvm_src);
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pvlens/clock:online",
				pvl_cpu_online, pvl_cpu_offline);
	if (ret < 0)
		goto err_kvm;
	pvl_hp_state = ret;

	pvl_debugfs_init();
	pvl_drift_cpu = get_cpu();
	put_cpu();
	pvl_refresh_clocksource();
	INIT_DELAYED_WORK(&pvl_sampler, pvl_sample_work);
	queue_delayed_work(system_wq, &pvl_sampler, 0);
	if (pvl_kvm_src)
		pr_info("source: %s, sampling every %u ms, pvclock math self-test: %u cases pass\n",
			pvl_kvm_src->name, sample_ms, cases);
	else
		pr_info("steal time and pvclock %s, serving clock drift only; pvclock math self-test: %u cases pass\n",
			PVL_NO_KVM, cases);
	return 0;

err_kvm:
	pvl_kvm_exit();
	pvl_probe_exit(pvl_kobj);
err_cpus:
	pvl_remove_cpu_dirs();
	pvl_free_cpus();
	sysfs_remove_group(pvl_kobj, &pvl_global_group);
err_kobj:
	kobject_put(pvl_kobj);
err_top:
	kobject_put(pvl_top_kobj);
err_drift:
	kfree(pvl_drift);
	return ret;
}

static void __exit pvl_exit(void)
{
	/* Files first (removal waits for readers), then the sampler. */
	debugfs_remove(pvl_debugfs);
	pvl_probe_exit(pvl_kobj);
	pvl_remove_cpu_dirs();
	sysfs_remove_group(pvl_kobj, &pvl_global_group);
	kobject_put(pvl_kobj);
	kobject_put(pvl_top_kobj);
	cancel_delayed_work_sync(&pvl_sampler);
	cpuhp_remove_state(pvl_hp_state);
	RCU_INIT_POINTER(pvl_src, NULL);
	synchronize_rcu();
	pvl_kvm_exit();
	pvl_free_cpus();
	kfree(pvl_drift);
}

module_init(pvl_init);
module_exit(pvl_exit);
MODULE_DESCRIPTION("pvlens: steal time, pvclock and clock drift seen from a guest");
MODULE_LICENSE("GPL");
