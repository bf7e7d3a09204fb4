// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_core: per-virtqueue counters and latency histograms for the pvlens
 * drivers, kept per CPU and published in sysfs and debugfs.
 * Documentation/statistics-layout.rst describes every file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <pvlens/core.h>
#include <pvlens/fault.h>
#include "fault.h"

enum pvlens_item_kind {
	PVLENS_ITEM_U64,	/* u64 at @off in pvlens_cpu_stats, summed */
	PVLENS_ITEM_HIST,	/* pvlens_hist at @off, merged, @field of it */
	PVLENS_ITEM_INFLIGHT,
	PVLENS_ITEM_MAX_INFLIGHT,
};

/* The eight numbers every histogram shows, in file order. */
static const struct {
	const char *suffix;
	unsigned int per_mille;
} pvlens_hist_fields[] = {
	{ "count" }, { "sum_ns" }, { "min_ns" }, { "max_ns" },
	{ "p50_ns", PVLENS_P50 }, { "p90_ns", PVLENS_P90 },
	{ "p99_ns", PVLENS_P99 }, { "p999_ns", PVLENS_P999 },
};

enum { PVLENS_F_COUNT, PVLENS_F_SUM, PVLENS_F_MIN, PVLENS_F_MAX };

static const struct {
	const char *name;
	size_t off;
} pvlens_queue_u64s[] = {
	{ "kicks", offsetof(struct pvlens_cpu_stats, kicks) },
	{ "kicks_suppressed", offsetof(struct pvlens_cpu_stats, kicks_suppressed) },
	{ "kicked_ops", offsetof(struct pvlens_cpu_stats, kicked_ops) },
	{ "interrupts", offsetof(struct pvlens_cpu_stats, interrupts) },
	{ "spurious_interrupts",
	  offsetof(struct pvlens_cpu_stats, spurious_interrupts) },
	{ "requeues", offsetof(struct pvlens_cpu_stats, requeues) },
};

/*
 * Longest item name: a 24-character class (pvlens_ident_ok()) and
 * "_latency_p999_ns".
 */
#define PVLENS_ITEM_NAME_LEN	48

/* One value of a queue: a sysfs file and a line of debugfs "stats". */
struct pvlens_item {
	struct attribute attr;
	/* attr.name: in here, so one allocation holds every item. */
	char name[PVLENS_ITEM_NAME_LEN];
	enum pvlens_item_kind kind;
	unsigned int field;
	size_t off;
};

struct pvlens_qobj {
	struct kobject kobj;
	struct pvlens_queue q;
};

struct pvlens_dev {
	struct kobject kobj;		/* <parent>/pvlens */
	struct device *parent;
	struct list_head node;
	struct pvlens_desc desc;
	unsigned int nr_queues;
	struct pvlens_qobj *queues;
	struct pvlens_item *items;
	unsigned int nr_items;
	struct attribute **q_attrs;
	struct attribute_group q_group;
	const struct attribute_group *q_groups[2];
	struct kobj_type q_ktype;
	struct dentry *debugfs;
};

DEFINE_STATIC_KEY_TRUE(pvlens_timing_key);
EXPORT_SYMBOL_GPL(pvlens_timing_key);

/* Set once at load, never changed: see pvlens_now(). */
DEFINE_STATIC_KEY_FALSE(pvlens_tsc_key);
EXPORT_SYMBOL_GPL(pvlens_tsc_key);
/* Made at load, made again when tsc_khz changes: see pvlens_elapsed_ns(). */
u64 pvlens_tsc_conv __read_mostly;
EXPORT_SYMBOL_GPL(pvlens_tsc_conv);

static DEFINE_MUTEX(pvlens_devs_lock);
static LIST_HEAD(pvlens_devs);
static struct dentry *pvlens_debugfs_root;

/* Hot path */

/*
 * Everything but the buckets: @n samples, @sum of them, the least @min and
 * the largest @max.
 */
static __always_inline void
pvlens_pcpu_hist_account(struct pvlens_hist __percpu *h, u64 min, u64 max,
			 u64 sum, unsigned int n)
{
	u64 old, prev;

	/* cmpxchg loops: an interrupt on this CPU may record in between. */
	old = this_cpu_read(h->min);
	while (min < old) {
		prev = this_cpu_cmpxchg(h->min, old, min);
		if (prev == old)
			break;
		old = prev;
	}
	old = this_cpu_read(h->max);
	while (max > old) {
		prev = this_cpu_cmpxchg(h->max, old, max);
		if (prev == old)
			break;
		old = prev;
	}
	/*
	 * One add instead of a cmpxchg loop; a sum that wrapped is pinned at
	 * U64_MAX, which any later record on this CPU keeps there.
	 */
	if (unlikely(this_cpu_read(h->sum) == U64_MAX) ||
	    unlikely(this_cpu_add_return(h->sum, sum) < sum))
		this_cpu_write(h->sum, U64_MAX);
	this_cpu_add(h->count, n);
}

