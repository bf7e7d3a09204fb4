// SPDX-License-Identifier: GPL-2.0
/* pvlens hist DEV/QUEUE [CLASS]: log2 bar charts like bpftrace's hist(). */
#include "pvlens.h"

#include <string.h>

#define HIST_BAR	52

static void hist_bound(char *buf, size_t size, const struct pv_bucket *b)
{
	char lo[16], hi[16];

	pv_fmt_pow2(lo, sizeof(lo), b->lo);
	if (b->hi == ULLONG_MAX) {
		snprintf(buf, size, "[%s, ...)", lo);
	} else if (b->lo == b->hi) {
		snprintf(buf, size, "[%s]", lo);
	} else {
		pv_fmt_pow2(hi, sizeof(hi), b->hi + 1);
		snprintf(buf, size, "[%s, %s)", lo, hi);
	}
}

/* Non-empty range only, bars scaled to the fullest bucket. */
static void hist_chart(FILE *f, const struct pv_hist *h)
{
	unsigned int b, first = h->nr, last = 0;
	unsigned long long max = 0, total = 0;

	for (b = 0; b < h->nr; b++) {
		if (!h->b[b].count)
			continue;
		if (first == h->nr)
			first = b;
		last = b;
		total += h->b[b].count;
		if (h->b[b].count > max)
			max = h->b[b].count;
	}
	if (!total) {
		fprintf(f, "(no samples)\n");
		return;
	}
	for (b = first; b <= last; b++) {
		char bound[48], bar[HIST_BAR + 1];
		unsigned int n;

		hist_bound(bound, sizeof(bound), &h->b[b]);
		n = (unsigned int)((double)h->b[b].count * HIST_BAR / max);
		if (!n && h->b[b].count)
			n = 1;
		memset(bar, '@', n);
		memset(bar + n, ' ', HIST_BAR - n);
		bar[HIST_BAR] = '\0';
		fprintf(f, "%-20s %10llu |%s|\n", bound, h->b[b].count,
			bar);
	}
}

static void hist_summary(FILE *f, const struct pv_queue *q, const char *pfx,
			 bool ns)
{
	static const char * const names[] = {
		"count", "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns",
		"max_ns",
	};
	static const char * const labels[] = {
		"count", "min", "p50", "p90", "p99", "p99.9", "max",
	};
	char name[2 * PV_NAME_MAX], buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const struct pv_val *v;

		pv_path(name, sizeof(name), "%s_%s", pfx, names[i]);
		v = pv_qval(q, name);
		if (i && ns)
			pv_fmt_valns(buf, sizeof(buf), v);
		else
			pv_fmt_val(buf, sizeof(buf), v);
		fprintf(f, "%s%s %s", i ? "  " : "", labels[i], buf);
	}
	fputc('\n', f);
}

static void hist_one(const struct pv_ctx *ctx, const struct pv_dev *d,
		     const struct pv_queue *q, const char *name)
{
	bool batch = !strcmp(name, "kick_batch");
	char pfx[2 * PV_NAME_MAX];
	const struct pv_hist *h;

	if (!strcmp(name, "kick_cost") || batch)
		snprintf(pfx, sizeof(pfx), "%s", name);
	else
		snprintf(pfx, sizeof(pfx), "%s_latency", name);
	fprintf(ctx->out, "@%s%s[%s/%s]: ", batch ? "" : pfx,
		batch ? "kick_batch_requests" : "_ns", d->name, q->name);
	h = q->have_hists ? pv_qhist(q, name) : NULL;
	if (batch) {
		char kicks[32], ops[32];

		pv_fmt_val(kicks, sizeof(kicks), pv_qval(q, "kicks"));
		pv_fmt_val(ops, sizeof(ops), pv_qval(q, "kicked_ops"));
		fprintf(ctx->out, "kicks %s  kicked_ops %s\n", kicks, ops);
	} else {
		hist_summary(ctx->out, q, pfx, true);
	}
	if (h)
		hist_chart(ctx->out, h);
	else if (q->have_hists)
		fprintf(ctx->out, "(no histogram named %s)\n", name);
}

int pv_cmd_hist(const struct pv_ctx *ctx, int argc, char **argv)
{
	char sel[2 * PV_NAME_MAX], *slash;
	const char *cls = NULL;
	struct pv_queue *q;
	struct pv_dev *d;
	struct pv_snap s;
	unsigned int c;
	int ret;

	if (argc >= 2)
		snprintf(sel, sizeof(sel), "%s", argv[1]);
	/* After the copy: a name too long to fit loses its slash. */
	slash = argc >= 2 ? strchr(sel, '/') : NULL;
	if (argc < 2 || argc > 3 || !slash) {
		fprintf(ctx->err,
			"pvlens: usage: pvlens hist DEV/QUEUE [CLASS|kick_cost|kick_batch]\n");
		return PV_EXIT_USAGE;
	}
	if (argc == 3)
		cls = argv[2];
	*slash++ = '\0';
	if (pv_snap_load(ctx, &s, true)) {
		fprintf(ctx->err, "pvlens: out of memory\n");
		return PV_EXIT_ERR;
	}
	ret = pv_report_load_error(ctx, &s);
	if (ret)
		goto out;
	ret = PV_EXIT_ERR;
	d = pv_find_dev(&s, sel);
	if (!d) {
		fprintf(ctx->err,
			"pvlens: unknown device '%s' (pvlens list shows the devices)\n",
			sel);
		goto out;
	}
	q = pv_find_queue(d, slash);
	if (!q) {
		fprintf(ctx->err,
			"pvlens: device %s has no queue '%s' (pvlens list shows the queues)\n",
			d->name, slash);
		goto out;
	}
	if (cls && strcmp(cls, "kick_cost") && strcmp(cls, "kick_batch")) {
		for (c = 0; c < d->nr_classes; c++)
			if (!strcmp(d->classes[c], cls))
				break;
		if (c == d->nr_classes) {
			fprintf(ctx->err,
				"pvlens: device %s has no class '%s' (pvlens list shows the classes)\n",
				d->name, cls);
			goto out;
		}
	}
	if (s.debugfs == PV_DBG_NOACCESS) {
		fprintf(ctx->err,
			"pvlens: permission denied: %s/kernel/debug (the histogram needs root)\n",
			ctx->root);
		goto out;
	}
	if (s.debugfs == PV_DBG_UNMOUNTED)
		fprintf(ctx->err,
			"pvlens: debugfs not mounted at %s/kernel/debug (mount -t debugfs none /sys/kernel/debug): no histogram, percentiles from sysfs instead\n",
			ctx->root);
	else if (!q->have_hists)
		fprintf(ctx->err,
			"pvlens: no readable histogram under %s/kernel/debug/pvlens/%s/%s: percentiles from sysfs instead\n",
			ctx->root, d->id, q->name);
	ret = PV_EXIT_OK;
	if (cls) {
		hist_one(ctx, d, q, cls);
	} else {
		for (c = 0; c < d->nr_classes; c++) {
			if (c)
				fputc('\n', ctx->out);
			hist_one(ctx, d, q, d->classes[c]);
		}
		if (!d->nr_classes)
			hist_one(ctx, d, q, "kick_cost");
	}
	pv_warn_bad(ctx, &s);
out:
	pv_snap_free(&s);
	return ret;
}
