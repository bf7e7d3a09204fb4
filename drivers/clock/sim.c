// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_clock_sim: a simulated hypervisor for pvlens_clock.  It owns one
 * pvclock_vcpu_time_info and one kvm_steal_time area per CPU and updates them
 * from an hrtimer with the real protocol (version odd during an update),
 * injecting known steal, preempted flags and mul/shift changes, so that the
 * reader can be proven exactly where there is no KVM (QEMU TCG).
 *
 * Controls are in debugfs, pvlens_clock_sim/ (Documentation/clock.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <asm/pvclock.h>
#include <asm/tsc.h>

#include <pvlens/clock_source.h>
#include <pvlens/pvclock_math.h>

static unsigned int period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "Update period in us, 100..100000 (default 1000)");

static unsigned int duty_ppm;
module_param(duty_ppm, uint, 0644);
MODULE_PARM_DESC(duty_ppm,
		 "Steal injected on every CPU, ppm of elapsed time, 0..1000000");

static bool tsc_stable = true;
module_param(tsc_stable, bool, 0444);
MODULE_PARM_DESC(tsc_stable, "Publish PVCLOCK_TSC_STABLE_BIT (default Y)");

/* The golden ratio multiplier: pairs that a torn read cannot fake. */
#define PVL_SIM_HASH	2654435761U

struct pvl_sim_cpu {
	struct pvclock_vsyscall_time_info pvti;
	struct kvm_steal_time st __aligned(64);
	/* Below: hypervisor-private, under pvl_sim_lock. */
	u64 updates;
	u64 pending_steal;
	bool preempted;
};

static struct pvl_sim_cpu __percpu *pvl_sim;
/* Serialises writers (tick, stress thread, controls), like a host would. */
static DEFINE_SPINLOCK(pvl_sim_lock);
static struct hrtimer pvl_sim_timer;
static u64 pvl_sim_period_ns;
static u64 pvl_sim_stamp;
static u32 pvl_sim_mul, pvl_sim_khz;
static s8 pvl_sim_shift;
/*
 * The host's clock: base_ns at TSC base_tsc, then scaled.  Every update
 * derives from it, so truncation never accumulates over updates.
 */
static u64 pvl_sim_base_ns, pvl_sim_base_tsc;
static bool pvl_sim_paused;
static unsigned int pvl_sim_stress;
static struct task_struct *pvl_sim_thread;
static DECLARE_COMPLETION(pvl_sim_stress_started);
static DEFINE_MUTEX(pvl_sim_ctl_mutex);
static struct dentry *pvl_sim_debugfs;

static void pvl_sim_begin(u32 *version)
{
	WRITE_ONCE(*version, *version + 1);
	virt_wmb();	/* odd version visible before any data */
}

static void pvl_sim_end(u32 *version)
{
	virt_wmb();	/* all data visible before the even version */
	WRITE_ONCE(*version, *version + 1);
}

/* The host's time at @tsc.  Lock held. */
static u64 pvl_sim_now(u64 tsc)
{
	return pvlens_pvclock_time(pvl_sim_base_ns, pvl_sim_base_tsc,
				   pvl_sim_mul, pvl_sim_shift, tsc);
}

/* Publish the clock at @tsc in @cpu's pvclock area.  Lock held. */
static void pvl_sim_publish_clock(struct pvl_sim_cpu *sc, u64 tsc)
{
	struct pvclock_vcpu_time_info *p = &sc->pvti.pvti;

	pvl_sim_begin(&p->version);
	p->tsc_timestamp = tsc;
	p->system_time = pvl_sim_now(tsc);
	p->tsc_to_system_mul = pvl_sim_mul;
	p->tsc_shift = pvl_sim_shift;
	p->flags = tsc_stable ? PVCLOCK_TSC_STABLE_BIT : 0;
	pvl_sim_end(&p->version);
}

