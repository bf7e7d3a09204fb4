// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens top [-d SECONDS] [-n COUNT]: rates from the difference of two
 * snapshots, busiest queues first, steal per CPU on top.  In place with ANSI
 * on a terminal, periodic plain tables otherwise.
 */
#include "pvlens.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct top_row {
	char name[2 * PV_NAME_MAX + 2];
	double ops, bytes, kicks, suppressed, irqs, batch;
	unsigned long long inflight;
	bool have_lat, have_p99;
	unsigned long long avg_ns, p99_ns;
};

/* Lock-free, so safe to set from the signal handler. */
static atomic_bool top_stop;

static void top_signal(int sig)
{
	(void)sig;
	atomic_store(&top_stop, true);
}

/* Counter difference; a reset in between counts from zero. */
static unsigned long long top_delta(const struct pv_val *a, const struct pv_val *b)
{
	if (!b || !b->ok)
		return 0;
	if (!a || !a->ok || b->v < a->v)
		return b->v;
	return b->v - a->v;
}

/* The interval's percentile from bucket differences, like the core does. */
static unsigned long long top_hist_pct(const struct pv_hist *h,
				       const unsigned long long *delta,
				       unsigned long long total,
				       unsigned int per_mille)
{
	unsigned long long rank = (total * per_mille + 999) / 1000, seen = 0;
	unsigned int b;

	for (b = 0; b < h->nr; b++) {
		if (seen + delta[b] >= rank && delta[b]) {
			const struct pv_bucket *k = &h->b[b];
			double frac = (double)(rank - seen) / delta[b];

			if (k->hi == ULLONG_MAX)
				return k->lo;
			return k->lo + (unsigned long long)(frac * (k->hi - k->lo));
		}
		seen += delta[b];
	}
	return 0;
}

static void top_row_fill(const struct pv_dev *d, const struct pv_queue *pq,
			 const struct pv_queue *q, double secs,
			 struct top_row *r)
{
	unsigned long long delta[PV_HIST_MAX] = { 0 };
	unsigned long long ops = 0, bytes = 0, cnt = 0, sum = 0, kicks, kops;
	const struct pv_hist *shape = NULL;
	unsigned long long total = 0;
	unsigned int c, b;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s/%s", d->name, q->name);
	for (c = 0; c < d->nr_classes; c++) {
		const char *cls = d->classes[c];
		const struct pv_hist *h = pv_qhist(q, cls);
		const struct pv_hist *ph = pq ? pv_qhist(pq, cls) : NULL;

		ops += top_delta(pq ? pv_qcval(pq, cls, "ops") : NULL,
				 pv_qcval(q, cls, "ops"));
		bytes += top_delta(pq ? pv_qcval(pq, cls, "bytes") : NULL,
				   pv_qcval(q, cls, "bytes"));
		cnt += top_delta(pq ? pv_qcval(pq, cls, "latency_count") : NULL,
				 pv_qcval(q, cls, "latency_count"));
		sum += top_delta(pq ? pv_qcval(pq, cls, "latency_sum_ns") :
				 NULL, pv_qcval(q, cls, "latency_sum_ns"));
		/* All classes share the core's bucket bounds. */
		if (!h || !ph || h->nr != ph->nr ||
		    (shape && shape->nr != h->nr))
			continue;
		shape = h;
		for (b = 0; b < h->nr; b++) {
			unsigned long long dd = h->b[b].count >= ph->b[b].count ?
				      h->b[b].count - ph->b[b].count :
				      h->b[b].count;

			delta[b] += dd;
			total += dd;
		}
	}
	kicks = top_delta(pq ? pv_qval(pq, "kicks") : NULL,
			  pv_qval(q, "kicks"));
	kops = top_delta(pq ? pv_qval(pq, "kicked_ops") : NULL,
			 pv_qval(q, "kicked_ops"));
	r->ops = ops / secs;
	r->bytes = bytes / secs;
	r->kicks = kicks / secs;
	r->batch = kicks ? (double)kops / kicks : 0;
	r->suppressed = top_delta(pq ? pv_qval(pq, "kicks_suppressed") : NULL,
				  pv_qval(q, "kicks_suppressed")) / secs;
	r->irqs = top_delta(pq ? pv_qval(pq, "interrupts") : NULL,
			    pv_qval(q, "interrupts")) / secs;
	if (pv_qval(q, "inflight") && pv_qval(q, "inflight")->ok)
		r->inflight = pv_qval(q, "inflight")->v;
	if (cnt) {
		r->have_lat = true;
		r->avg_ns = sum / cnt;
	}
	if (shape && total) {
		r->have_p99 = true;
		r->p99_ns = top_hist_pct(shape, delta, total, 990);
	}
}

static int top_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->ops != y->ops)
		return x->ops < y->ops ? 1 : -1;
	if (x->irqs != y->irqs)
		return x->irqs < y->irqs ? 1 : -1;
	if (x->kicks != y->kicks)
		return x->kicks < y->kicks ? 1 : -1;
	return strverscmp(x->name, y->name);
}