/*
 * Inline: one call less per recording, and the bucket math inline too.
 * @n samples of the same @ns; n == 1 folds to single increments.
 */
static __always_inline void
pvlens_pcpu_hist_record_n(struct pvlens_hist __percpu *h, u64 ns,
			  unsigned int n)
{
	u64 weighted;

	this_cpu_add(h->buckets[pvlens_hist_bucket(ns)], n);
	if (check_mul_overflow(ns, (u64)n, &weighted))
		weighted = U64_MAX;
	pvlens_pcpu_hist_account(h, ns, ns, weighted, n);
}

static __always_inline void
pvlens_pcpu_hist_record(struct pvlens_hist __percpu *h, u64 ns)
{
	pvlens_pcpu_hist_record_n(h, ns, 1);
}

void __pvlens_op_latency(struct pvlens_queue *q, unsigned int cls,
			 u64 latency_ns)
{
	pvlens_pcpu_hist_record(&q->pcpu->cls[cls].latency, latency_ns);
}
EXPORT_SYMBOL_GPL(__pvlens_op_latency);

void __pvlens_ops_latency(struct pvlens_queue *q, unsigned int cls,
			  u64 latency_ns, unsigned int n)
{
	pvlens_pcpu_hist_record_n(&q->pcpu->cls[cls].latency, latency_ns, n);
}
EXPORT_SYMBOL_GPL(__pvlens_ops_latency);

void __pvlens_lat_batch_flush(struct pvlens_queue *q, unsigned int cls,
			      const struct pvlens_lat_batch *b)
{
	pvlens_pcpu_hist_account(&q->pcpu->cls[cls].latency, b->min, b->max,
				 b->sum, b->count);
}
EXPORT_SYMBOL_GPL(__pvlens_lat_batch_flush);

static __always_inline void pvlens_kick_count(struct pvlens_queue *q,
					      unsigned int batch)
{
	unsigned int b = batch ? fls(batch) - 1 : 0;

	if (b >= PVLENS_BATCH_BUCKETS)
		b = PVLENS_BATCH_BUCKETS - 1;
	this_cpu_inc(q->pcpu->kicks);
	this_cpu_add(q->pcpu->kicked_ops, batch);
	this_cpu_inc(q->pcpu->kick_batch[b]);
}

void pvlens_kick_account(struct pvlens_queue *q, unsigned int batch,
			 u64 cost_ns)
{
	pvlens_kick_count(q, batch);
	pvlens_pcpu_hist_record(&q->pcpu->kick_cost, cost_ns);
}
EXPORT_SYMBOL_GPL(pvlens_kick_account);

bool pvlens_notify_from(struct pvlens_queue *q, struct virtqueue *vq,
			unsigned int batch, u64 start)
{
	bool ret = virtqueue_notify(vq);
	u64 end = start ? pvlens_now() : 0;

	pvlens_kick_count(q, batch);
	if (end)
		pvlens_pcpu_hist_record(&q->pcpu->kick_cost,
					pvlens_elapsed_ns(start, end));
	return ret;
}
EXPORT_SYMBOL_GPL(pvlens_notify_from);

/* Reads */

/* Empty per-CPU histograms keep min at U64_MAX so the cmpxchg loop works. */
static void pvlens_cpu_stats_clear(struct pvlens_cpu_stats *s)
{
	unsigned int c;

	memset(s, 0, sizeof(*s));
	s->kick_cost.min = U64_MAX;
	for (c = 0; c < PVLENS_MAX_CLASSES; c++)
		s->cls[c].latency.min = U64_MAX;
}

static u64 pvlens_sum_u64(struct pvlens_queue *q, size_t off)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum = pvlens_sat_add(sum, *(u64 *)((u8 *)per_cpu_ptr(q->pcpu, cpu) +
						  off));
	return sum;
}

static void pvlens_sum_hist(struct pvlens_queue *q, size_t off,
			    struct pvlens_hist *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu)
		pvlens_hist_merge(out, (struct pvlens_hist *)
				  ((u8 *)per_cpu_ptr(q->pcpu, cpu) + off));
}

/* One u64 member of struct pvlens_cpu_stats, summed over the CPUs. */
#define pvlens_sum_field(q, field) \
	pvlens_sum_u64(q, offsetof(struct pvlens_cpu_stats, field))