/* One host update of @cpu's areas at grid time @stamp.  Lock held. */
static void pvl_sim_update(struct pvl_sim_cpu *sc, u64 stamp, u64 tsc,
			   u64 add_steal)
{
	pvl_sim_publish_clock(sc, tsc);
	sc->updates++;

	pvl_sim_begin(&sc->st.version);
	sc->st.steal += add_steal + sc->pending_steal;
	sc->pending_steal = 0;
	sc->st.preempted = sc->preempted ? KVM_VCPU_PREEMPTED : 0;
	sc->st.pad[PVLENS_SIM_STAMP_LO] = lower_32_bits(stamp);
	sc->st.pad[PVLENS_SIM_STAMP_HI] = upper_32_bits(stamp);
	pvl_sim_end(&sc->st.version);
}

static enum hrtimer_restart pvl_sim_tick(struct hrtimer *t)
{
	unsigned long flags;
	unsigned int cpu;
	u64 stamp, add, tsc;

	hrtimer_forward_now(t, ns_to_ktime(pvl_sim_period_ns));
	spin_lock_irqsave(&pvl_sim_lock, flags);
	if (pvl_sim_paused || pvl_sim_stress)
		goto out;
	/* The last grid point passed: steal windows come out exact. */
	stamp = ktime_to_ns(hrtimer_get_expires(t)) - pvl_sim_period_ns;
	add = div_u64((stamp - pvl_sim_stamp) * READ_ONCE(duty_ppm),
		      PVLENS_PPM);
	pvl_sim_stamp = stamp;
	tsc = rdtsc_ordered();
	for_each_possible_cpu(cpu)
		pvl_sim_update(per_cpu_ptr(pvl_sim, cpu), stamp, tsc, add);
out:
	spin_unlock_irqrestore(&pvl_sim_lock, flags);
	return HRTIMER_RESTART;
}

static const struct pvclock_vcpu_time_info *pvl_sim_pvti(unsigned int cpu)
{
	return &per_cpu_ptr(pvl_sim, cpu)->pvti.pvti;
}

static const struct kvm_steal_time *pvl_sim_steal(unsigned int cpu)
{
	return &per_cpu_ptr(pvl_sim, cpu)->st;
}

static u64 pvl_sim_steal_stamp(unsigned int cpu, const struct kvm_steal_time *st)
{
	return (u64)st->pad[PVLENS_SIM_STAMP_HI] << 32 |
	       st->pad[PVLENS_SIM_STAMP_LO];
}

static const struct pvlens_clock_source pvl_sim_source = {
	.name = "simulated",
	.pvti = pvl_sim_pvti,
	.steal = pvl_sim_steal,
	.steal_stamp = pvl_sim_steal_stamp,
};

/*
 * Rewrite every area as fast as possible with value pairs a torn read would
 * break: tsc_timestamp k with system_time ~k and mul k * HASH, steal s with
 * flags s * HASH.  Mode 2 skips the version protocol (the negative control).
 */
static int pvl_sim_stress_fn(void *unused)
{
	unsigned long flags;
	unsigned int cpu, n = 0;
	bool versioned = pvl_sim_stress == 1;
	u64 k = 0;

	while (!kthread_should_stop()) {
		for_each_possible_cpu(cpu) {
			struct pvl_sim_cpu *sc = per_cpu_ptr(pvl_sim, cpu);
			struct pvclock_vcpu_time_info *p = &sc->pvti.pvti;

			k++;
			spin_lock_irqsave(&pvl_sim_lock, flags);
			if (versioned)
				pvl_sim_begin(&p->version);
			p->tsc_timestamp = k;
			/* A slow unversioned writer: torn reads must show. */
			if (!versioned)
				udelay(1);
			p->system_time = ~k;
			p->tsc_to_system_mul = (u32)k * PVL_SIM_HASH;
			if (versioned) {
				pvl_sim_end(&p->version);
				pvl_sim_begin(&sc->st.version);
			}
			sc->st.steal++;
			sc->st.flags = (u32)sc->st.steal * PVL_SIM_HASH;
			if (versioned)
				pvl_sim_end(&sc->st.version);
			spin_unlock_irqrestore(&pvl_sim_lock, flags);
		}
		if (!n++)
			complete(&pvl_sim_stress_started);
		if (!(n % 64))
			cond_resched();
	}
	return 0;
}

