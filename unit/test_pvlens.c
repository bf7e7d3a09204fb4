// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pvlens command: parsers, formatting, the snapshot
 * of fixture trees (unit/fixtures/basic, unit/fixtures/broken, and huge
 * files made here), the exact output of every subcommand on a fixture, and
 * pvlens export checked by a strict exposition-format parser.
 */
#define _GNU_SOURCE
#define PVLENS_NO_MAIN
#include "../tools/pvlens/pvlens.h"
#include "../tools/pvlens/fmt.c"
#include "../tools/pvlens/model.c"
#include "../tools/pvlens/stat.c"
#include "../tools/pvlens/export.c"
#include "../tools/pvlens/hist.c"
#include "../tools/pvlens/top.c"
#include "../tools/pvlens/pvlens.c"

#include <sys/wait.h>
#include "unit.h"
#include "test_pvlens_prom.h"

#define FIX "fixtures"

/*
 * broken/ with the empty directories git cannot store (a queue without
 * files, a directory among the values, the module directory).
 */

/* 1: value present and parsed, 0: present but refused, -1: queue or file missing. */
static int qval_state(const struct pv_queue *q, const char *name)
{
	const struct pv_val *v = q ? pv_qval(q, name) : NULL;

	return v ? v->ok : -1;
}

static char broken[64];
static void scratch(char *dir, size_t size, const char *from);

struct run {
	int ret;
	char *out;
	char *err;
};

/* pvlens ARGS... with stdout and stderr captured. */
static struct run run_pvlens(const char *root, const char *args)
{
	char *argv[16], buf[512], *save = NULL, *tok;
	struct run r = { 0 };
	size_t ol, el;
	FILE *out, *err;
	int argc = 0;

