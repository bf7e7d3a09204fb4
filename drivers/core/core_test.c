// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_core_test: a device with known statistics, for selftests/core.
 *
 * Registers the root device "pvlens_test" with two queues (q0, q1), two
 * classes (read, write) and one counter (err_test), and feeds the core
 * through /sys/kernel/debug/pvlens_test/inject, one command per line:
 *
 *   op <q> <class> <latency_ns> <bytes> <err>   pvlens_op_done_latency()
 *   op_now <q> <class>                          pvlens_op_done(pvlens_now())
 *   op_sleep <q> <class> <us>                   the same with a sleep of <us>
 *                                               (at most 1 s) in between
 *   ops <q> <class> <latency_ns> <n>            pvlens_ops_latency()
 *   batch <q> <class> <lo_ns> <hi_ns> <n>       <n> ops (at most 1000) through
 *                                               pvlens_ops_count() and one
 *                                               pvlens_lat_batch, latencies
 *                                               spread evenly from lo to hi
 *   kick <q> <cost_ns> <batch>                  pvlens_kick_account()
 *   suppressed <q>                              a suppressed kick
 *   irq <q> <spurious>                          pvlens_interrupt()
 *   requeue <q>                                 pvlens_requeue()
 *   inflight <q> <+n|-n>                        pvlens_inflight_add/sub()
 *   count <q> <counter> <n>                     pvlens_count()
 *   create_dup                                  a second device on the same
 *                                               parent must get -EEXIST
 *   create_bad                                  a bad description must get
 *                                               -EINVAL
 *
 * <q> is a queue index, <class> and <counter> are names, <err> and
 * <spurious> are 0 or 1.  A write is parsed whole before anything is
 * applied: any malformed line fails it with -EINVAL and changes nothing.
 * /sys/kernel/debug/pvlens_test/readback shows what pvlens_queue_class_read()
 * and pvlens_queue_counter_read() return.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <pvlens/core.h>

#define PVLENS_TEST_QUEUES	2
#define PVLENS_TEST_MAX_WRITE	4096

static const char * const pvlens_test_classes[] = { "read", "write" };
static const char * const pvlens_test_counters[] = { "err_test" };
static const char * const pvlens_test_queue_names[] = { "q0", "q1" };

static const struct pvlens_desc pvlens_test_desc = {
	.classes = pvlens_test_classes,
	.nr_classes = ARRAY_SIZE(pvlens_test_classes),
	.counters = pvlens_test_counters,
	.nr_counters = ARRAY_SIZE(pvlens_test_counters),
};

enum pvlens_test_op {
	T_OP, T_OP_NOW, T_OP_SLEEP, T_OPS, T_BATCH, T_KICK, T_SUPPRESSED, T_IRQ, T_REQUEUE,
	T_INFLIGHT, T_COUNT, T_CREATE_DUP, T_CREATE_BAD,
};

static const struct {
	const char *name;
	unsigned int nr_args;
} pvlens_test_ops[] = {
	[T_OP] = { "op", 5 },
	[T_OP_NOW] = { "op_now", 2 },
	[T_OP_SLEEP] = { "op_sleep", 3 },
	[T_OPS] = { "ops", 4 },
	[T_BATCH] = { "batch", 5 },
	[T_KICK] = { "kick", 3 },
	[T_SUPPRESSED] = { "suppressed", 1 },
	[T_IRQ] = { "irq", 2 },
	[T_REQUEUE] = { "requeue", 1 },
	[T_INFLIGHT] = { "inflight", 2 },
	[T_COUNT] = { "count", 3 },
	[T_CREATE_DUP] = { "create_dup", 0 },
	[T_CREATE_BAD] = { "create_bad", 0 },
};

struct pvlens_test_cmd {
	enum pvlens_test_op op;
	struct pvlens_queue *q;
	unsigned int idx;	/* class or counter */
	u64 a, b, c;
	bool flag;
};

static struct device *pvlens_test_root;
static struct pvlens_dev *pvlens_test_pd;
static struct dentry *pvlens_test_dir;
/* Stands in for the virtqueue lock that inflight accounting needs. */
static DEFINE_SPINLOCK(pvlens_test_lock);

static int pvlens_test_bool(const char *tok, bool *out)
{
	if (!strcmp(tok, "0"))
		*out = false;
	else if (!strcmp(tok, "1"))
		*out = true;
	else
		return -EINVAL;
	return 0;
}

static int pvlens_test_u64(const char *tok, u64 *out)
{
	/* kstrtou64() takes a leading '+'; digits only here. */
	if (!isdigit(*tok))
		return -EINVAL;
	return kstrtou64(tok, 10, out);
}

