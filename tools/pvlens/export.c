// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens export: Prometheus text exposition format 0.0.4, for
 * node_exporter's textfile collector.  Times in seconds, counters end in
 * _total, latency histograms are cumulative _bucket{le} series.
 */
#include "pvlens.h"

#include <string.h>

struct exp_metric {
	const char *name;	/* sysfs name (or class suffix) */
	const char *family;
	const char *type;
	const char *help;
};

static const struct exp_metric exp_queue[] = {
	{ "kicks", "pvlens_kicks_total", "counter",
	  "Notifications sent to the device; each one is a VM exit." },
	{ "kicks_suppressed", "pvlens_kicks_suppressed_total", "counter",
	  "Notifications the device said it did not need (no VM exit)." },
	{ "kicked_ops", "pvlens_kicked_ops_total", "counter",
	  "Requests carried by the notifications." },
	{ "interrupts", "pvlens_interrupts_total", "counter",
	  "Virtqueue callbacks (interrupts injected by the host)." },
	{ "spurious_interrupts", "pvlens_spurious_interrupts_total", "counter",
	  "Virtqueue callbacks that found nothing used." },
	{ "requeues", "pvlens_requeues_total", "counter",
	  "Requests handed back because the ring was full or busy." },
	{ "inflight", "pvlens_inflight", "gauge",
	  "Requests given to the device and not yet completed." },
	{ "max_inflight", "pvlens_max_inflight", "gauge",
	  "Highest inflight since load or reset." },
};

static const struct exp_metric exp_class[] = {
	{ "ops", "pvlens_ops_total", "counter",
	  "Completed operations of this class." },
	{ "bytes", "pvlens_bytes_total", "counter",
	  "Bytes carried by the completed operations." },
	{ "errors", "pvlens_errors_total", "counter",
	  "Completed operations that ended with an error." },
};

static void exp_header(FILE *f, const char *family, const char *type,
		       const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", family, help, family, type);
}

/* {device="vda",queue="req.0"[,class="read"][,le="..."]} */
static void exp_labels(FILE *f, const struct pv_dev *d,
		       const struct pv_queue *q, const char *cls,
		       const char *le)
{
	fputs("{device=", f);
	pv_prom_label(f, d->name);
	fputs(",queue=", f);
	pv_prom_label(f, q->name);
	if (cls) {
		fputs(",class=", f);
		pv_prom_label(f, cls);
	}
	if (le) {
		fputs(",le=", f);
		pv_prom_label(f, le);
	}
	fputc('}', f);
}

/*
 * One histogram series.  _count is the +Inf bucket, so the two always agree
 * even when an operation completes between reading sysfs and debugfs.
 * @seconds: bounds and sum are ns, exported in seconds.
 */
static void exp_hist_series(FILE *f, const char *family,
			    const struct pv_dev *d, const struct pv_queue *q,
			    const char *cls, const struct pv_hist *h,
			    const struct pv_val *count, unsigned long long sum,
			    bool seconds)
{
	unsigned long long cum = 0;
	char le[32];
	unsigned int b;

	for (b = 0; h && b < h->nr; b++) {
		cum += h->b[b].count;
		if (h->b[b].hi == ULLONG_MAX)
			break;
		if (seconds)
			pv_fmt_seconds(le, sizeof(le), h->b[b].hi);
		else
			snprintf(le, sizeof(le), "%llu", h->b[b].hi);
		fprintf(f, "%s_bucket", family);
		exp_labels(f, d, q, cls, le);
		fprintf(f, " %llu\n", cum);
	}
	/* Without the debugfs histogram: only what sysfs knows. */
	if (!h)
		cum = count->v;
	fprintf(f, "%s_bucket", family);
	exp_labels(f, d, q, cls, "+Inf");
	fprintf(f, " %llu\n", cum);
	fprintf(f, "%s_sum", family);
	exp_labels(f, d, q, cls, NULL);
	if (seconds) {
		pv_fmt_seconds(le, sizeof(le), sum);
		fprintf(f, " %s\n", le);
	} else {
		fprintf(f, " %llu\n", sum);
	}
	fprintf(f, "%s_count", family);
	exp_labels(f, d, q, cls, NULL);
	fprintf(f, " %llu\n", cum);
}