	argv[argc++] = "pvlens";
	argv[argc++] = "--root";
	argv[argc++] = (char *)root;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	out = open_memstream(&r.out, &ol);
	err = open_memstream(&r.err, &el);
	r.ret = pv_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static char *slurp(const char *path)
{
	size_t len;
	char *buf = malloc(PV_FILE_MAX);

	if (buf && pv_read_file(path, buf, PV_FILE_MAX, &len)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Exact output of a subcommand against a reviewed file in expected/. */
static void expect_output(const char *args, const char *file)
{
	char path[256], name[300];
	struct run r = run_pvlens(FIX "/basic", args);
	char *want;

	snprintf(path, sizeof(path), FIX "/expected/%s", file);
	want = slurp(path);
	snprintf(name, sizeof(name), "output of 'pvlens %s' is %s", args,
		 file);
	UNIT_STR_EQ(r.out, want, name);
	snprintf(name, sizeof(name), "'pvlens %s' exits 0 silently", args);
	UNIT_TRUE(r.ret == 0 && !r.err[0], name);
	free(want);
	run_free(&r);
}

static void test_parse_u64(void)
{
	unsigned long long v = 7;

	UNIT_TRUE(!pv_parse_u64("0\n", 2, &v) && v == 0, "u64: 0");
	UNIT_TRUE(!pv_parse_u64("18446744073709551615\n", 21, &v) &&
		  v == ULLONG_MAX, "u64: U64_MAX");
	UNIT_EQ_U64(pv_parse_u64("18446744073709551616\n", 21, &v), -ERANGE,
		    "u64: U64_MAX + 1 overflows");
	UNIT_EQ_U64(pv_parse_u64("99999999999999999999999", 23, &v), -ERANGE,
		    "u64: long overflow");
	UNIT_EQ_U64(pv_parse_u64("", 0, &v), -EINVAL, "u64: empty");
	UNIT_EQ_U64(pv_parse_u64("\n", 1, &v), -EINVAL, "u64: newline only");
	UNIT_EQ_U64(pv_parse_u64("12abc\n", 6, &v), -EINVAL, "u64: junk after");
	UNIT_EQ_U64(pv_parse_u64("-1\n", 3, &v), -EINVAL, "u64: negative");
	UNIT_EQ_U64(pv_parse_u64(" 1\n", 3, &v), -EINVAL, "u64: leading space");
	UNIT_EQ_U64(pv_parse_u64("1\0002\n", 4, &v), -EINVAL, "u64: NUL inside");
	UNIT_TRUE(!pv_parse_u64("42", 2, &v) && v == 42,
		  "u64: no newline (truncated read) still a number");
}

static void test_parse_s64(void)
{
	unsigned long long v;
	bool neg;

	UNIT_TRUE(!pv_parse_s64("-350\n", 5, &v, &neg) && neg && v == 350,
		  "s64: -350");
	UNIT_TRUE(!pv_parse_s64("-0\n", 3, &v, &neg) && !neg && !v,
		  "s64: -0 is 0");
	UNIT_TRUE(!pv_parse_s64("-9223372036854775808\n", 21, &v, &neg) &&
		  neg && v == 9223372036854775808ull, "s64: S64_MIN");
	UNIT_EQ_U64(pv_parse_s64("-9223372036854775809\n", 21, &v, &neg),
		    -ERANGE, "s64: below S64_MIN");
	UNIT_EQ_U64(pv_parse_s64("9223372036854775808\n", 20, &v, &neg),
		    -ERANGE, "s64: above S64_MAX");
	UNIT_EQ_U64(pv_parse_s64("--5\n", 4, &v, &neg), -EINVAL, "s64: --5");
	UNIT_EQ_U64(pv_parse_s64("-", 1, &v, &neg), -EINVAL, "s64: lone -");
	UNIT_TRUE(pv_unavailable(-ENODATA) && pv_unavailable(-EAGAIN) &&
		  !pv_unavailable(-EINVAL) && !pv_unavailable(-EACCES),
		  "no data (TCG: no steal area) is not malformed");
}

static void test_format(void)
{
	char b[64];

	pv_fmt_seconds(b, sizeof(b), 0);
	UNIT_STR_EQ(b, "0", "seconds: 0");
	pv_fmt_seconds(b, sizeof(b), 1023);
	UNIT_STR_EQ(b, "0.000001023", "seconds: 1023 ns");
	pv_fmt_seconds(b, sizeof(b), 1500000000);
	UNIT_STR_EQ(b, "1.5", "seconds: 1.5 s");
	pv_fmt_seconds(b, sizeof(b), 17179869183ull);
	UNIT_STR_EQ(b, "17.179869183", "seconds: last finite bucket edge");
	pv_fmt_seconds(b, sizeof(b), ULLONG_MAX);
	UNIT_STR_EQ(b, "18446744073.709551615", "seconds: U64_MAX exact");
	pv_fmt_pow2(b, sizeof(b), 1024);
	UNIT_STR_EQ(b, "1K", "pow2: 1K");
	pv_fmt_pow2(b, sizeof(b), 1ull << 34);
	UNIT_STR_EQ(b, "16G", "pow2: 16G");
	pv_fmt_pow2(b, sizeof(b), 3);
	UNIT_STR_EQ(b, "3", "pow2: 3");
	pv_fmt_ns(b, sizeof(b), 999);
	UNIT_STR_EQ(b, "999ns", "ns: 999ns");
	pv_fmt_ns(b, sizeof(b), 150000);
	UNIT_STR_EQ(b, "150.0us", "ns: 150us");
	pv_fmt_ns(b, sizeof(b), 2500000000ull);
	UNIT_STR_EQ(b, "2.50s", "ns: 2.5s");
	pv_fmt_bytes(b, sizeof(b), 1023);
	UNIT_STR_EQ(b, "1023B", "bytes: 1023B");
	pv_fmt_bytes(b, sizeof(b), 409600);
	UNIT_STR_EQ(b, "400.0KiB", "bytes: 400KiB");
	UNIT_TRUE(pv_name_ok("req.0") && pv_name_ok("rx-0") &&
		  !pv_name_ok("..") && !pv_name_ok("a/b") &&
		  !pv_name_ok("a b") && !pv_name_ok(""),
		  "names: path-safe only");
}

static void hist_bad(const char *text, const char *why)
{
	static struct pv_hist h[4];
	unsigned int nr;

	UNIT_TRUE(pv_hist_parse(text, strlen(text), h, 4, &nr) < 0, why);
}

static void test_hist_parse(void)
{
	static struct pv_hist h[4];
	const char *ok = "read 0 1023 1\nread 1024 2047 2\nread 2048 inf 3\n"
			 "kick_batch 1 1 4\nkick_batch 2 inf 5\n";
	unsigned int nr;

	UNIT_EQ_U64(pv_hist_parse(ok, strlen(ok), h, 4, &nr), 0,
		    "hist: valid file parses");
	UNIT_EQ_U64(nr, 2, "hist: two histograms");
	UNIT_TRUE(h[0].nr == 3 && h[0].b[2].hi == ULLONG_MAX &&
		  h[0].b[1].count == 2, "hist: buckets and inf");
	hist_bad("read 0 1023 1\nread 1024 20", "hist: truncated line refused");
	hist_bad("read 0 1023 1\nread 0 1023 1\n", "hist: overlapping refused");
	hist_bad("read 0 inf 1\nread 1024 2047 1\n", "hist: bucket after inf");
	hist_bad("a 0 1 1\nb 0 1 1\na 2 3 1\n", "hist: interleaved refused");
	hist_bad("read 0 1023 x\n", "hist: garbage count");
	hist_bad("read 0 1023\n", "hist: three fields");
	hist_bad("read 0 1023 1 9\n", "hist: five fields");
	hist_bad("read 5 4 1\n", "hist: lo > hi");
	hist_bad("../x 0 1 1\n", "hist: bad name");
	hist_bad("a 0 1 1\nb 0 1 1\nc 0 1 1\nd 0 1 1\ne 0 1 1\n",
		 "hist: more histograms than room");
}

static void test_snapshot_basic(void)
{
	struct pv_ctx ctx = { .root = FIX "/basic" };
	const struct pv_queue *q;
	const struct pv_hist *h;
	struct pv_snap s;
	struct pv_dev *d;

	UNIT_EQ_U64(pv_snap_load(&ctx, &s, true), 0, "basic: loads");
	UNIT_EQ_U64(s.nr_devs, 3, "basic: three devices");
	UNIT_EQ_U64(s.nr_bad, 0, "basic: nothing malformed");
	UNIT_STR_EQ(s.devs[0].id, "pvlens_test", "basic: sorted ids 0");
	UNIT_STR_EQ(s.devs[1].id, "virtio0", "basic: sorted ids 1");
	UNIT_STR_EQ(s.devs[1].name, "vda", "basic: virtio0 is vda");
	UNIT_STR_EQ(s.devs[2].name, "eth0", "basic: virtio1 is eth0");
	d = pv_find_dev(&s, "virtio0");
	UNIT_TRUE(d && d == pv_find_dev(&s, "vda"), "basic: find by id/name");
	UNIT_EQ_U64(d->nr_classes, 3, "basic: vda has 3 classes");
	UNIT_STR_EQ(d->classes[2], "flush", "basic: class order kept");
	q = pv_find_queue(d, "req.0");
	UNIT_TRUE(q && pv_qval(q, "kicks")->v == 150, "basic: req.0 kicks");
	UNIT_EQ_U64(pv_qcval(q, "read", "latency_sum_ns")->v, 3100000,
		    "basic: read latency sum");
	UNIT_TRUE(pv_is_std_queue_val(d, "write_latency_p999_ns") &&
		  !pv_is_std_queue_val(d, "err_ioerr"),
		  "basic: layout names vs driver counters");
	h = pv_qhist(q, "read");
	UNIT_TRUE(q->have_hists && h && h->nr == 26, "basic: 26 read buckets");
	UNIT_EQ_U64(h->b[5].count, 60, "basic: [16K,32K) holds 60");
	UNIT_EQ_U64(pv_qhist(q, "kick_batch")->nr, 8, "basic: 8 batch buckets");
	q = pv_find_queue(pv_find_dev(&s, "eth0"), "rx-0");
	UNIT_TRUE(q && !q->have_hists, "basic: eth0 has no debugfs histograms");
	UNIT_EQ_U64(s.nr_cpus, 2, "basic: two CPUs of clock data");
	UNIT_EQ_U64(pv_cpuval(&s.cpus[0], "steal_ns")->v, 1500000000,
		    "basic: cpu0 steal");
	UNIT_EQ_U64(s.timing, 1, "basic: timing on");
	pv_snap_free(&s);
}

static void test_snapshot_broken(void)
{
	struct pv_ctx ctx = { 0 };
	const struct pv_queue *q;
	struct pv_snap s;
	struct pv_dev *d;

	snprintf(ctx.root, sizeof(ctx.root), "%s", broken);
	UNIT_EQ_U64(pv_snap_load(&ctx, &s, true), 0, "broken: loads");
	UNIT_EQ_U64(s.nr_devs, 2, "broken: both devices seen");
	d = pv_find_dev(&s, "pvlens_evil");
	UNIT_TRUE(d && !d->nr_queues && !d->nr_classes &&
		  !strcmp(d->driver, "?"),
		  "broken: hostile names refused, no ../ queue");
	d = pv_find_dev(&s, "pvlens_test");
	q = pv_find_queue(d, "q0");
	UNIT_TRUE(q && qval_state(q, "kicks") == 0, "broken: 12abc is not ok");
	UNIT_TRUE(qval_state(q, "interrupts") == 0, "broken: empty is not ok");
	UNIT_TRUE(qval_state(q, "inflight") == 0, "broken: overflow is not ok");
	UNIT_TRUE(qval_state(q, "requeues") == 0, "broken: binary is not ok");
	UNIT_TRUE(qval_state(q, "max_inflight") == 0, "broken: -1 is not ok");
	UNIT_TRUE(qval_state(q, "kicks_suppressed") == 1 &&
		  pv_qval(q, "kicks_suppressed")->v == 4,
		  "broken: number without newline is read");
	UNIT_TRUE(pv_qval(q, "spurious_interrupts")->v == ULLONG_MAX,
		  "broken: U64_MAX is a value");
	UNIT_TRUE(!pv_qval(q, "not_a_file"), "broken: directory skipped");
	UNIT_TRUE(!q->have_hists, "broken: truncated histogram refused");
	q = pv_find_queue(d, "q1");
	UNIT_TRUE(q && !q->nr_vals && !q->have_hists,
		  "broken: empty queue, out-of-order histogram refused");
	UNIT_EQ_U64(s.nr_cpus, 1, "broken: cpufoo is not a CPU");
	UNIT_STR_EQ(s.clock_source, "evil?[2Jsource",
		    "broken: control characters in text replaced");
	UNIT_TRUE(!pv_clockval(&s, "drift_tsc_ppb")->ok,
		  "broken: drift below S64_MIN not ok");
	UNIT_TRUE(!pv_cpuval(&s.cpus[0], "steal_ns")->ok,
		  "broken: garbage steal not ok");
	UNIT_EQ_U64(s.nr_bad, 13, "broken: every bad file counted");
	pv_snap_free(&s);
}

static void test_outputs(void)
{
	expect_output("list", "list.txt");
	expect_output("stat", "stat.txt");
	expect_output("stat --json", "stat.json");
	expect_output("stat vda/req.0 --json", "stat-vda-req0.json");
	expect_output("export", "export.prom");
	expect_output("hist vda/req.0", "hist-vda-req0.txt");
	expect_output("hist pvlens_test/q0 kick_batch", "hist-test-batch.txt");
}

#define VDA_READ	"device=\"vda\",queue=\"req.0\",class=\"read\""
#define VDA_Q0		"device=\"vda\",queue=\"req.0\""
#define ETH_RX		"device=\"eth0\",queue=\"rx-0\",class=\"rx\""

/* Values in the outputs that the fixture generator fixed independently. */
static void test_output_values(void)
{
	static const char * const lines[] = {
		/* read histogram: 10 + 60 at or below 32767 ns, sum 3.1 ms */
		"pvlens_latency_seconds_count{" VDA_READ "} 100\n",
		"pvlens_latency_seconds_bucket{" VDA_READ ",le=\"0.000032767\"} 70\n",
		"pvlens_latency_seconds_sum{" VDA_READ "} 0.0031\n",
		/* steal in seconds */
		"pvlens_steal_seconds_total{cpu=\"0\"} 1.5\n",
		"pvlens_steal_seconds_total{cpu=\"1\"} 0.00000025\n",
		/* kick batch: 130 + 15 kicks carried at most 3; sum = kicked_ops */
		"pvlens_kick_batch_bucket{" VDA_Q0 ",le=\"3\"} 145\n",
		"pvlens_kick_batch_sum{" VDA_Q0 "} 180\n",
		/* eth0 has no debugfs histogram: +Inf only */
		"pvlens_latency_seconds_bucket{" ETH_RX ",le=\"+Inf\"} 0\n",
		/* steal_ppm_* files hold ppm: 30000 ppm = 0.03 */
		"pvlens_steal_ratio{cpu=\"0\",window=\"1s\"} 0.03\n",
		"pvlens_steal_ratio{cpu=\"0\",window=\"60s\"} 1\n",
		/* drift_tsc_ppb -350 */
		"pvlens_clock_drift_ratio{clock=\"tsc\"} -0.00000035\n",
		"pvlens_clock_realtime_jumps_total 1\n",
	};
	static const char * const req1[] = {
		"vda/req.1                    10          0         10      0  read               10    40.0KiB      0    14.0us    16.0us    16.0us\n",
	};
	struct run r = run_pvlens(FIX "/basic", "export");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		char name[256];

		snprintf(name, sizeof(name), "export has %.*s", (int)strcspn(lines[i], "\n"),
			 lines[i]);
		UNIT_TRUE(strstr(r.out, lines[i]), name);
	}
	UNIT_TRUE(!strstr(r.out, ETH_RX ",le=\"0."),
		  "export: no finite buckets without debugfs");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "stat vda");
	UNIT_TRUE(strstr(r.out, req1[0]) && !strstr(r.out, "eth0") &&
		  !strstr(r.out, "cpu0"), "stat vda: only vda, values of req.1");
	run_free(&r);
}

static void prom_expect(const char *text, bool valid, const char *name)
{
	char why[512];
	bool ok = !prom_check(text, why, sizeof(why));

	if (ok != valid)
		printf("# %s\n", why);
	UNIT_TRUE(ok == valid, name);
}

static const struct {
	const char *text;
	bool valid;
	const char *name;
} prom_cases[] = {
	{ "a_total 1\n", false, "prom: sample without TYPE" },
	{ "# TYPE a counter\na 1\n", false, "prom: counter without _total" },
	{ "# TYPE a_total counter\na_total -1\n", false,
	  "prom: negative counter" },
	{ "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n", false,
	  "prom: duplicate series" },
	{ "# TYPE a gauge\na{x=\"\\q\"} 1\n", false, "prom: bad escape" },
	{ "# TYPE a gauge\na 1\x20\n", false, "prom: trailing space" },
	{ "# TYPE a gauge\na 1", false, "prom: no final newline" },
	{ "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"2\"} 1\n", false,
	  "prom: family not contiguous" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n"
	  "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", false,
	  "prom: non-cumulative buckets" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
	  "h_sum 1\nh_count 3\n", false, "prom: _count != +Inf bucket" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
	  false, "prom: no +Inf bucket" },
	{ "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
	  "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", false,
	  "prom: le not increasing" },
	{ "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", false,
	  "prom: histogram without _sum" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
	  "h_sum 0.5\nh_count 1\n", true, "prom: a minimal valid histogram" },
};

static void test_prom_checker(void)
{
	unsigned int i;
	struct run r;

	r = run_pvlens(FIX "/basic", "export");
	prom_expect(r.out, true, "prom: export of basic is valid exposition");
	run_free(&r);
	r = run_pvlens(broken, "export");
	prom_expect(r.out, true, "prom: export of broken is still valid");
	UNIT_TRUE(!!strstr(r.err, "malformed"),
		  "prom: broken export warns about malformed files");
	run_free(&r);
	/* The checker itself refuses what Prometheus would. */
	for (i = 0; i < ARRAY_SIZE(prom_cases); i++)
		prom_expect(prom_cases[i].text, prom_cases[i].valid,
			    prom_cases[i].name);
}

/* A scratch copy of a fixture tree, for the cases that need changes. */
static void scratch(char *dir, size_t size, const char *from)
{
	char cmd[PATH_MAX * 2 + 32];

	snprintf(dir, size, "/tmp/pvlens-unit-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(cmd, sizeof(cmd), "cp -a %s/. %s && chmod 755 %s", from, dir,
		 dir);
	if (system(cmd))
		abort();
}

static void scratch_rm(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		abort();
}

static void test_huge_files(void)
{
	char dir[64], path[PATH_MAX];
	struct pv_ctx ctx = { 0 };
	const struct pv_queue *q;
	struct run r;
	struct pv_snap s;
	int fd;

	scratch(dir, sizeof(dir), FIX "/basic");
	snprintf(path, sizeof(path), "%s/devices/pvlens_test/pvlens/q0/kicks",
		 dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	UNIT_TRUE(fd >= 0 && !ftruncate(fd, 1ll << 30), "huge: 1 GiB value");
	close(fd);
	snprintf(path, sizeof(path),
		 "%s/kernel/debug/pvlens/pvlens_test/q0/histogram", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	UNIT_TRUE(fd >= 0 && !ftruncate(fd, 1ll << 30),
		  "huge: 1 GiB histogram");
	close(fd);
	snprintf(ctx.root, sizeof(ctx.root), "%s", dir);
	UNIT_EQ_U64(pv_snap_load(&ctx, &s, true), 0, "huge: loads");
	q = pv_find_queue(pv_find_dev(&s, "pvlens_test"), "q0");
	UNIT_TRUE(q && qval_state(q, "kicks") == 0 && !q->have_hists,
		  "huge: both refused, read capped");
	pv_snap_free(&s);
	r = run_pvlens(dir, "export");
	UNIT_TRUE(r.ret == 0 && !prom_check(r.out, path, sizeof(path)),
		  "huge: export still valid");
	run_free(&r);
	scratch_rm(dir);
}

static void test_errors(void)
{
	char dir[64], path[PATH_MAX], args[PATH_MAX + 8];
	struct run r;
	pid_t pid;
	int status;

	static const char * const want[] = {
		"pvlens: modules not loaded (no /nonexistent/module/pvlens_core): modprobe pvlens_core and a pvlens driver\n",
		"pvlens: unknown device 'vdz' (pvlens list shows the devices)\n",
		"@read_latency_ns[vda/req.0]: count 100  min 9.0us  p50 20.0us  p90 40.0us  p99 150.0us  p99.9 200.0us  max 200.0us\n",
	};

	r = run_pvlens("/nonexistent", "stat");
	UNIT_TRUE(r.ret == 1 && !strcmp(r.err, want[0]),
		  "error: modules not loaded");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "stat vdz");
	UNIT_TRUE(r.ret == 1 && !strcmp(r.err, want[1]) && !r.out[0],
		  "error: unknown device");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "hist vda/req.9");
	UNIT_TRUE(r.ret == 1 && strstr(r.err, "no queue 'req.9'"),
		  "error: unknown queue");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "hist vda/req.0 trim");
	UNIT_TRUE(r.ret == 1 && strstr(r.err, "no class 'trim'"),
		  "error: unknown class");
	run_free(&r);
	/* The slash falls beyond what fits: refused, not a crash. */
	memset(path, 'x', 300);
	strcpy(path + 300, "/q0");
	snprintf(args, sizeof(args), "hist %s", path);
	r = run_pvlens(FIX "/basic", args);
	UNIT_TRUE(r.ret == 2, "error: hist with a 300-character device name");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "frobnicate");
	UNIT_TRUE(r.ret == 2 && strstr(r.err, "unknown command"),
		  "error: unknown command is a usage error");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "top -d 0");
	UNIT_TRUE(r.ret == 2 && strstr(r.err, "-d wants"),
		  "error: top -d 0 refused");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "--version");
	UNIT_STR_EQ(r.out, "pvlens " PVLENS_VERSION "\n", "--version");
	run_free(&r);
	r = run_pvlens(FIX "/basic", "--help");
	UNIT_TRUE(r.ret == 0 && strstr(r.out, "usage: pvlens"), "--help");
	run_free(&r);

	scratch(dir, sizeof(dir), FIX "/basic");
	snprintf(path, sizeof(path), "rm -rf %s/kernel/debug/*", dir);
	UNIT_TRUE(!system(path), "scratch: debugfs unmounted");
	r = run_pvlens(dir, "hist vda/req.0 read");
	UNIT_TRUE(r.ret == 0 && strstr(r.err, "debugfs not mounted") &&
		  !strcmp(r.out, want[2]) &&
		  !strchr(r.out, '|'),
		  "no debugfs: hist says so, sysfs percentiles, no bars");
	run_free(&r);
	r = run_pvlens(dir, "export");
	UNIT_TRUE(r.ret == 0 && strstr(r.err, "debugfs not mounted") &&
		  !prom_check(r.out, path, sizeof(path)),
		  "no debugfs: export warns and stays valid");
	run_free(&r);
	snprintf(path, sizeof(path), "rm -rf %s/module", dir);
	UNIT_TRUE(!system(path), "scratch: core unloaded");
	snprintf(path, sizeof(path), "rm -rf %s/bus %s/devices %s/kernel", dir,
		 dir, dir);
	UNIT_TRUE(!system(path), "scratch: devices gone");
	r = run_pvlens(dir, "list");
	UNIT_TRUE(r.ret == 1 && strstr(r.err, "modules not loaded"),
		  "error: list without modules");
	run_free(&r);
	scratch_rm(dir);

	/* Permission denied needs a non-root user: root reads everything. */
	scratch(dir, sizeof(dir), FIX "/basic");
	snprintf(path, sizeof(path), "%s/kernel/debug", dir);
	chmod(path, 0700);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		if (geteuid() == 0)
			_exit(3);
		r = run_pvlens(dir, "hist vda/req.0");
		_exit(r.ret == 1 && strstr(r.err, "permission denied") ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		printf("# cannot drop to uid 65534: skipping permission test\n");
	else
		UNIT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status),
			  "error: permission denied on debugfs");
	scratch_rm(dir);
}