void pvlens_queue_read(struct pvlens_queue *q, struct pvlens_queue_totals *out)
{
	out->kicks = pvlens_sum_field(q, kicks);
	out->kicks_suppressed = pvlens_sum_field(q, kicks_suppressed);
	out->kicked_ops = pvlens_sum_field(q, kicked_ops);
	out->interrupts = pvlens_sum_field(q, interrupts);
	out->spurious_interrupts = pvlens_sum_field(q, spurious_interrupts);
	out->requeues = pvlens_sum_field(q, requeues);
	pvlens_sum_hist(q, offsetof(struct pvlens_cpu_stats, kick_cost),
			&out->kick_cost);
}
EXPORT_SYMBOL_GPL(pvlens_queue_read);

void pvlens_queue_class_read(struct pvlens_queue *q, unsigned int cls,
			     struct pvlens_class_stats *out)
{
	size_t off = offsetof(struct pvlens_cpu_stats, cls[0]) +
		     cls * sizeof(struct pvlens_class_stats);

	memset(out, 0, sizeof(*out));
	if (WARN_ON_ONCE(cls >= PVLENS_MAX_CLASSES))
		return;
	out->ops = pvlens_sum_u64(q, off +
				  offsetof(struct pvlens_class_stats, ops));
	out->bytes = pvlens_sum_u64(q, off +
				    offsetof(struct pvlens_class_stats, bytes));
	out->errors = pvlens_sum_u64(q, off +
				     offsetof(struct pvlens_class_stats, errors));
	pvlens_sum_hist(q, off + offsetof(struct pvlens_class_stats, latency),
			&out->latency);
}
EXPORT_SYMBOL_GPL(pvlens_queue_class_read);

u64 pvlens_queue_counter_read(struct pvlens_queue *q, unsigned int counter)
{
	if (WARN_ON_ONCE(counter >= PVLENS_MAX_COUNTERS))
		return 0;
	return pvlens_sum_u64(q, offsetof(struct pvlens_cpu_stats,
					  counters[counter]));
}
EXPORT_SYMBOL_GPL(pvlens_queue_counter_read);

/* The last merged histogram, so a table does not merge it once per line. */
struct pvlens_hist_cache {
	size_t off;
	bool valid;
	struct pvlens_hist h;
};

static u64 pvlens_item_value(struct pvlens_queue *q,
			     const struct pvlens_item *it,
			     struct pvlens_hist_cache *c)
{
	switch (it->kind) {
	case PVLENS_ITEM_U64:
		return pvlens_sum_u64(q, it->off);
	case PVLENS_ITEM_INFLIGHT:
		return READ_ONCE(q->inflight);
	case PVLENS_ITEM_MAX_INFLIGHT:
		return READ_ONCE(q->max_inflight);
	case PVLENS_ITEM_HIST:
		break;
	}
	if (!c->valid || c->off != it->off) {
		pvlens_sum_hist(q, it->off, &c->h);
		c->off = it->off;
		c->valid = true;
	}
	switch (it->field) {
	case PVLENS_F_COUNT:
		return c->h.count;
	case PVLENS_F_SUM:
		return c->h.sum;
	case PVLENS_F_MIN:
		return c->h.count ? c->h.min : 0;
	case PVLENS_F_MAX:
		return c->h.max;
	}
	return pvlens_hist_percentile(&c->h,
				      pvlens_hist_fields[it->field].per_mille);
}

/* sysfs: <parent>/pvlens/<queue>/<item> */

static ssize_t pvlens_q_attr_show(struct kobject *kobj, struct attribute *attr,
				  char *buf)
{
	struct pvlens_qobj *qo = container_of(kobj, struct pvlens_qobj, kobj);
	struct pvlens_item *it = container_of(attr, struct pvlens_item, attr);
	struct pvlens_hist_cache c = { .valid = false };

	return sysfs_emit(buf, "%llu\n", pvlens_item_value(&qo->q, it, &c));
}

static const struct sysfs_ops pvlens_q_sysfs_ops = {
	.show = pvlens_q_attr_show,
};

static void pvlens_q_release(struct kobject *kobj)
{
	struct pvlens_qobj *qo = container_of(kobj, struct pvlens_qobj, kobj);

	/* Each queue holds its device, so the device is freed last. */
	kobject_put(&qo->q.dev->kobj);
}

/* sysfs: <parent>/pvlens/{driver,queues,classes,reset} */

static struct pvlens_dev *to_pvlens_dev(struct kobject *kobj)
{
	return container_of(kobj, struct pvlens_dev, kobj);
}

static ssize_t driver_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dev_driver_string(to_pvlens_dev(kobj)->parent));
}

static struct kobj_attribute pvlens_attr_driver = __ATTR_RO(driver);

