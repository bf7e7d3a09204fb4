// SPDX-License-Identifier: GPL-2.0
/* pvlens list and pvlens stat [DEV[/QUEUE]] [--json]. */
#include "pvlens.h"

#include <string.h>

int pv_cmd_list(const struct pv_ctx *ctx, int argc, char **argv)
{
	struct pv_snap s;
	unsigned int i, j;
	int ret;

	(void)argv;
	if (argc > 1) {
		fprintf(ctx->err, "pvlens: list takes no arguments\n");
		return PV_EXIT_USAGE;
	}
	if (pv_snap_load(ctx, &s, false)) {
		fprintf(ctx->err, "pvlens: out of memory\n");
		return PV_EXIT_ERR;
	}
	ret = pv_report_load_error(ctx, &s);
	if (ret)
		goto out;
	fprintf(ctx->out, "%-12s %-12s %-18s %-24s %s\n", "DEVICE", "ID",
		"DRIVER", "CLASSES", "QUEUES");
	for (i = 0; i < s.nr_devs; i++) {
		const struct pv_dev *d = &s.devs[i];
		char cls[256] = "-";
		size_t n = 0;

		for (j = 0; j < d->nr_classes && n < sizeof(cls); j++)
			n += snprintf(cls + n, sizeof(cls) - n, "%s%s",
				      j ? "," : "", d->classes[j]);
		fprintf(ctx->out, "%-12s %-12s %-18s %-24s", d->name, d->id,
			d->driver[0] ? d->driver : "-", cls);
		for (j = 0; j < d->nr_queues; j++)
			fprintf(ctx->out, "%s%s", j ? "," : "",
				d->queues[j].name);
		fprintf(ctx->out, "%s\n", d->nr_queues ? "" : "-");
	}
	fprintf(ctx->out, "CPUs with clock data:");
	for (i = 0; i < s.nr_cpus; i++)
		fprintf(ctx->out, " %u", s.cpus[i].cpu);
	if (!s.have_clock)
		fprintf(ctx->out, " none (pvlens_clock not loaded)");
	else
		fprintf(ctx->out, "%s (steal source: %s)", s.nr_cpus ? "" : " none",
			s.clock_source);
	fputc('\n', ctx->out);
	pv_warn_bad(ctx, &s);
out:
	pv_snap_free(&s);
	return ret;
}

/* "vda" or "vda/req.0" into the device and, optionally, the queue. */
static int stat_select(const struct pv_ctx *ctx, struct pv_snap *s,
		       const char *arg, struct pv_dev **dev,
		       struct pv_queue **queue)
{
	char name[2 * PV_NAME_MAX];
	char *slash;

	*dev = NULL;
	*queue = NULL;
	if (!arg)
		return 0;
	snprintf(name, sizeof(name), "%s", arg);
	slash = strchr(name, '/');
	if (slash)
		*slash++ = '\0';
	*dev = pv_find_dev(s, name);
	if (!*dev) {
		fprintf(ctx->err,
			"pvlens: unknown device '%s' (pvlens list shows the devices)\n",
			name);
		return PV_EXIT_ERR;
	}
	if (slash && *slash) {
		*queue = pv_find_queue(*dev, slash);
		if (!*queue) {
			fprintf(ctx->err,
				"pvlens: device %s has no queue '%s' (pvlens list shows the queues)\n",
				(*dev)->name, slash);
			return PV_EXIT_ERR;
		}
	}
	return 0;
}

static void stat_clock(const struct pv_ctx *ctx, const struct pv_snap *s)
{
	static const char * const drift[] = { "tsc", "realtime", "pvclock" };
	char name[32], a[32], b[32];
	unsigned int i;

	fprintf(ctx->out, "\nclock: steal source %s, clocksource %s",
		s->clock_source, s->clocksource);
	pv_fmt_sval(a, sizeof(a), pv_clockval(s, "tsc_stable"));
	pv_fmt_sval(b, sizeof(b), pv_clockval(s, "realtime_jumps"));
	fprintf(ctx->out, ", tsc_stable %s, realtime jumps %s\n", a, b);
	pv_fmt_valns(a, sizeof(a), pv_clockval(s, "drift_window_ns"));
	fprintf(ctx->out, "drift against CLOCK_MONOTONIC_RAW over %s:", a);
	for (i = 0; i < ARRAY_SIZE(drift); i++) {
		snprintf(name, sizeof(name), "drift_%s_ppb", drift[i]);
		pv_fmt_sval(a, sizeof(a), pv_clockval(s, name));
		fprintf(ctx->out, " %s %s ppb%s", drift[i], a,
			i + 1 < ARRAY_SIZE(drift) ? "," : "\n");
	}
}