/*
 * A histogram is complete when its debugfs buckets end in "inf", or, without
 * debugfs, when sysfs has its count; its sum must be readable either way.
 */
static const struct pv_hist *exp_hist_get(const struct pv_queue *q,
					  const char *name,
					  const struct pv_val *count,
					  const struct pv_val *sum, bool *ok)
{
	const struct pv_hist *h = q->have_hists ? pv_qhist(q, name) : NULL;

	*ok = sum && sum->ok;
	if (h && (!h->nr || h->b[h->nr - 1].hi != ULLONG_MAX))
		h = NULL;
	if (!h && (!count || !count->ok))
		*ok = false;
	return h;
}

static void exp_latency(FILE *f, const struct pv_snap *s, bool kick_cost)
{
	const char *family = kick_cost ? "pvlens_kick_cost_seconds" :
				      "pvlens_latency_seconds";
	const char *help = kick_cost ?
		"Time spent notifying the device (one VM exit each)." :
		"Submission-to-completion latency of an operation.";
	bool header = false;
	unsigned int i, j, c;

	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];

		for (j = 0; j < d->nr_queues; j++) {
			const struct pv_queue *q = &d->queues[j];
			unsigned int nr = kick_cost ? 1 : d->nr_classes;

			for (c = 0; c < nr; c++) {
				const char *cls = kick_cost ? NULL :
						  d->classes[c];
				const char *hn = cls ? cls : "kick_cost";
				const struct pv_val *cnt, *sum;
				const struct pv_hist *h;
				bool ok;

				cnt = cls ? pv_qcval(q, cls, "latency_count") :
				      pv_qval(q, "kick_cost_count");
				sum = cls ? pv_qcval(q, cls, "latency_sum_ns") :
				      pv_qval(q, "kick_cost_sum_ns");
				h = exp_hist_get(q, hn, cnt, sum, &ok);
				if (!ok)
					continue;
				if (!header)
					exp_header(f, family, "histogram",
						   help);
				header = true;
				exp_hist_series(f, family, d, q, cls, h, cnt,
						sum->v, true);
			}
		}
	}
}

static void exp_batch(FILE *f, const struct pv_snap *s)
{
	bool header = false;
	unsigned int i, j;

	for (i = 0; i < s->nr_devs; i++) {
		for (j = 0; j < s->devs[i].nr_queues; j++) {
			const struct pv_queue *q = &s->devs[i].queues[j];
			const struct pv_val *kicks = pv_qval(q, "kicks");
			const struct pv_val *ops = pv_qval(q, "kicked_ops");
			const struct pv_hist *h;
			bool ok;

			h = exp_hist_get(q, "kick_batch", kicks, ops, &ok);
			if (!ok)
				continue;
			if (!header)
				exp_header(f, "pvlens_kick_batch", "histogram",
					   "Requests carried per notification.");
			header = true;
			exp_hist_series(f, "pvlens_kick_batch", &s->devs[i], q,
					NULL, h, kicks, ops->v, false);
		}
	}
}

static void exp_simple(FILE *f, const struct pv_snap *s,
		       const struct exp_metric *m, bool per_class)
{
	bool header = false;
	unsigned int i, j, c;

	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];

		for (j = 0; j < d->nr_queues; j++) {
			const struct pv_queue *q = &d->queues[j];
			unsigned int nr = per_class ? d->nr_classes : 1;

			for (c = 0; c < nr; c++) {
				const char *cls = per_class ? d->classes[c] :
						  NULL;
				const struct pv_val *v;

				v = cls ? pv_qcval(q, cls, m->name) :
				    pv_qval(q, m->name);
				if (!v || !v->ok)
					continue;
				if (!header)
					exp_header(f, m->family, m->type,
						   m->help);
				header = true;
				fputs(m->family, f);
				exp_labels(f, d, q, cls, NULL);
				fprintf(f, " %llu\n", v->v);
			}
		}
	}
}