static ssize_t queues_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct pvlens_dev *pd = to_pvlens_dev(kobj);
	unsigned int i;
	int len = 0;

	for (i = 0; i < pd->nr_queues; i++)
		len += sysfs_emit_at(buf, len, "%s\n", pd->queues[i].q.name);
	return len;
}

static struct kobj_attribute pvlens_attr_queues = __ATTR_RO(queues);

static ssize_t classes_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct pvlens_dev *pd = to_pvlens_dev(kobj);
	unsigned int i;
	int len = 0;

	for (i = 0; i < pd->desc.nr_classes; i++)
		len += sysfs_emit_at(buf, len, "%s\n", pd->desc.classes[i]);
	return len;
}

static struct kobj_attribute pvlens_attr_classes = __ATTR_RO(classes);

static ssize_t reset_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	pvlens_dev_reset(to_pvlens_dev(kobj));
	return count;
}

static struct kobj_attribute pvlens_attr_reset = __ATTR_WO(reset);

static struct attribute *pvlens_dev_attrs[] = {
	&pvlens_attr_driver.attr,
	&pvlens_attr_queues.attr,
	&pvlens_attr_classes.attr,
	&pvlens_attr_reset.attr,
	NULL
};
ATTRIBUTE_GROUPS(pvlens_dev);

static void pvlens_dev_release(struct kobject *kobj)
{
	struct pvlens_dev *pd = to_pvlens_dev(kobj);
	unsigned int i;

	kfree(pd->items);
	kfree(pd->q_attrs);
	for (i = 0; pd->queues && i < pd->nr_queues; i++)
		free_percpu(pd->queues[i].q.pcpu);
	kfree(pd->queues);
	kfree(pd);
}

static const struct kobj_type pvlens_dev_ktype = {
	.release = pvlens_dev_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = pvlens_dev_groups,
};

/* debugfs: pvlens/<dev_name(parent)>/<queue>/{stats,histogram} */

static int pvlens_stats_show(struct seq_file *m, void *v)
{
	struct pvlens_queue *q = m->private;
	struct pvlens_dev *pd = q->dev;
	struct pvlens_hist_cache *c;
	unsigned int i;

	c = pvlens_fault_null(kzalloc(sizeof(*c), GFP_KERNEL));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < pd->nr_items; i++)
		seq_printf(m, "%s %llu\n", pd->items[i].attr.name,
			   pvlens_item_value(q, &pd->items[i], c));
	kfree(c);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvlens_stats);

static void pvlens_show_hist(struct seq_file *m, struct pvlens_queue *q,
			     const char *name, size_t off,
			     struct pvlens_hist *h)
{
	unsigned int b;

	pvlens_sum_hist(q, off, h);
	for (b = 0; b < PVLENS_HIST_BUCKETS - 1; b++)
		seq_printf(m, "%s %llu %llu %llu\n", name,
			   pvlens_hist_bucket_lo(b), pvlens_hist_bucket_hi(b),
			   h->buckets[b]);
	seq_printf(m, "%s %llu inf %llu\n", name, pvlens_hist_bucket_lo(b),
		   h->buckets[b]);
}

static int pvlens_histogram_show(struct seq_file *m, void *v)
{
	struct pvlens_queue *q = m->private;
	struct pvlens_dev *pd = q->dev;
	struct pvlens_hist *h;
	unsigned int b, c;

	h = pvlens_fault_null(kmalloc(sizeof(*h), GFP_KERNEL));
	if (!h)
		return -ENOMEM;
	pvlens_show_hist(m, q, "kick_cost",
			 offsetof(struct pvlens_cpu_stats, kick_cost), h);
	for (c = 0; c < pd->desc.nr_classes; c++)
		pvlens_show_hist(m, q, pd->desc.classes[c],
				 offsetof(struct pvlens_cpu_stats, cls[0]) +
				 c * sizeof(struct pvlens_class_stats) +
				 offsetof(struct pvlens_class_stats, latency),
				 h);
	kfree(h);

	for (b = 0; b < PVLENS_BATCH_BUCKETS; b++) {
		u64 n = pvlens_sum_u64(q, offsetof(struct pvlens_cpu_stats,
						   kick_batch[b]));

		if (b < PVLENS_BATCH_BUCKETS - 1)
			seq_printf(m, "kick_batch %u %u %llu\n", 1U << b,
				   (2U << b) - 1, n);
		else
			seq_printf(m, "kick_batch %u inf %llu\n", 1U << b, n);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvlens_histogram);

/* Creation */

static bool pvlens_ident_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	size_t i;

	if (!len || len > 24)
		return false;
	for (i = 0; i < len; i++)
		if (!(islower(s[i]) || isdigit(s[i]) || s[i] == '_'))
			return false;
	return true;
}