/* Rates: two snapshots of known difference, two seconds apart. */
static void test_top(void)
{
	static const char * const edits[] = {
		"read_ops 510", "read_bytes 2088960", "kicks 110",
		"kicked_ops 510", "interrupts 110", "read_latency_count 510",
		"read_latency_sum_ns 50140000",
	};
	const char *q1 = "devices/pci0000:00/0000:00:04.0/virtio0/pvlens/req.1";
	struct pv_ctx ctx = { .root = FIX "/basic" };
	char dir[64], cmd[PATH_MAX];
	struct pv_snap a, b;
	struct top_row row;
	struct pv_dev *d;
	char *text;
	size_t len;
	struct run r;
	FILE *f;
	unsigned int i;
	int ok = 1;

	scratch(dir, sizeof(dir), FIX "/basic");
	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		int n = strcspn(edits[i], " ");

		snprintf(cmd, sizeof(cmd), "echo %s > %s/%s/%.*s",
			 edits[i] + n + 1, dir, q1, n, edits[i]);
		ok &= !system(cmd);
	}
	snprintf(cmd, sizeof(cmd),
		 "sed -i 's/^read 65536 131071 0$/read 65536 131071 500/' %s/%s",
		 dir, "kernel/debug/pvlens/virtio0/req.1/histogram");
	ok &= !system(cmd);
	UNIT_TRUE(ok, "top: second snapshot written");
	pv_snap_load(&ctx, &a, true);
	snprintf(ctx.root, sizeof(ctx.root), "%s", dir);
	pv_snap_load(&ctx, &b, true);
	d = pv_find_dev(&b, "vda");
	top_row_fill(d, pv_find_queue(pv_find_dev(&a, "vda"), "req.1"),
		     pv_find_queue(d, "req.1"), 2.0, &row);
	UNIT_EQ_U64(row.ops, 250, "top: 500 ops in 2 s = 250/s");
	UNIT_EQ_U64(row.bytes, 1024000, "top: bytes/s");
	UNIT_EQ_U64(row.kicks, 50, "top: kicks/s");
	UNIT_EQ_U64(row.batch * 100, 500, "top: 5 ops per kick");
	UNIT_EQ_U64(row.avg_ns, 100000, "top: interval mean 100 us");
	UNIT_EQ_U64(row.p99_ns, 65536 + (unsigned long long)(0.99 * 65535),
		    "top: interval p99 inside [64K,128K)");
	f = open_memstream(&text, &len);
	ctx.out = f;
	top_render(&ctx, &a, &b, 2.0, 0);
	fclose(f);
	UNIT_TRUE(strstr(text, "\nvda/req.1 ") &&
		  strstr(strstr(text, "QUEUE"), "\nvda/req.1 ") <
		  strstr(text, "\neth0/rx-0"),
		  "top: busiest queue first");
	UNIT_TRUE(!!strstr(text, "cpu0   0.0%"),
		  "top: steal per CPU from deltas");
	free(text);
	pv_snap_free(&a);
	pv_snap_free(&b);
	scratch_rm(dir);
	r = run_pvlens(FIX "/basic", "top -d 0.1 -n 2");
	UNIT_TRUE(r.ret == 0 && strstr(r.out, "pvlens top") &&
		  strstr(strstr(r.out, "pvlens top") + 1, "pvlens top") &&
		  !strchr(r.out, '\033'),
		  "top -n 2 without a terminal: two plain tables, no ANSI");
	run_free(&r);
}

int main(void)
{
	char cmd[256];

	scratch(broken, sizeof(broken), FIX "/broken");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p module/pvlens_core %s/q1 %s/q0/not_a_file",
		 broken, "devices/pvlens_test/pvlens",
		 "devices/pvlens_test/pvlens");
	if (system(cmd))
		abort();
	test_parse_u64();
	test_parse_s64();
	test_format();
	test_hist_parse();
	test_snapshot_basic();
	test_snapshot_broken();
	test_outputs();
	test_output_values();
	test_prom_checker();
	test_huge_files();
	test_errors();
	test_top();
	scratch_rm(broken);
	return unit_done("pvlens");
}