static int pvlens_test_parse(char *line, struct pvlens_test_cmd *cmd)
{
	char *tok[6];
	unsigned int n = 0, k;
	int i, err = 0;
	u64 v;

	while (line) {
		if (n == ARRAY_SIZE(tok))
			return -EINVAL;
		tok[n] = strsep(&line, " ");
		if (!*tok[n])
			return -EINVAL;	/* leading, trailing or double space */
		n++;
	}
	i = -1;
	for (k = 0; k < ARRAY_SIZE(pvlens_test_ops); k++)
		if (!strcmp(tok[0], pvlens_test_ops[k].name))
			i = k;
	if (i < 0 || n != pvlens_test_ops[i].nr_args + 1)
		return -EINVAL;
	cmd->op = i;
	if (n == 1)
		return 0;

	err = pvlens_test_u64(tok[1], &v);
	if (err || v >= PVLENS_TEST_QUEUES)
		return -EINVAL;
	cmd->q = pvlens_dev_queue(pvlens_test_pd, v);

	switch (cmd->op) {
	case T_OP:
	case T_OP_NOW:
	case T_OP_SLEEP:
	case T_OPS:
	case T_BATCH:
		i = match_string(pvlens_test_classes,
				 ARRAY_SIZE(pvlens_test_classes), tok[2]);
		if (i < 0)
			return -EINVAL;
		cmd->idx = i;
		if (cmd->op == T_OP)
			err = pvlens_test_u64(tok[3], &cmd->a) ?:
			      pvlens_test_u64(tok[4], &cmd->b) ?:
			      pvlens_test_bool(tok[5], &cmd->flag);
		if (cmd->op == T_OP_SLEEP) {
			err = pvlens_test_u64(tok[3], &cmd->a);
			if (!err && cmd->a > USEC_PER_SEC)
				err = -EINVAL;
		}
		if (cmd->op == T_BATCH) {
			err = pvlens_test_u64(tok[3], &cmd->a) ?:
			      pvlens_test_u64(tok[4], &cmd->b) ?:
			      pvlens_test_u64(tok[5], &cmd->c);
			if (!err && (cmd->a > cmd->b || cmd->c > 1000))
				err = -EINVAL;
		}
		if (cmd->op == T_OPS) {
			err = pvlens_test_u64(tok[3], &cmd->a) ?:
			      pvlens_test_u64(tok[4], &cmd->b);
			if (!err && cmd->b > UINT_MAX)
				err = -EINVAL;
		}
		break;
	case T_KICK:
		err = pvlens_test_u64(tok[2], &cmd->a) ?:
		      pvlens_test_u64(tok[3], &cmd->b);
		if (!err && cmd->b > UINT_MAX)
			err = -EINVAL;
		break;
	case T_IRQ:
		err = pvlens_test_bool(tok[2], &cmd->flag);
		break;
	case T_INFLIGHT:
		/* flag: add */
		if (tok[2][0] != '+' && tok[2][0] != '-')
			return -EINVAL;
		cmd->flag = tok[2][0] == '+';
		err = pvlens_test_u64(tok[2] + 1, &cmd->a);
		if (!err && cmd->a > UINT_MAX)
			err = -EINVAL;
		break;
	case T_COUNT:
		i = match_string(pvlens_test_counters,
				 ARRAY_SIZE(pvlens_test_counters), tok[2]);
		if (i < 0)
			return -EINVAL;
		cmd->idx = i;
		err = pvlens_test_u64(tok[3], &cmd->a);
		break;
	default:
		break;
	}
	return err ? -EINVAL : 0;
}

static int pvlens_test_create_expect(const struct pvlens_desc *desc,
				     long want)
{
	struct pvlens_dev *pd;

	pd = pvlens_dev_create(pvlens_test_root, desc, PVLENS_TEST_QUEUES,
			       pvlens_test_queue_names);
	if (PTR_ERR(pd) == want)
		return 0;
	/* Also a no-op for ERR_PTR(). */
	pvlens_dev_destroy(pd);
	return -EIO;
}

/* As a driver's completion loop would: with bottom halves off. */
static void pvlens_test_batch(const struct pvlens_test_cmd *cmd)
{
	struct pvlens_lat_batch lat;
	unsigned int i, n = cmd->c;

	pvlens_lat_batch_init(&lat);
	local_bh_disable();
	for (i = 0; i < n; i++)
		pvlens_lat_batch_add(cmd->q, cmd->idx, &lat, n == 1 ? cmd->a :
				     cmd->a + mul_u64_u64_div_u64(cmd->b - cmd->a,
								  i, n - 1));
	if (n)
		pvlens_ops_count(cmd->q, cmd->idx, n, 0);
	pvlens_lat_batch_flush(cmd->q, cmd->idx, &lat);
	local_bh_enable();
}