static bool pvlens_queue_name_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	size_t i;

	if (!len || len >= sizeof_field(struct pvlens_queue, name) ||
	    !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph(s[i]) || s[i] == '/')
			return false;
	return true;
}

static int pvlens_check_desc(struct device *parent,
			     const struct pvlens_desc *desc,
			     unsigned int nr_queues,
			     const char * const *queue_names)
{
	unsigned int i;

	if (!parent) {
		pr_err("statistics need a parent device\n");
		return -EINVAL;
	}
	if (!desc || desc->nr_classes > PVLENS_MAX_CLASSES ||
	    desc->nr_counters > PVLENS_MAX_COUNTERS ||
	    (desc->nr_classes && !desc->classes) ||
	    (desc->nr_counters && !desc->counters)) {
		dev_err(parent, "pvlens: bad description (at most %d classes, %d counters)\n",
			PVLENS_MAX_CLASSES, PVLENS_MAX_COUNTERS);
		return -EINVAL;
	}
	for (i = 0; i < desc->nr_classes; i++) {
		if (!pvlens_ident_ok(desc->classes[i]) ||
		    !strcmp(desc->classes[i], "kick_cost") ||
		    !strcmp(desc->classes[i], "kick_batch")) {
			dev_err(parent, "pvlens: bad class name #%u\n", i);
			return -EINVAL;
		}
	}
	for (i = 0; i < desc->nr_counters; i++) {
		if (!pvlens_ident_ok(desc->counters[i])) {
			dev_err(parent, "pvlens: bad counter name #%u\n", i);
			return -EINVAL;
		}
	}
	if (!nr_queues || !queue_names) {
		dev_err(parent, "pvlens: no queues\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_queues; i++) {
		if (!pvlens_queue_name_ok(queue_names[i])) {
			dev_err(parent, "pvlens: bad queue name #%u\n", i);
			return -EINVAL;
		}
	}
	return 0;
}

static __printf(5, 6)
int pvlens_add_item(struct pvlens_dev *pd, enum pvlens_item_kind kind,
		    unsigned int field, size_t off, const char *fmt, ...)
{
	struct pvlens_item *it = &pd->items[pd->nr_items];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(it->name, sizeof(it->name), fmt, ap);
	va_end(ap);
	/* Cannot happen with names pvlens_check_desc() accepted. */
	if (WARN_ON_ONCE(len >= sizeof(it->name)))
		return -EINVAL;
	it->attr.name = it->name;
	sysfs_attr_init(&it->attr);
	it->attr.mode = 0444;
	it->kind = kind;
	it->field = field;
	it->off = off;
	pd->q_attrs[pd->nr_items++] = &it->attr;
	return 0;
}

/* <prefix><infix>_count, ... e.g. kick_cost_count, read_latency_count */
static int pvlens_add_hist_items(struct pvlens_dev *pd, size_t off,
				 const char *prefix, const char *infix)
{
	unsigned int f;
	int err;

	for (f = 0; f < ARRAY_SIZE(pvlens_hist_fields); f++) {
		err = pvlens_add_item(pd, PVLENS_ITEM_HIST, f, off, "%s%s_%s",
				      prefix, infix,
				      pvlens_hist_fields[f].suffix);
		if (err)
			return err;
	}
	return 0;
}

/* The queue files, in the order of Documentation/statistics-layout.rst. */
static int pvlens_build_items(struct pvlens_dev *pd)
{
	const struct pvlens_desc *d = &pd->desc;
	unsigned int nr = ARRAY_SIZE(pvlens_queue_u64s) + 2 +
		(1 + d->nr_classes) * ARRAY_SIZE(pvlens_hist_fields) +
		3 * d->nr_classes + d->nr_counters;
	unsigned int i, c;
	size_t off;
	int err;

	pd->items = pvlens_fault_null(kcalloc(nr, sizeof(*pd->items),
					      GFP_KERNEL));
	pd->q_attrs = pvlens_fault_null(kcalloc(nr + 1, sizeof(*pd->q_attrs),
						GFP_KERNEL));
	if (!pd->items || !pd->q_attrs)
		return -ENOMEM;

	for (i = 0; i < ARRAY_SIZE(pvlens_queue_u64s); i++) {
		err = pvlens_add_item(pd, PVLENS_ITEM_U64, 0,
				      pvlens_queue_u64s[i].off, "%s",
				      pvlens_queue_u64s[i].name);
		if (err)
			return err;
	}
	err = pvlens_add_item(pd, PVLENS_ITEM_INFLIGHT, 0, 0, "inflight");
	if (err)
		return err;
	err = pvlens_add_item(pd, PVLENS_ITEM_MAX_INFLIGHT, 0, 0,
			      "max_inflight");
	if (err)
		return err;
	err = pvlens_add_hist_items(pd, offsetof(struct pvlens_cpu_stats,
						 kick_cost), "kick_cost", "");
	if (err)
		return err;

	for (c = 0; c < d->nr_classes; c++) {
		off = offsetof(struct pvlens_cpu_stats, cls[0]) +
		      c * sizeof(struct pvlens_class_stats);
		err = pvlens_add_item(pd, PVLENS_ITEM_U64, 0, off +
				      offsetof(struct pvlens_class_stats, ops),
				      "%s_ops", d->classes[c]);
		if (!err)
			err = pvlens_add_item(pd, PVLENS_ITEM_U64, 0, off +
					      offsetof(struct pvlens_class_stats,
						       bytes),
					      "%s_bytes", d->classes[c]);
		if (!err)
			err = pvlens_add_item(pd, PVLENS_ITEM_U64, 0, off +
					      offsetof(struct pvlens_class_stats,
						       errors),
					      "%s_errors", d->classes[c]);
		if (!err)
			err = pvlens_add_hist_items(pd, off +
						    offsetof(struct pvlens_class_stats,
							     latency),
						    d->classes[c], "_latency");
		if (err)
			return err;
	}
	for (c = 0; c < d->nr_counters; c++) {
		err = pvlens_add_item(pd, PVLENS_ITEM_U64, 0,
				      offsetof(struct pvlens_cpu_stats,
					       counters[0]) + c * sizeof(u64),
				      "%s", d->counters[c]);
		if (err)
			return err;
	}
	return 0;
}

/* Names share a directory: a clash would make sysfs complain loudly. */
static int pvlens_check_names(struct pvlens_dev *pd)
{
	unsigned int i, j;

	for (i = 0; i < pd->nr_items; i++)
		for (j = i + 1; j < pd->nr_items; j++)
			if (!strcmp(pd->items[i].attr.name,
				    pd->items[j].attr.name))
				goto clash;
	for (i = 0; i < pd->nr_queues; i++) {
		for (j = 0; pvlens_dev_attrs[j]; j++)
			if (!strcmp(pd->queues[i].q.name,
				    pvlens_dev_attrs[j]->name))
				goto clash_queue;
		for (j = i + 1; j < pd->nr_queues; j++)
			if (!strcmp(pd->queues[i].q.name, pd->queues[j].q.name))
				goto clash_queue;
	}
	return 0;

clash:
	dev_err(pd->parent, "pvlens: two statistics named '%s'\n",
		pd->items[i].attr.name);
	return -EINVAL;
clash_queue:
	dev_err(pd->parent, "pvlens: queue name '%s' used twice\n",
		pd->queues[i].q.name);
	return -EINVAL;
}

static struct pvlens_dev *pvlens_dev_find(struct device *parent)
{
	struct pvlens_dev *pd;

	list_for_each_entry(pd, &pvlens_devs, node)
		if (pd->parent == parent)
			return pd;
	return NULL;
}

static void pvlens_debugfs_add(struct pvlens_dev *pd)
{
	struct dentry *dir;
	unsigned int i;

	/* debugfs is best effort: its failures never fail a probe. */
	pd->debugfs = debugfs_create_dir(dev_name(pd->parent),
					 pvlens_debugfs_root);
	for (i = 0; i < pd->nr_queues; i++) {
		struct pvlens_queue *q = &pd->queues[i].q;

		dir = debugfs_create_dir(q->name, pd->debugfs);
		debugfs_create_file("stats", 0444, dir, q, &pvlens_stats_fops);
		debugfs_create_file("histogram", 0444, dir, q,
				    &pvlens_histogram_fops);
	}
}

static void pvlens_queues_del(struct pvlens_dev *pd, unsigned int n)
{
	while (n--) {
		kobject_del(&pd->queues[n].kobj);
		kobject_put(&pd->queues[n].kobj);
	}
}

struct pvlens_dev *pvlens_dev_create(struct device *parent,
				     const struct pvlens_desc *desc,
				     unsigned int nr_queues,
				     const char * const *queue_names)
{
	struct pvlens_dev *pd;
	unsigned int i;
	int cpu, err;

	err = pvlens_check_desc(parent, desc, nr_queues, queue_names);
	if (err)
		return ERR_PTR(err);

	pd = pvlens_fault_null(kzalloc(sizeof(*pd), GFP_KERNEL));
	if (!pd)
		return ERR_PTR(-ENOMEM);
	/* From here on the release function frees whatever was allocated. */
	kobject_init(&pd->kobj, &pvlens_dev_ktype);
	pd->parent = parent;
	pd->desc = *desc;
	INIT_LIST_HEAD(&pd->node);

	err = -ENOMEM;
	pd->queues = pvlens_fault_null(kcalloc(nr_queues, sizeof(*pd->queues),
					       GFP_KERNEL));
	if (!pd->queues)
		goto out_put;
	pd->nr_queues = nr_queues;
	for (i = 0; i < nr_queues; i++) {
		struct pvlens_queue *q = &pd->queues[i].q;

		q->pcpu = pvlens_fault_null(alloc_percpu(struct pvlens_cpu_stats));
		if (!q->pcpu)
			goto out_put;
		for_each_possible_cpu(cpu)
			pvlens_cpu_stats_clear(per_cpu_ptr(q->pcpu, cpu));
		q->index = i;
		q->dev = pd;
		strscpy(q->name, queue_names[i], sizeof(q->name));
	}

	err = pvlens_build_items(pd);
	if (!err)
		err = pvlens_check_names(pd);
	if (err)
		goto out_put;
	pd->q_group.attrs = pd->q_attrs;
	pd->q_groups[0] = &pd->q_group;
	pd->q_ktype.release = pvlens_q_release;
	pd->q_ktype.sysfs_ops = &pvlens_q_sysfs_ops;
	pd->q_ktype.default_groups = pd->q_groups;

	mutex_lock(&pvlens_devs_lock);
	if (pvlens_dev_find(parent)) {
		dev_err(parent, "pvlens: statistics already registered\n");
		err = -EEXIST;
		goto out_unlock;
	}
	err = pvlens_fault_errno(kobject_add(&pd->kobj, &parent->kobj,
					     "pvlens"));
	if (err) {
		dev_err(parent, "pvlens: cannot add to sysfs: %d\n", err);
		goto out_unlock;
	}
	for (i = 0; i < nr_queues; i++) {
		struct pvlens_qobj *qo = &pd->queues[i];

		kobject_init(&qo->kobj, &pd->q_ktype);
		kobject_get(&pd->kobj);
		err = pvlens_fault_errno(kobject_add(&qo->kobj, &pd->kobj,
						     "%s", qo->q.name));
		if (err) {
			dev_err(parent, "pvlens: cannot add queue %s to sysfs: %d\n",
				qo->q.name, err);
			kobject_put(&qo->kobj);
			goto out_del_queues;
		}
	}
	pvlens_debugfs_add(pd);
	list_add(&pd->node, &pvlens_devs);
	mutex_unlock(&pvlens_devs_lock);
	return pd;

out_del_queues:
	pvlens_queues_del(pd, i);
	kobject_del(&pd->kobj);
out_unlock:
	mutex_unlock(&pvlens_devs_lock);
out_put:
	kobject_put(&pd->kobj);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(pvlens_dev_create);

void pvlens_dev_destroy(struct pvlens_dev *pd)
{
	if (IS_ERR_OR_NULL(pd))
		return;
	mutex_lock(&pvlens_devs_lock);
	list_del(&pd->node);
	mutex_unlock(&pvlens_devs_lock);
	/* Both removals wait for readers that are inside a show(). */
	debugfs_remove(pd->debugfs);
	pvlens_queues_del(pd, pd->nr_queues);
	kobject_del(&pd->kobj);
	kobject_put(&pd->kobj);
}
EXPORT_SYMBOL_GPL(pvlens_dev_destroy);

struct pvlens_queue *pvlens_dev_queue(struct pvlens_dev *pd, unsigned int index)
{
	if (WARN_ON_ONCE(index >= pd->nr_queues))
		return NULL;
	return &pd->queues[index].q;
}
EXPORT_SYMBOL_GPL(pvlens_dev_queue);

unsigned int pvlens_dev_nr_queues(const struct pvlens_dev *pd)
{
	return pd->nr_queues;
}
EXPORT_SYMBOL_GPL(pvlens_dev_nr_queues);

void pvlens_dev_reset(struct pvlens_dev *pd)
{
	unsigned int i;
	int cpu;

	/* Not atomic against concurrent updates: a racing sample may be lost. */
	for (i = 0; i < pd->nr_queues; i++) {
		struct pvlens_queue *q = &pd->queues[i].q;

		for_each_possible_cpu(cpu)
			pvlens_cpu_stats_clear(per_cpu_ptr(q->pcpu, cpu));
		WRITE_ONCE(q->max_inflight, READ_ONCE(q->inflight));
	}
}
EXPORT_SYMBOL_GPL(pvlens_dev_reset);

/* /sys/module/pvlens_core/parameters/timing: Y/N, flips the static key. */
static int pvlens_timing_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int err;

	err = kstrtobool(val ? val : "1", &on);
	if (err)
		return err;
	if (on)
		static_branch_enable(&pvlens_timing_key);
	else
		static_branch_disable(&pvlens_timing_key);
	return 0;
}

static int pvlens_timing_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n",
			  static_key_enabled(&pvlens_timing_key) ? 'Y' : 'N');
}

