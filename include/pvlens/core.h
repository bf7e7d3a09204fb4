/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlens_core: the statistics core every pvlens driver uses, one instance per
 * virtqueue.  See Documentation/pvlens.rst for what each number means.
 *
 * Rules for drivers:
 *  - Per-CPU counters and histograms: every pvlens_*() below that does not say
 *    otherwise may be called from any context, without locks.
 *  - pvlens_inflight_add()/pvlens_inflight_sub()/pvlens_kick_prepare() touch
 *    plain per-queue fields: call them under the lock that already serialises
 *    the virtqueue (the one held around virtqueue_add_*()/get_buf()).
 *  - Timestamps come from pvlens_now(), which does not trap to KVM or QEMU,
 *    and are 0 while timing is switched off (then no latency is recorded,
 *    counters still are).  They are in the pvlens clock's own units: only
 *    pvlens_elapsed_ns() of two of them means something.
 */
#ifndef _PVLENS_CORE_H
#define _PVLENS_CORE_H

#include <linux/bug.h>
#include <linux/jump_label.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/virtio.h>
#include <pvlens/hist.h>

/* The TSC as pvlens's clock: 64-bit x86 (one word holds its conversion). */
#if defined(CONFIG_X86_TSC) && defined(CONFIG_64BIT)
#define PVLENS_TSC_CLOCK 1
#include <asm/msr.h>
#include <asm/tsc.h>
#endif

#define PVLENS_MAX_CLASSES	8
#define PVLENS_MAX_COUNTERS	16
/* Kick batch buckets: 1, 2-3, 4-7, ..., >= 128 requests per kick. */
#define PVLENS_BATCH_BUCKETS	8

/* What a driver declares once (static const) about its statistics. */
struct pvlens_desc {
	/* Operation classes, e.g. "read", "write"; lower_snake_case. */
	const char * const *classes;
	unsigned int nr_classes;
	/* Driver-specific event counters, e.g. "err_ioerr"; may be empty. */
	const char * const *counters;
	unsigned int nr_counters;
};

struct pvlens_class_stats {
	u64 ops;
	u64 bytes;
	u64 errors;
	struct pvlens_hist latency;
};

/* One CPU's share of one queue's numbers. */
struct pvlens_cpu_stats {
	u64 kicks;
	u64 kicks_suppressed;
	u64 kicked_ops;
	u64 interrupts;
	u64 spurious_interrupts;
	u64 requeues;
	u64 counters[PVLENS_MAX_COUNTERS];
	u64 kick_batch[PVLENS_BATCH_BUCKETS];
	struct pvlens_hist kick_cost;
	struct pvlens_class_stats cls[PVLENS_MAX_CLASSES];
};

struct pvlens_dev;

struct pvlens_queue {
	struct pvlens_cpu_stats __percpu *pcpu;
	/* Serialised by the driver's virtqueue lock; read locklessly. */
	unsigned int inflight;
	unsigned int max_inflight;
	unsigned int unkicked;
	unsigned int index;
	struct pvlens_dev *dev;
	char name[32];
};

DECLARE_STATIC_KEY_TRUE(pvlens_timing_key);

/*
 * Create the statistics of a device with @nr_queues queues named @queue_names
 * (usually the virtqueue names, e.g. "req.0") and publish them in sysfs under
 * @parent ("<parent>/pvlens/<queue>/...") and in debugfs
 * ("pvlens/<dev_name(parent)>/<queue>/{stats,histogram}").
 * Returns an ERR_PTR() on failure.
 */
struct pvlens_dev *pvlens_dev_create(struct device *parent,
				     const struct pvlens_desc *desc,
				     unsigned int nr_queues,
				     const char * const *queue_names);
/* Unpublishes (waiting for readers) and frees.  NULL and ERR_PTR are ignored. */
void pvlens_dev_destroy(struct pvlens_dev *pd);
struct pvlens_queue *pvlens_dev_queue(struct pvlens_dev *pd, unsigned int index);
unsigned int pvlens_dev_nr_queues(const struct pvlens_dev *pd);
/* Zeroes every counter and histogram of every queue (not inflight). */
void pvlens_dev_reset(struct pvlens_dev *pd);

/* A queue's numbers that are not per class, summed over the CPUs. */
struct pvlens_queue_totals {
	u64 kicks;
	u64 kicks_suppressed;
	u64 kicked_ops;
	u64 interrupts;
	u64 spurious_interrupts;
	u64 requeues;
	struct pvlens_hist kick_cost;
};

/* Aggregated reads, for drivers that report through ethtool and for tests. */
void pvlens_queue_read(struct pvlens_queue *q, struct pvlens_queue_totals *out);
void pvlens_queue_class_read(struct pvlens_queue *q, unsigned int cls,
			     struct pvlens_class_stats *out);
u64 pvlens_queue_counter_read(struct pvlens_queue *q, unsigned int counter);

DECLARE_STATIC_KEY_FALSE(pvlens_tsc_key);
/*
 * TSC cycles to ns, in one word so that a reader sees one consistent set:
 * mult (bits 63-32), the tsc_khz it was made for (31-6), shift (5-0).
 */