/* Driver-specific counters: one family per name, all devices. */
static void exp_driver_counters(FILE *f, const struct pv_snap *s)
{
	char done[PV_MAX_VALS][PV_NAME_MAX];
	unsigned int nr_done = 0, i, j, k, n;

	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];

		for (j = 0; j < d->nr_queues; j++) {
			const struct pv_queue *q = &d->queues[j];

			for (k = 0; k < q->nr_vals; k++) {
				const char *name = q->vals[k].name;
				char family[PV_NAME_MAX + 32];
				struct exp_metric m;
				char *p;

				if (pv_is_std_queue_val(d, name))
					continue;
				for (n = 0; n < nr_done; n++)
					if (!strcmp(done[n], name))
						break;
				if (n < nr_done || nr_done >= PV_MAX_VALS)
					continue;
				strcpy(done[nr_done++], name);
				snprintf(family, sizeof(family),
					 "pvlens_driver_%s_total", name);
				/* Prometheus names: [a-zA-Z0-9_] only. */
				for (p = family; *p; p++)
					if (*p == '.' || *p == '-' || *p == ':')
						*p = '_';
				m.name = name;
				m.family = family;
				m.type = "counter";
				m.help = "Driver-specific event counter.";
				exp_simple(f, s, &m, false);
			}
		}
	}
}

/* One family, one sample per CPU that has @file. */
static void exp_cpu_family(FILE *f, const struct pv_snap *s,
			   const char *file, const char *family,
			   const char *type, const char *help,
			   const char *window, int digits)
{
	bool header = false;
	char buf[48];
	unsigned int i;

	for (i = 0; i < s->nr_cpus; i++) {
		const struct pv_val *v = pv_cpuval(&s->cpus[i], file);

		if (!v || !v->ok || v->neg)
			continue;
		if (!header)
			exp_header(f, family, type, help);
		header = true;
		pv_fmt_scaled(buf, sizeof(buf), false, v->v, digits);
		fprintf(f, "%s{cpu=\"%u\"", family, s->cpus[i].cpu);
		if (window)
			fprintf(f, ",window=\"%s\"", window);
		fprintf(f, "} %s\n", buf);
	}
}

static void exp_cpus(FILE *f, const struct pv_snap *s)
{
	static const char * const windows[] = { "1s", "10s", "60s" };
	const char *help = "Share of the window this vCPU was runnable but not running (steal).";
	bool header = false;
	char file[32], buf[48];
	unsigned int i, w;

	exp_cpu_family(f, s, "steal_ns", "pvlens_steal_seconds_total",
		       "counter",
		       "Time this vCPU was runnable but the host ran something else.",
		       NULL, 9);
	/* Three windows of one gauge: one family, samples grouped. */
	for (i = 0; i < s->nr_cpus; i++) {
		for (w = 0; w < ARRAY_SIZE(windows); w++) {
			const struct pv_val *v;

			snprintf(file, sizeof(file), "steal_ppm_%s",
				 windows[w]);
			v = pv_cpuval(&s->cpus[i], file);
			if (!v || !v->ok || v->neg)
				continue;
			if (!header)
				exp_header(f, "pvlens_steal_ratio", "gauge",
					   help);
			header = true;
			/* The files hold parts per million. */
			pv_fmt_scaled(buf, sizeof(buf), false, v->v, 6);
			fprintf(f, "pvlens_steal_ratio{cpu=\"%u\",window=\"%s\"} %s\n",
				s->cpus[i].cpu, windows[w], buf);
		}
	}
	exp_cpu_family(f, s, "preempted_seen",
		       "pvlens_vcpu_preempted_seen_total", "counter",
		       "Samples that found this vCPU marked preempted by the host.",
		       NULL, 0);
}