static const struct kernel_param_ops pvlens_timing_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = pvlens_timing_set,
	.get = pvlens_timing_get,
};
module_param_cb(timing, &pvlens_timing_ops, NULL, 0644);
MODULE_PARM_DESC(timing, "Record latencies and kick costs (default Y)");

/* clock=local_clock at load: never the TSC (see pvlens_now()). */
static bool pvlens_clock_forced_local;

#ifdef PVLENS_TSC_CLOCK
#define PVLENS_TSC_KHZ_MASK	GENMASK(25, 0)

/*
 * ns = cycles * mult >> shift with mult = 10^6 << shift / khz, the largest
 * shift (at most 32) that keeps mult in 32 bits (any khz >= 1 fits at 1):
 * that is the precision.  Packed as pvlens_tsc_conv describes.
 */
static u64 pvlens_tsc_conversion(unsigned int khz)
{
	unsigned int shift = 32;
	u64 mult;

	while ((mult = div_u64((u64)NSEC_PER_MSEC << shift, khz)) > U32_MAX)
		shift--;
	return mult << 32 | (u64)(khz & PVLENS_TSC_KHZ_MASK) << 6 | shift;
}

/*
 * tsc_khz changed since the conversion was made (the kernel refines its
 * first calibration about a second after boot): make it again.  The word
 * is written whole, so a reader never pairs one tsc_khz's mult with
 * another's check; racing writers each store a set that was right when
 * made, and the next change of tsc_khz is seen again.
 */