extern u64 pvlens_tsc_conv;
u64 pvlens_tsc_to_ns_slow(u64 cycles);

/*
 * The pvlens clock.  Where the kernel trusts the TSC when pvlens_core loads
 * (Documentation/pvlens.rst, "The clock"), one rdtsc: about 3 instructions
 * against local_clock()'s 40, read two or three times per request, and
 * converted to nanoseconds only where a latency is recorded.  Elsewhere
 * local_clock(), not sched_clock(): with the TSC marked unstable (as under
 * TCG with two CPUs) sched_clock() may tick in jiffies, and every latency
 * read as 0.  Which of the two is fixed for the life of pvlens_core, so two
 * timestamps are always of the same kind.
 */
static __always_inline u64 pvlens_now(void)
{
	if (!static_branch_likely(&pvlens_timing_key))
		return 0;
#ifdef PVLENS_TSC_CLOCK
	if (static_branch_likely(&pvlens_tsc_key))
		return rdtsc();
#endif
	return local_clock();
}

/* Nanoseconds from @start to @end, two pvlens_now() values; 0 unless later. */
static __always_inline u64 pvlens_elapsed_ns(u64 start, u64 end)
{
	if (end <= start)
		return 0;
#ifdef PVLENS_TSC_CLOCK
	if (static_branch_likely(&pvlens_tsc_key)) {
		u64 conv = READ_ONCE(pvlens_tsc_conv);

		/* The kernel refines tsc_khz once, maybe after we loaded. */
		if (unlikely((u32)conv >> 6 != READ_ONCE(tsc_khz)))
			return pvlens_tsc_to_ns_slow(end - start);
		return mul_u64_u32_shr(end - start, conv >> 32, conv & 63);
	}
#endif
	return end - start;
}

/*
 * The latency half of pvlens_op_done*(): records @latency_ns in class @cls's
 * histogram.  @cls has been checked by the caller; use pvlens_op_done*().
 */
void __pvlens_op_latency(struct pvlens_queue *q, unsigned int cls,
			 u64 latency_ns);
void __pvlens_ops_latency(struct pvlens_queue *q, unsigned int cls,
			  u64 latency_ns, unsigned int n);

/*
 * @n operations of class @cls, @bytes in all, none failed: one add each
 * (a completion loop counts its whole run at once).  False for an invalid
 * @cls.
 */
static __always_inline bool pvlens_ops_count(struct pvlens_queue *q,
					     unsigned int cls, unsigned int n,
					     u64 bytes)
{
	struct pvlens_class_stats __percpu *cs;

	if (WARN_ON_ONCE(cls >= PVLENS_MAX_CLASSES))
		return false;
	cs = &q->pcpu->cls[cls];
	this_cpu_add(cs->ops, n);
	this_cpu_add(cs->bytes, bytes);
	return true;
}

/*
 * The counters of one completed operation, inline: they are the whole of
 * pvlens_op_done() while timing is off.  False for an invalid @cls.
 */
static __always_inline bool pvlens_op_count(struct pvlens_queue *q,
					    unsigned int cls, u64 bytes,
					    bool error)
{
	if (!pvlens_ops_count(q, cls, 1, bytes))
		return false;
	if (error)
		this_cpu_inc(q->pcpu->cls[cls].errors);
	return true;
}

/* Record one completed operation.  @start is a pvlens_now() value (or 0). */
static inline void pvlens_op_done(struct pvlens_queue *q, unsigned int cls,
				  u64 bytes, u64 start, bool error)
{
	u64 now = start ? pvlens_now() : 0;

	/* now == 0: timing was switched off since the request started. */
	if (pvlens_op_count(q, cls, bytes, error) && now)
		__pvlens_op_latency(q, cls, pvlens_elapsed_ns(start, now));
}

/*
 * Like pvlens_op_done() for a completion whose latency was measured elsewhere
 * (e.g. from a block layer timestamp): @latency_ns is recorded as given.
 */
static inline void pvlens_op_done_latency(struct pvlens_queue *q,
					  unsigned int cls, u64 bytes,
					  u64 latency_ns, bool error)
{
	if (pvlens_op_count(q, cls, bytes, error))
		__pvlens_op_latency(q, cls, latency_ns);
}

/*
 * @n operations of class @cls that took the same @latency_ns (the packets of
 * one NAPI poll, timed by one clock read): one histogram record of weight @n
 * instead of @n records.  Their counters go through pvlens_op_count().
 */
static inline void pvlens_ops_latency(struct pvlens_queue *q,
				      unsigned int cls, u64 latency_ns,
				      unsigned int n)
{
	if (n && !WARN_ON_ONCE(cls >= PVLENS_MAX_CLASSES))
		__pvlens_ops_latency(q, cls, latency_ns, n);
}