static void exp_clock(FILE *f, const struct pv_snap *s)
{
	static const char * const drift[] = { "tsc", "realtime", "pvclock" };
	const struct pv_val *v;
	bool header = false;
	char name[32], buf[48];
	unsigned int i;

	if (!s->have_clock)
		return;
	exp_header(f, "pvlens_clock_info", "gauge",
		   "The guest's steal-time source and current clocksource.");
	fputs("pvlens_clock_info{source=", f);
	pv_prom_label(f, s->clock_source);
	fputs(",clocksource=", f);
	pv_prom_label(f, s->clocksource);
	fputs("} 1\n", f);
	v = pv_clockval(s, "tsc_stable");
	if (v && v->ok) {
		exp_header(f, "pvlens_clock_tsc_stable", "gauge",
			   "1 when the kernel trusts the TSC.");
		fprintf(f, "pvlens_clock_tsc_stable %s%llu\n",
			v->neg ? "-" : "", v->v);
	}
	for (i = 0; i < ARRAY_SIZE(drift); i++) {
		snprintf(name, sizeof(name), "drift_%s_ppb", drift[i]);
		v = pv_clockval(s, name);
		if (!v || !v->ok)
			continue;
		if (!header)
			exp_header(f, "pvlens_clock_drift_ratio", "gauge",
				   "Rate of a clock against CLOCK_MONOTONIC_RAW, minus 1.");
		header = true;
		pv_fmt_scaled(buf, sizeof(buf), v->neg, v->v, 9);
		fprintf(f, "pvlens_clock_drift_ratio{clock=\"%s\"} %s\n",
			drift[i], buf);
	}
	v = pv_clockval(s, "realtime_jumps");
	if (v && v->ok && !v->neg) {
		exp_header(f, "pvlens_clock_realtime_jumps_total", "counter",
			   "Steps of CLOCK_REALTIME (settimeofday, NTP steps).");
		fprintf(f, "pvlens_clock_realtime_jumps_total %llu\n", v->v);
	}
}

static void exp_all(const struct pv_ctx *ctx, const struct pv_snap *s)
{
	FILE *f = ctx->out;
	unsigned int i;

	if (s->nr_devs)
		exp_header(f, "pvlens_device_info", "gauge",
			   "A device driven by a pvlens driver.");
	for (i = 0; i < s->nr_devs; i++) {
		fputs("pvlens_device_info{device=", f);
		pv_prom_label(f, s->devs[i].name);
		fputs(",id=", f);
		pv_prom_label(f, s->devs[i].id);
		fputs(",driver=", f);
		pv_prom_label(f, s->devs[i].driver);
		fputs("} 1\n", f);
	}
	if (s->timing >= 0) {
		exp_header(f, "pvlens_timing_enabled", "gauge",
			   "1 when latency and kick-cost timing is on.");
		fprintf(f, "pvlens_timing_enabled %d\n", s->timing);
	}
	for (i = 0; i < ARRAY_SIZE(exp_queue); i++)
		exp_simple(f, s, &exp_queue[i], false);
	exp_latency(f, s, true);
	exp_batch(f, s);
	for (i = 0; i < ARRAY_SIZE(exp_class); i++)
		exp_simple(f, s, &exp_class[i], true);
	exp_latency(f, s, false);
	exp_driver_counters(f, s);
	exp_cpus(f, s);
	exp_clock(f, s);
}

int pv_cmd_export(const struct pv_ctx *ctx, int argc, char **argv)
{
	struct pv_snap s;
	int ret;

	(void)argv;
	if (argc > 1) {
		fprintf(ctx->err, "pvlens: export takes no arguments\n");
		return PV_EXIT_USAGE;
	}
	if (pv_snap_load(ctx, &s, true)) {
		fprintf(ctx->err, "pvlens: out of memory\n");
		return PV_EXIT_ERR;
	}
	ret = pv_report_load_error(ctx, &s);
	if (ret)
		goto out;
	if (s.debugfs == PV_DBG_NOACCESS) {
		fprintf(ctx->err,
			"pvlens: permission denied: %s/kernel/debug (histograms need root)\n",
			ctx->root);
		ret = PV_EXIT_ERR;
		goto out;
	}
	if (s.debugfs != PV_DBG_OK && s.nr_devs)
		fprintf(ctx->err,
			"pvlens: warning: %s %s/kernel/debug%s: histograms carry only their +Inf bucket\n",
			s.debugfs == PV_DBG_UNMOUNTED ? "debugfs not mounted at" :
			"no pvlens directory in", ctx->root,
			s.debugfs == PV_DBG_UNMOUNTED ? "" : "/pvlens");
	exp_all(ctx, &s);
	pv_warn_bad(ctx, &s);
out:
	pv_snap_free(&s);
	return ret;
}