u64 pvlens_tsc_to_ns_slow(u64 cycles)
{
	unsigned int khz = READ_ONCE(tsc_khz);
	u64 conv;

	if (!khz)
		return 0;
	conv = pvlens_tsc_conversion(khz);
	WRITE_ONCE(pvlens_tsc_conv, conv);
	return mul_u64_u32_shr(cycles, conv >> 32, conv & 63);
}
EXPORT_SYMBOL_GPL(pvlens_tsc_to_ns_slow);

/*
 * The TSC is the clock if the kernel trusts it: calibrated, and neither
 * found unsynchronised between CPUs nor distrusted by the clocksource
 * watchdog so far.
 */
static void __init pvlens_clock_init(void)
{
	unsigned int khz = READ_ONCE(tsc_khz);

	if (pvlens_clock_forced_local || !boot_cpu_has(X86_FEATURE_TSC) ||
	    !khz || check_tsc_unstable())
		return;
	pvlens_tsc_conv = pvlens_tsc_conversion(khz);
	static_branch_enable(&pvlens_tsc_key);
}

static const char *pvlens_clock_name(void)
{
	return static_key_enabled(&pvlens_tsc_key) ? "tsc" : "local_clock";
}
#else
u64 pvlens_tsc_to_ns_slow(u64 cycles)
{
	return cycles;
}
EXPORT_SYMBOL_GPL(pvlens_tsc_to_ns_slow);