/*
 * Latencies of one run of completions (the packets one poll reaps), each
 * timed on its own: every sample goes into its bucket as it comes, and the
 * histogram's count, sum, min and max take one update for the whole run
 * (pvlens_lat_batch_flush()), not one per sample.  A reader between the
 * two sees buckets ahead of the count, as with any record in progress.
 */
struct pvlens_lat_batch {
	u64 sum;
	u64 min;
	u64 max;
	unsigned int count;
};

static inline void pvlens_lat_batch_init(struct pvlens_lat_batch *b)
{
	b->sum = 0;
	b->min = U64_MAX;
	b->max = 0;
	b->count = 0;
}

/* One sample of class @cls (checked by the caller, a constant). */
static __always_inline void pvlens_lat_batch_add(struct pvlens_queue *q,
						 unsigned int cls,
						 struct pvlens_lat_batch *b,
						 u64 ns)
{
	this_cpu_inc(q->pcpu->cls[cls].latency.buckets[pvlens_hist_bucket(ns)]);
	b->sum = b->sum + ns >= ns ? b->sum + ns : U64_MAX;
	if (ns < b->min)
		b->min = ns;
	if (ns > b->max)
		b->max = ns;
	b->count++;
}

void __pvlens_lat_batch_flush(struct pvlens_queue *q, unsigned int cls,
			      const struct pvlens_lat_batch *b);

/* Records the run's count, sum, min and max; on the CPU that added them. */
static inline void pvlens_lat_batch_flush(struct pvlens_queue *q,
					  unsigned int cls,
					  const struct pvlens_lat_batch *b)
{
	if (b->count)
		__pvlens_lat_batch_flush(q, cls, b);
}

/* Caller holds the virtqueue lock. */
static inline void pvlens_inflight_add(struct pvlens_queue *q, unsigned int n)
{
	unsigned int now = q->inflight + n;

	WRITE_ONCE(q->inflight, now);
	q->unkicked += n;
	if (now > q->max_inflight)
		WRITE_ONCE(q->max_inflight, now);
}

/* Caller holds the virtqueue lock. */
static inline void pvlens_inflight_sub(struct pvlens_queue *q, unsigned int n)
{
	WRITE_ONCE(q->inflight, q->inflight >= n ? q->inflight - n : 0);
}

/*
 * virtqueue_kick_prepare() that counts suppressed kicks.  Caller holds the
 * virtqueue lock.  Returns the number of requests the coming notification
 * carries (at least 1), or 0 when no notification is needed.
 */
static inline unsigned int pvlens_kick_prepare(struct pvlens_queue *q,
					       struct virtqueue *vq)
{
	unsigned int batch = q->unkicked;

	q->unkicked = 0;
	if (!virtqueue_kick_prepare(vq)) {
		this_cpu_inc(q->pcpu->kicks_suppressed);
		return 0;
	}
	return batch ? batch : 1;
}

/*
 * pvlens_notify() for a caller that has just read the clock for something
 * else: @start (a pvlens_now() value, or 0) is the kick's start, which
 * saves one clock read per kick.  Read it right before the notification
 * (only a lock release in between), or the kick cost grows by what lies
 * between.
 */
bool pvlens_notify_from(struct pvlens_queue *q, struct virtqueue *vq,
			unsigned int batch, u64 start);

/*
 * virtqueue_notify() timed and counted: the notification is a trap to the
 * hypervisor, so its duration is the guest-visible cost of one VM exit.
 * @batch is what pvlens_kick_prepare() returned.  May be called without the
 * lock.  Returns virtqueue_notify()'s result.  Inline: the clock is read
 * here, one call less per kick.
 */
static inline bool pvlens_notify(struct pvlens_queue *q, struct virtqueue *vq,
				 unsigned int batch)
{
	return pvlens_notify_from(q, vq, batch, pvlens_now());
}

/*
 * The accounting of pvlens_notify() for a notification timed by the caller
 * (@cost_ns is recorded as given), and for tests.
 */
void pvlens_kick_account(struct pvlens_queue *q, unsigned int batch,
			 u64 cost_ns);

/* pvlens_kick_prepare() + pvlens_notify() in one, under the lock. */
static inline bool pvlens_kick(struct pvlens_queue *q, struct virtqueue *vq)
{
	unsigned int batch = pvlens_kick_prepare(q, vq);

	return batch ? pvlens_notify(q, vq, batch) : true;
}

/* A virtqueue callback ran; @spurious when it found nothing used. */
static inline void pvlens_interrupt(struct pvlens_queue *q, bool spurious)
{
	this_cpu_inc(q->pcpu->interrupts);
	if (spurious)
		this_cpu_inc(q->pcpu->spurious_interrupts);
}

/* A request goes back to its submitter: ring full, or no memory now. */
static inline void pvlens_requeue(struct pvlens_queue *q)
{
	this_cpu_inc(q->pcpu->requeues);
}

/* Driver-specific counter @counter (index into desc->counters). */
static inline void pvlens_count(struct pvlens_queue *q, unsigned int counter,
				u64 n)
{
	this_cpu_add(q->pcpu->counters[counter], n);
}

#endif /* _PVLENS_CORE_H */