/* Back to the real clock after a stress run. */
static void pvl_sim_reset_clock(void)
{
	unsigned long flags;
	unsigned int cpu;
	u64 tsc;

	spin_lock_irqsave(&pvl_sim_lock, flags);
	tsc = rdtsc_ordered();
	for_each_possible_cpu(cpu) {
		struct pvl_sim_cpu *sc = per_cpu_ptr(pvl_sim, cpu);

		pvl_sim_publish_clock(sc, tsc);
		pvl_sim_begin(&sc->st.version);
		sc->st.flags = 0;
		pvl_sim_end(&sc->st.version);
	}
	spin_unlock_irqrestore(&pvl_sim_lock, flags);
}

static int pvl_sim_set_stress(unsigned int mode)
{
	struct task_struct *t;

	if (mode > 2)
		return -EINVAL;
	if (pvl_sim_thread) {
		kthread_stop(pvl_sim_thread);
		pvl_sim_thread = NULL;
		WRITE_ONCE(pvl_sim_stress, 0);
		pvl_sim_reset_clock();
	}
	if (!mode)
		return 0;
	WRITE_ONCE(pvl_sim_stress, mode);
	reinit_completion(&pvl_sim_stress_started);
	t = kthread_run(pvl_sim_stress_fn, NULL, "pvlens_sim_stress");
	if (IS_ERR(t)) {
		WRITE_ONCE(pvl_sim_stress, 0);
		return PTR_ERR(t);
	}
	pvl_sim_thread = t;
	/* Every area holds a pair before the write returns. */
	wait_for_completion(&pvl_sim_stress_started);
	return 0;
}

static int pvl_sim_set_khz(u32 khz)
{
	unsigned long flags;
	u32 mul;
	s8 shift;

	if (pvlens_pvclock_time_scale(NSEC_PER_SEC, (u64)khz * 1000, &mul,
				      &shift))
		return -EINVAL;
	spin_lock_irqsave(&pvl_sim_lock, flags);
	/* Time stays continuous across the change, as after a migration. */
	if (pvl_sim_khz) {
		u64 tsc = rdtsc_ordered();

		pvl_sim_base_ns = pvl_sim_now(tsc);
		pvl_sim_base_tsc = tsc;
	}
	pvl_sim_khz = khz;
	pvl_sim_mul = mul;
	pvl_sim_shift = shift;
	spin_unlock_irqrestore(&pvl_sim_lock, flags);
	return 0;
}

/* Controls: one "name value..." command per write to debugfs `control`. */
static ssize_t pvl_sim_control_write(struct file *file, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct pvl_sim_cpu *sc;
	unsigned long flags;
	char buf[64], cmd[16];
	unsigned long long a, b;
	int n, ret = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%15s %llu %llu", cmd, &a, &b);
	if (n < 2)
		return -EINVAL;

	mutex_lock(&pvl_sim_ctl_mutex);
	if (!strcmp(cmd, "steal") || !strcmp(cmd, "preempted")) {
		if (n != 3 || a >= nr_cpu_ids || !cpu_possible(a)) {
			ret = -EINVAL;
			goto out;
		}
		sc = per_cpu_ptr(pvl_sim, a);
		spin_lock_irqsave(&pvl_sim_lock, flags);
		if (cmd[0] == 's')
			sc->pending_steal += b;
		else
			sc->preempted = b;
		spin_unlock_irqrestore(&pvl_sim_lock, flags);
	} else if (!strcmp(cmd, "paused") && n == 2) {
		spin_lock_irqsave(&pvl_sim_lock, flags);
		pvl_sim_paused = a;
		spin_unlock_irqrestore(&pvl_sim_lock, flags);
	} else if (!strcmp(cmd, "tsc_khz") && n == 2 && a <= U32_MAX) {
		ret = pvl_sim_set_khz(a);
	} else if (!strcmp(cmd, "stress") && n == 2 && a <= 2) {
		ret = pvl_sim_set_stress(a);
	} else {
		ret = -EINVAL;
	}
out:
	mutex_unlock(&pvl_sim_ctl_mutex);
	return ret ? ret : count;
}

static const struct file_operations pvl_sim_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvl_sim_control_write,
	.llseek = no_llseek,
};