static void __init pvlens_clock_init(void)
{
}

static const char *pvlens_clock_name(void)
{
	return "local_clock";
}
#endif

/*
 * /sys/module/pvlens_core/parameters/clock: the clock in use; at load,
 * clock=auto (the default) or clock=local_clock to keep off the TSC.
 */
static int pvlens_clock_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "auto"))
		pvlens_clock_forced_local = false;
	else if (sysfs_streq(val, "local_clock"))
		pvlens_clock_forced_local = true;
	else
		return -EINVAL;
	return 0;
}

static int pvlens_clock_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", pvlens_clock_name());
}

static const struct kernel_param_ops pvlens_clock_ops = {
	.set = pvlens_clock_set,
	.get = pvlens_clock_get,
};
module_param_cb(clock, &pvlens_clock_ops, NULL, 0444);
MODULE_PARM_DESC(clock, "auto (the TSC where the kernel trusts it) or local_clock");

static int __init pvlens_core_init(void)
{
	pvlens_clock_init();
	pr_info("latencies timed with %s\n", pvlens_clock_name());
	pvlens_debugfs_root = debugfs_create_dir("pvlens", NULL);
	pvlens_fault_debugfs_init(pvlens_debugfs_root);
	return 0;
}

static void __exit pvlens_core_exit(void)
{
	debugfs_remove(pvlens_debugfs_root);
	pvlens_fault_debugfs_exit();
}

module_init(pvlens_core_init);
module_exit(pvlens_core_exit);

MODULE_DESCRIPTION("pvlens statistics core: per-virtqueue counters and latency histograms");
MODULE_AUTHOR("pvlens developers");
MODULE_LICENSE("GPL");