static int pvlens_test_apply(const struct pvlens_test_cmd *cmd)
{
	struct pvlens_desc bad = pvlens_test_desc;
	struct pvlens_queue *q = cmd->q;
	u64 start;

	switch (cmd->op) {
	case T_OP:
		pvlens_op_done_latency(q, cmd->idx, cmd->b, cmd->a, cmd->flag);
		break;
	case T_OP_NOW:
		pvlens_op_done(q, cmd->idx, 0, pvlens_now(), false);
		break;
	case T_OP_SLEEP:
		/* A known span for the clock's conversion to ns. */
		start = pvlens_now();
		fsleep(cmd->a);
		pvlens_op_done(q, cmd->idx, 0, start, false);
		break;
	case T_OPS:
		pvlens_ops_latency(q, cmd->idx, cmd->a, cmd->b);
		break;
	case T_BATCH:
		pvlens_test_batch(cmd);
		break;
	case T_KICK:
		pvlens_kick_account(q, cmd->b, cmd->a);
		break;
	case T_SUPPRESSED:
		this_cpu_inc(q->pcpu->kicks_suppressed);
		break;
	case T_IRQ:
		pvlens_interrupt(q, cmd->flag);
		break;
	case T_REQUEUE:
		pvlens_requeue(q);
		break;
	case T_INFLIGHT:
		spin_lock(&pvlens_test_lock);
		if (cmd->flag)
			pvlens_inflight_add(q, cmd->a);
		else
			pvlens_inflight_sub(q, cmd->a);
		spin_unlock(&pvlens_test_lock);
		break;
	case T_COUNT:
		pvlens_count(q, cmd->idx, cmd->a);
		break;
	case T_CREATE_DUP:
		return pvlens_test_create_expect(&pvlens_test_desc, -EEXIST);
	case T_CREATE_BAD:
		bad.nr_classes = PVLENS_MAX_CLASSES + 1;
		return pvlens_test_create_expect(&bad, -EINVAL);
	}
	return 0;
}

static ssize_t pvlens_test_inject_write(struct file *file,
					const char __user *ubuf, size_t len,
					loff_t *ppos)
{
	struct pvlens_test_cmd *cmds;
	unsigned int n = 0, i;
	char *buf, *cur, *line;
	int err = 0;

	if (!len || len > PVLENS_TEST_MAX_WRITE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* At most one command per two bytes ("x\n"). */
	cmds = kcalloc(len / 2 + 1, sizeof(*cmds), GFP_KERNEL);
	if (!cmds) {
		err = -ENOMEM;
		goto out_free_buf;
	}

	cur = buf;
	if (buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	while (cur && !err) {
		line = strsep(&cur, "\n");
		err = pvlens_test_parse(line, &cmds[n++]);
	}
	for (i = 0; i < n && !err; i++)
		err = pvlens_test_apply(&cmds[i]);

	kfree(cmds);
out_free_buf:
	kfree(buf);
	return err ? err : len;
}

static const struct file_operations pvlens_test_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvlens_test_inject_write,
	.llseek = no_llseek,
};

static int pvlens_test_readback_show(struct seq_file *m, void *v)
{
	struct pvlens_class_stats *cs;
	unsigned int i, c;

	cs = kmalloc(sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	for (i = 0; i < PVLENS_TEST_QUEUES; i++) {
		struct pvlens_queue *q = pvlens_dev_queue(pvlens_test_pd, i);

		for (c = 0; c < ARRAY_SIZE(pvlens_test_classes); c++) {
			pvlens_queue_class_read(q, c, cs);
			seq_printf(m, "%s %s %llu %llu %llu %llu %llu %llu %llu\n",
				   q->name, pvlens_test_classes[c], cs->ops,
				   cs->bytes, cs->errors, cs->latency.count,
				   cs->latency.sum,
				   cs->latency.count ? cs->latency.min : 0,
				   cs->latency.max);
		}
		for (c = 0; c < ARRAY_SIZE(pvlens_test_counters); c++)
			seq_printf(m, "%s %s %llu\n", q->name,
				   pvlens_test_counters[c],
				   pvlens_queue_counter_read(q, c));
	}
	kfree(cs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvlens_test_readback);

static int __init pvlens_test_init(void)
{
	int err;

	pvlens_test_root = root_device_register("pvlens_test");
	if (IS_ERR(pvlens_test_root))
		return PTR_ERR(pvlens_test_root);

	pvlens_test_pd = pvlens_dev_create(pvlens_test_root, &pvlens_test_desc,
					   PVLENS_TEST_QUEUES,
					   pvlens_test_queue_names);
	if (IS_ERR(pvlens_test_pd)) {
		err = PTR_ERR(pvlens_test_pd);
		goto out_unregister;
	}
	if (pvlens_dev_nr_queues(pvlens_test_pd) != PVLENS_TEST_QUEUES) {
		err = -EINVAL;
		goto out_destroy;
	}

	pvlens_test_dir = debugfs_create_dir("pvlens_test", NULL);
	debugfs_create_file("inject", 0200, pvlens_test_dir, NULL,
			    &pvlens_test_inject_fops);
	debugfs_create_file("readback", 0444, pvlens_test_dir, NULL,
			    &pvlens_test_readback_fops);
	return 0;

out_destroy:
	pvlens_dev_destroy(pvlens_test_pd);
out_unregister:
	root_device_unregister(pvlens_test_root);
	return err;
}

static void __exit pvlens_test_exit(void)
{
	/* No writer can be inside inject once this returns. */
	debugfs_remove(pvlens_test_dir);
	pvlens_dev_destroy(pvlens_test_pd);
	root_device_unregister(pvlens_test_root);
}

module_init(pvlens_test_init);
module_exit(pvlens_test_exit);

MODULE_DESCRIPTION("pvlens_core test device fed through debugfs");
MODULE_AUTHOR("pvlens developers");
MODULE_LICENSE("GPL");