static void top_render(const struct pv_ctx *ctx, const struct pv_snap *p,
		       const struct pv_snap *s, double secs, unsigned int rows)
{
	unsigned int i, j, nr = 0, lines = 3;
	double csecs = secs;
	struct top_row *r;
	char when[16];
	struct tm tm;
	time_t now;
	FILE *f = ctx->out;

	for (i = 0; i < s->nr_devs; i++)
		nr += s->devs[i].nr_queues;
	r = calloc(nr ? nr : 1, sizeof(*r));
	if (!r)
		return;
	nr = 0;
	for (i = 0; i < s->nr_devs; i++) {
		const struct pv_dev *d = &s->devs[i];
		struct pv_dev *pd = pv_find_dev((struct pv_snap *)p, d->id);

		for (j = 0; j < d->nr_queues; j++)
			top_row_fill(d, pd ? pv_find_queue(pd,
							   d->queues[j].name) :
				     NULL, &d->queues[j], secs, &r[nr++]);
	}
	qsort(r, nr, sizeof(*r), top_cmp);

	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (ctx->tty)
		fputs("\033[H\033[J", f);
	fprintf(f, "pvlens top - %s - interval %.1fs%s\n", when, secs,
		ctx->tty ? " - q to quit" : "");
	/* Same interval length, measured where the steal files were read. */
	if (s->cpu_t_ns > p->cpu_t_ns)
		csecs = (s->cpu_t_ns - p->cpu_t_ns) / 1e9;
	fprintf(f, "steal:");
	for (i = 0; i < s->nr_cpus; i++) {
		const struct pv_cpu *c = &s->cpus[i];
		const struct pv_cpu *pc = NULL;
		unsigned long long st;

		for (j = 0; j < p->nr_cpus; j++)
			if (p->cpus[j].cpu == c->cpu)
				pc = &p->cpus[j];
		st = top_delta(pc ? pv_cpuval(pc, "steal_ns") : NULL,
			       pv_cpuval(c, "steal_ns"));
		fprintf(f, "  cpu%u %5.1f%%", c->cpu, st / (csecs * 1e7));
	}
	fprintf(f, "%s\n", s->nr_cpus ? "" : " (no clock data: pvlens_clock not loaded)");
	fprintf(f, "%-22s %9s %9s %9s %9s %8s %9s %5s %9s %9s\n", "QUEUE",
		"OPS/s", "MB/s", "KICKS/s", "SUPPR/s", "OPS/KICK", "IRQS/s",
		"INFL", "AVG", "P99");
	for (i = 0; i < nr && (!rows || lines < rows); i++, lines++) {
		char avg[16] = "-", p99[16] = "-";

		if (r[i].have_lat)
			pv_fmt_ns(avg, sizeof(avg), r[i].avg_ns);
		if (r[i].have_p99)
			pv_fmt_ns(p99, sizeof(p99), r[i].p99_ns);
		fprintf(f,
			"%-22s %9.0f %9.2f %9.0f %9.0f %8.2f %9.0f %5llu %9s %9s\n",
			r[i].name, r[i].ops, r[i].bytes / 1e6, r[i].kicks,
			r[i].suppressed, r[i].batch, r[i].irqs, r[i].inflight,
			avg, p99);
	}
	if (!ctx->tty)
		fputc('\n', f);
	fflush(f);
	free(r);
}

static int top_parse(const struct pv_ctx *ctx, int argc, char **argv,
		     double *secs, long *count)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *end;

		if (i + 1 < argc && !strcmp(argv[i], "-d")) {
			*secs = strtod(argv[++i], &end);
			if (*end || *secs < 0.1 || *secs > 3600) {
				fprintf(ctx->err,
					"pvlens: top: -d wants seconds between 0.1 and 3600\n");
				return PV_EXIT_USAGE;
			}
		} else if (i + 1 < argc && !strcmp(argv[i], "-n")) {
			*count = strtol(argv[++i], &end, 10);
			if (*end || *count < 0) {
				fprintf(ctx->err,
					"pvlens: top: -n wants a count (0: forever)\n");
				return PV_EXIT_USAGE;
			}
		} else {
			fprintf(ctx->err, "pvlens: top: unexpected '%s'\n",
				argv[i]);
			return PV_EXIT_USAGE;
		}
	}
	return 0;
}

/* Sleeps @secs; false when the user asked to quit. */
static bool top_wait(double secs, bool keys)
{
	struct timespec end, now;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - (time_t)secs) * 1e9);
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (!atomic_load(&top_stop)) {
		long ms;
		char c;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		     (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return true;
		if (poll(&pfd, keys ? 1 : 0, ms) > 0 &&
		    read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
			return false;
	}
	return false;
}

int pv_cmd_top(const struct pv_ctx *ctx, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = top_signal };
	struct termios saved, raw;
	struct pv_snap prev, cur;
	bool keys = false;
	unsigned int rows = 0;
	struct winsize ws;
	double secs = 1, elapsed;
	long count = 0, n;
	int ret;

	ret = top_parse(ctx, argc, argv, &secs, &count);
	if (ret)
		return ret;
	/* Before the first read, which may take a while on a busy guest: an
	 * interrupt then still ends top cleanly, with status 0.
	 */
	atomic_store(&top_stop, false);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pv_snap_load(ctx, &prev, true)) {
		fprintf(ctx->err, "pvlens: out of memory\n");
		ret = PV_EXIT_ERR;
		goto restore_signals;
	}
	ret = pv_report_load_error(ctx, &prev);
	if (ret) {
		pv_snap_free(&prev);
		goto restore_signals;
	}
	pv_warn_bad(ctx, &prev);

	if (ctx->tty && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		keys = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (ctx->tty) {
		fputs("\033[?25l", ctx->out);
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row)
			rows = ws.ws_row;
	}
	for (n = 0; !count || n < count; n++) {
		if (!top_wait(secs, keys))
			break;
		if (pv_snap_load(ctx, &cur, true)) {
			ret = PV_EXIT_ERR;
			break;
		}
		elapsed = (cur.t_ns - prev.t_ns) / 1e9;
		top_render(ctx, &prev, &cur, elapsed > 0 ? elapsed : secs,
			   rows);
		pv_snap_free(&prev);
		prev = cur;
	}
	pv_snap_free(&prev);
	if (ctx->tty)
		fputs("\033[?25h", ctx->out);
	fflush(ctx->out);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
restore_signals:
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return ret;
}