static void stat_cpus(const struct pv_ctx *ctx, const struct pv_snap *s)
{
	static const char * const pct[] = {
		"steal_ppm_1s", "steal_ppm_10s", "steal_ppm_60s",
	};
	unsigned int i, j;

	if (s->have_clock)
		stat_clock(ctx, s);
	if (!s->nr_cpus)
		return;
	fprintf(ctx->out, "\n%-6s %12s %9s %9s %9s %10s\n", "CPU", "STEAL",
		"STEAL 1s", "10s", "60s", "PREEMPTED");
	for (i = 0; i < s->nr_cpus; i++) {
		const struct pv_cpu *c = &s->cpus[i];
		char buf[5][32];

		pv_fmt_valns(buf[0], sizeof(buf[0]), pv_cpuval(c, "steal_ns"));
		for (j = 0; j < ARRAY_SIZE(pct); j++)
			pv_fmt_ppm_pct(buf[j + 1], sizeof(buf[j + 1]),
				       pv_cpuval(c, pct[j]));
		pv_fmt_val(buf[4], sizeof(buf[4]),
			   pv_cpuval(c, "preempted_seen"));
		fprintf(ctx->out, "cpu%-3u %12s %9s %9s %9s %10s\n", c->cpu,
			buf[0], buf[1], buf[2], buf[3], buf[4]);
	}
}

static void stat_queue(const struct pv_ctx *ctx, const struct pv_dev *d,
		       const struct pv_queue *q)
{
	static const char * const qcols[] = {
		"kicks", "kicks_suppressed", "interrupts", "inflight",
	};
	char qname[2 * PV_NAME_MAX + 2], buf[4][32];
	unsigned int c, i, nr = d->nr_classes ? d->nr_classes : 1;

	snprintf(qname, sizeof(qname), "%s/%s", d->name, q->name);
	for (c = 0; c < nr; c++) {
		const char *cls = d->nr_classes ? d->classes[c] : NULL;
		char ops[32] = "-", bytes[32] = "-", errs[32] = "-";
		char p50[32] = "-", p99[32] = "-", max[32] = "-";
		const struct pv_val *v;

		for (i = 0; i < 4; i++) {
			if (c)
				buf[i][0] = '\0';
			else
				pv_fmt_val(buf[i], sizeof(buf[i]),
					   pv_qval(q, qcols[i]));
		}
		if (cls) {
			pv_fmt_val(ops, sizeof(ops), pv_qcval(q, cls, "ops"));
			v = pv_qcval(q, cls, "bytes");
			if (v && v->ok)
				pv_fmt_bytes(bytes, sizeof(bytes), v->v);
			pv_fmt_val(errs, sizeof(errs),
				   pv_qcval(q, cls, "errors"));
			/* Percentiles of an empty histogram read 0: not a time. */
			v = pv_qcval(q, cls, "latency_count");
			if (v && v->ok && v->v) {
				pv_fmt_valns(p50, sizeof(p50),
					     pv_qcval(q, cls, "latency_p50_ns"));
				pv_fmt_valns(p99, sizeof(p99),
					     pv_qcval(q, cls, "latency_p99_ns"));
				pv_fmt_valns(max, sizeof(max),
					     pv_qcval(q, cls, "latency_max_ns"));
			}
		}
		fprintf(ctx->out,
			"%-20s %10s %10s %10s %6s  %-10s %10s %10s %6s %9s %9s %9s\n",
			c ? "" : qname, buf[0], buf[1], buf[2], buf[3],
			cls ? cls : "-", ops, bytes, errs, p50, p99, max);
	}
}

static void stat_table(const struct pv_ctx *ctx, const struct pv_snap *s,
		       const struct pv_dev *dev, const struct pv_queue *queue)
{
	unsigned int i, j;

	fprintf(ctx->out,
		"%-20s %10s %10s %10s %6s  %-10s %10s %10s %6s %9s %9s %9s\n",
		"QUEUE", "KICKS", "SUPPRESSED", "IRQS", "INFL", "CLASS", "OPS",
		"BYTES", "ERRS", "P50", "P99", "MAX");
	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];

		if (dev && d != dev)
			continue;
		for (j = 0; j < d->nr_queues; j++)
			if (!queue || queue == &d->queues[j])
				stat_queue(ctx, d, &d->queues[j]);
	}
	if (!dev)
		stat_cpus(ctx, s);
	if (s->timing == 0)
		fprintf(ctx->out,
			"# timing is off (/sys/module/pvlens_core/parameters/timing): latencies are not recorded\n");
}

static void json_val(FILE *f, const char *key, const struct pv_val *v,
		     bool *first)
{
	fprintf(f, "%s", *first ? "" : ", ");
	*first = false;
	pv_json_str(f, key);
	if (v->ok)
		fprintf(f, ": %s%llu", v->neg ? "-" : "", v->v);
	else
		fprintf(f, ": null");
}