/* What the hypervisor published, for tests to compare with the reader. */
static int pvl_sim_state_show(struct seq_file *m, void *unused)
{
	unsigned long flags;
	unsigned int cpu;

	spin_lock_irqsave(&pvl_sim_lock, flags);
	seq_printf(m, "tsc_khz %u\nmul %u\nshift %d\nstamp_ns %llu\npaused %d\nstress %u\n",
		   pvl_sim_khz, pvl_sim_mul, pvl_sim_shift, pvl_sim_stamp,
		   pvl_sim_paused, pvl_sim_stress);
	for_each_possible_cpu(cpu) {
		struct pvl_sim_cpu *sc = per_cpu_ptr(pvl_sim, cpu);

		seq_printf(m, "cpu%u updates %llu steal %llu preempted %d\n",
			   cpu, sc->updates, sc->st.steal, sc->preempted);
	}
	spin_unlock_irqrestore(&pvl_sim_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvl_sim_state);

static int __init pvl_sim_init(void)
{
	unsigned int cpu;
	u64 now, tsc;
	int ret;

	if (period_us < 100 || period_us > 100000) {
		pr_err("period_us=%u out of 100..100000\n", period_us);
		return -EINVAL;
	}
	if (duty_ppm > PVLENS_PPM) {
		pr_err("duty_ppm=%u above 1000000\n", duty_ppm);
		return -EINVAL;
	}
	pvl_sim_period_ns = (u64)period_us * NSEC_PER_USEC;
	ret = pvl_sim_set_khz(tsc_khz ? tsc_khz : 1000000);
	if (ret)
		return ret;
	pvl_sim = alloc_percpu(struct pvl_sim_cpu);
	if (!pvl_sim)
		return -ENOMEM;

	now = ktime_get_ns();
	tsc = rdtsc_ordered();
	pvl_sim_base_ns = now;
	pvl_sim_base_tsc = tsc;
	pvl_sim_stamp = now;
	for_each_possible_cpu(cpu) {
		struct pvl_sim_cpu *sc = per_cpu_ptr(pvl_sim, cpu);

		pvl_sim_publish_clock(sc, tsc);
		sc->st.pad[PVLENS_SIM_STAMP_LO] = lower_32_bits(now);
		sc->st.pad[PVLENS_SIM_STAMP_HI] = upper_32_bits(now);
	}
	hrtimer_init(&pvl_sim_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pvl_sim_timer.function = pvl_sim_tick;
	hrtimer_start(&pvl_sim_timer, ns_to_ktime(now + pvl_sim_period_ns),
		      HRTIMER_MODE_ABS);

	ret = pvlens_clock_attach_source(&pvl_sim_source);
	if (ret) {
		pr_err("cannot attach to pvlens_clock: %d\n", ret);
		goto err_timer;
	}
	pvl_sim_debugfs = debugfs_create_dir("pvlens_clock_sim", NULL);
	debugfs_create_file("control", 0200, pvl_sim_debugfs, NULL,
			    &pvl_sim_control_fops);
	debugfs_create_file("state", 0444, pvl_sim_debugfs, NULL,
			    &pvl_sim_state_fops);
	pr_info("attached: period %u us, duty %u ppm, tsc %u kHz\n", period_us,
		duty_ppm, pvl_sim_khz);
	return 0;

err_timer:
	hrtimer_cancel(&pvl_sim_timer);
	free_percpu(pvl_sim);
	return ret;
}

static void __exit pvl_sim_exit(void)
{
	debugfs_remove(pvl_sim_debugfs);
	pvlens_clock_detach_source(&pvl_sim_source);
	mutex_lock(&pvl_sim_ctl_mutex);
	pvl_sim_set_stress(0);
	mutex_unlock(&pvl_sim_ctl_mutex);
	hrtimer_cancel(&pvl_sim_timer);
	free_percpu(pvl_sim);
}

module_init(pvl_sim_init);
module_exit(pvl_sim_exit);
MODULE_DESCRIPTION("pvlens: simulated hypervisor clock and steal time for pvlens_clock");
MODULE_LICENSE("GPL");