static void json_queue(FILE *f, const struct pv_dev *d,
		       const struct pv_queue *q)
{
	bool first = true;
	unsigned int c, i;

	fprintf(f, "{\"name\": ");
	pv_json_str(f, q->name);
	fprintf(f, ", \"stats\": {");
	for (i = 0; i < q->nr_vals; i++) {
		bool cls = false;

		/* Class values go under "classes", by class. */
		for (c = 0; c < d->nr_classes; c++) {
			size_t n = strlen(d->classes[c]);

			if (!strncmp(q->vals[i].name, d->classes[c], n) &&
			    q->vals[i].name[n] == '_' &&
			    pv_is_std_queue_val(d, q->vals[i].name))
				cls = true;
		}
		if (!cls)
			json_val(f, q->vals[i].name, &q->vals[i], &first);
	}
	fprintf(f, "}, \"classes\": {");
	for (c = 0; c < d->nr_classes; c++) {
		size_t n = strlen(d->classes[c]);

		fprintf(f, "%s", c ? ", " : "");
		pv_json_str(f, d->classes[c]);
		fprintf(f, ": {");
		first = true;
		for (i = 0; i < q->nr_vals; i++)
			if (!strncmp(q->vals[i].name, d->classes[c], n) &&
			    q->vals[i].name[n] == '_' &&
			    pv_is_std_queue_val(d, q->vals[i].name))
				json_val(f, q->vals[i].name + n + 1,
					 &q->vals[i], &first);
		fprintf(f, "}");
	}
	fprintf(f, "}}");
}

static void stat_json(const struct pv_ctx *ctx, const struct pv_snap *s,
		      const struct pv_dev *dev, const struct pv_queue *queue)
{
	FILE *f = ctx->out;
	bool first = true;
	unsigned int i, j;

	fprintf(f, "{\"version\": \"%s\", \"timing\": %s, \"devices\": [",
		PVLENS_VERSION, s->timing < 0 ? "null" :
		s->timing ? "true" : "false");
	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];
		bool qfirst = true;

		if (dev && d != dev)
			continue;
		fprintf(f, "%s\n  {\"name\": ", first ? "" : ",");
		first = false;
		pv_json_str(f, d->name);
		fprintf(f, ", \"id\": ");
		pv_json_str(f, d->id);
		fprintf(f, ", \"driver\": ");
		pv_json_str(f, d->driver);
		fprintf(f, ", \"queues\": [");
		for (j = 0; j < d->nr_queues; j++) {
			if (queue && queue != &d->queues[j])
				continue;
			fprintf(f, "%s\n    ", qfirst ? "" : ",");
			qfirst = false;
			json_queue(f, d, &d->queues[j]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "],\n \"cpus\": [");
	for (i = 0; i < s->nr_cpus && !dev; i++) {
		first = true;
		fprintf(f, "%s\n  {\"cpu\": %u, \"stats\": {", i ? "," : "",
			s->cpus[i].cpu);
		for (j = 0; j < s->cpus[i].nr_vals; j++)
			json_val(f, s->cpus[i].vals[j].name,
				 &s->cpus[i].vals[j], &first);
		fprintf(f, "}}");
	}
	fprintf(f, "],\n \"clock\": ");
	if (!s->have_clock || dev) {
		fprintf(f, "null}\n");
		return;
	}
	fprintf(f, "{\"source\": ");
	pv_json_str(f, s->clock_source);
	fprintf(f, ", \"clocksource\": ");
	pv_json_str(f, s->clocksource);
	first = false;
	for (i = 0; i < s->nr_clock; i++)
		json_val(f, s->clock[i].name, &s->clock[i], &first);
	fprintf(f, "}}\n");
}

int pv_cmd_stat(const struct pv_ctx *ctx, int argc, char **argv)
{
	struct pv_queue *queue;
	const char *sel = NULL;
	struct pv_dev *dev;
	bool json = false;
	struct pv_snap s;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else if (argv[i][0] != '-' && !sel) {
			sel = argv[i];
		} else {
			fprintf(ctx->err, "pvlens: stat: unexpected '%s'\n",
				argv[i]);
			return PV_EXIT_USAGE;
		}
	}
	if (pv_snap_load(ctx, &s, false)) {
		fprintf(ctx->err, "pvlens: out of memory\n");
		return PV_EXIT_ERR;
	}
	ret = pv_report_load_error(ctx, &s);
	if (!ret)
		ret = stat_select(ctx, &s, sel, &dev, &queue);
	if (ret)
		goto out;
	if (json)
		stat_json(ctx, &s, dev, queue);
	else
		stat_table(ctx, &s, dev, queue);
	pv_warn_bad(ctx, &s);
out:
	pv_snap_free(&s);
	return ret;
}
