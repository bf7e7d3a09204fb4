// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_core through the pvlens_core_test module: feed known operations,
 * kicks and counters, read every sysfs file and the debugfs stats and
 * histogram back, and compare with values computed by hand below.
 *
 * Percentile rule (Documentation/statistics-layout.rst): rank =
 * ceil(count * p); in the bucket [lo, hi] holding it, with n samples there
 * and the rank k-th of them: lo + (hi + 1 - lo) * k / n rounded down (the
 * last bucket interpolates up to max), clamped to [min, max].
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* The harness header has an unused parameter; selftests build with -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

typedef unsigned long long u64;

#define SYS	"/sys/devices/pvlens_test/pvlens"
#define DBG	"/sys/kernel/debug/pvlens/pvlens_test"
#define INJECT	"/sys/kernel/debug/pvlens_test/inject"
#define READBACK "/sys/kernel/debug/pvlens_test/readback"
#define TIMING	"/sys/module/pvlens_core/parameters/timing"
#define U64_MAX	~0ULL
#define P2(n)	(1ULL << (n))

/* Every file of a queue directory, in debugfs "stats" order. */
static const char * const queue_files[] = {
	"kicks", "kicks_suppressed", "kicked_ops", "interrupts",
	"spurious_interrupts", "requeues", "inflight", "max_inflight",
	"kick_cost_count", "kick_cost_sum_ns", "kick_cost_min_ns",
	"kick_cost_max_ns", "kick_cost_p50_ns", "kick_cost_p90_ns",
	"kick_cost_p99_ns", "kick_cost_p999_ns",
	"read_ops", "read_bytes", "read_errors",
	"read_latency_count", "read_latency_sum_ns", "read_latency_min_ns",
	"read_latency_max_ns", "read_latency_p50_ns", "read_latency_p90_ns",
	"read_latency_p99_ns", "read_latency_p999_ns",
	"write_ops", "write_bytes", "write_errors",
	"write_latency_count", "write_latency_sum_ns", "write_latency_min_ns",
	"write_latency_max_ns", "write_latency_p50_ns", "write_latency_p90_ns",
	"write_latency_p99_ns", "write_latency_p999_ns",
	"err_test",
};

#define NR_QUEUE_FILES	ARRAY_SIZE(queue_files)

struct want {
	const char *name;
	u64 val;
};

/* Expected non-zero histogram buckets: everything else must read 0. */
struct want_bucket {
	const char *hist;
	unsigned int bucket;
	u64 count;
};

static int write_str(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (n == (ssize_t)strlen(s) ? 0 : -EIO);
}

/* Whole file into buf (NUL-terminated); -1 on error. */
static ssize_t read_str(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

/* A sysfs value: decimal digits and exactly one newline. */
static int read_u64(const char *path, u64 *val)
{
	char buf[64], *end;

	if (read_str(path, buf, sizeof(buf)) < 2 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return errno || strcmp(end, "\n") ? -1 : 0;
}

static u64 want_of(const struct want *w, const char *name)
{
	for (; w && w->name; w++)
		if (!strcmp(w->name, name))
			return w->val;
	return 0;
}

#define inject(s) ASSERT_EQ(0, write_str(INJECT, s))

/*
 * Every file of @q in sysfs and every line of its debugfs stats, in order,
 * against @w (names not in @w must read 0).
 */
static void check_queue(struct __test_metadata *_metadata, const char *q,
			const struct want *w)
{
	char path[256], stats[8192], *line, *save = NULL;
	unsigned int i;
	u64 got;
	int n;

	snprintf(path, sizeof(path), DBG "/%s/stats", q);
	ASSERT_LT(0, read_str(path, stats, sizeof(stats)));
	line = strtok_r(stats, "\n", &save);

	for (i = 0; i < NR_QUEUE_FILES; i++) {
		u64 want = want_of(w, queue_files[i]);
		char name[64];

		snprintf(path, sizeof(path), SYS "/%s/%s", q, queue_files[i]);
		ASSERT_EQ(0, read_u64(path, &got)) TH_LOG("%s", path);
		EXPECT_EQ(want, got) TH_LOG("sysfs %s/%s", q, queue_files[i]);

		ASSERT_NE(NULL, line) TH_LOG("debugfs %s/stats too short", q);
		n = sscanf(line, "%63s %llu", name, &got);
		ASSERT_EQ(2, n);
		EXPECT_STREQ(queue_files[i], name);
		EXPECT_EQ(want, got) TH_LOG("debugfs %s/stats %s", q, name);
		line = strtok_r(NULL, "\n", &save);
	}
	EXPECT_EQ(NULL, line) TH_LOG("debugfs %s/stats has extra lines", q);
}

/* Bucket edges from the layout document, computed here, not by hist.c. */
static void bucket_edges(const char *hist, unsigned int b, char *lo, char *hi)
{
	if (!strcmp(hist, "kick_batch")) {
		sprintf(lo, "%u", 1U << b);
		if (b == 7)
			strcpy(hi, "inf");
		else
			sprintf(hi, "%u", (2U << b) - 1);
		return;
	}
	sprintf(lo, "%llu", b ? 1ULL << (9 + b) : 0ULL);
	if (b == 25)
		strcpy(hi, "inf");
	else
		sprintf(hi, "%llu", (1ULL << (10 + b)) - 1);
}

static void check_histogram(struct __test_metadata *_metadata, const char *q,
			    const struct want_bucket *w, unsigned int nr_w)
{
	static const struct {
		const char *name;
		unsigned int buckets;
	} hists[] = {
		{ "kick_cost", 26 }, { "read", 26 }, { "write", 26 },
		{ "kick_batch", 8 },
	};
	char path[256], buf[16384], *line, *save = NULL;
	unsigned int h, b, i;
	int n;

	snprintf(path, sizeof(path), DBG "/%s/histogram", q);
	ASSERT_LT(0, read_str(path, buf, sizeof(buf)));
	line = strtok_r(buf, "\n", &save);
	for (h = 0; h < 4; h++) {
		for (b = 0; b < hists[h].buckets; b++) {
			char name[32], lo[32], hi[32], wlo[32], whi[32];
			u64 count, want = 0;

			ASSERT_NE(NULL, line) TH_LOG("histogram too short");
			n = sscanf(line, "%31s %31s %31s %llu", name, lo, hi,
				   &count);
			ASSERT_EQ(4, n);
			bucket_edges(hists[h].name, b, wlo, whi);
			EXPECT_STREQ(hists[h].name, name);
			EXPECT_STREQ(wlo, lo);
			EXPECT_STREQ(whi, hi);
			for (i = 0; i < nr_w; i++)
				if (!strcmp(w[i].hist, hists[h].name) &&
				    w[i].bucket == b)
					want = w[i].count;
			EXPECT_EQ(want, count) TH_LOG("%s %s bucket %u", q,
						      name, b);
			line = strtok_r(NULL, "\n", &save);
		}
	}
	EXPECT_EQ(NULL, line) TH_LOG("histogram has extra lines");
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return sched_getcpu() == cpu ? 0 : -1;
}

static const struct want all_zero[] = { { NULL } };

FIXTURE(core) {
	int unused;
};

FIXTURE_SETUP(core)
{
	u64 inflight;
	char cmd[64];

	if (access(SYS, F_OK))
		SKIP(return, "pvlens_core_test is not loaded");
	if (access(DBG, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	ASSERT_EQ(0, access(DBG, F_OK));
	ASSERT_EQ(0, write_str(TIMING, "Y"));
	ASSERT_EQ(0, write_str(SYS "/reset", "1"));
	/* inflight survives a reset by design: drain what a test left. */
	ASSERT_EQ(0, read_u64(SYS "/q0/inflight", &inflight));
	if (inflight) {
		snprintf(cmd, sizeof(cmd), "inflight 0 -%llu",
			 inflight);
		inject(cmd);
		ASSERT_EQ(0, write_str(SYS "/reset", "1"));
	}
	ASSERT_EQ(0, pin_cpu(0));
}

FIXTURE_TEARDOWN(core)
{
	write_str(TIMING, "Y");
}

TEST_F(core, layout)
{
	static const char * const top[] = {
		"driver", "queues", "classes", "reset", "q0", "q1",
	};
	char buf[256], path[512];
	unsigned int n = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;

	/* The parent is a root device, bound to no driver. */
	ASSERT_LT(0, read_str(SYS "/driver", buf, sizeof(buf)));
	EXPECT_STREQ("\n", buf);
	ASSERT_LT(0, read_str(SYS "/queues", buf, sizeof(buf)));
	EXPECT_STREQ("q0\nq1\n", buf);
	ASSERT_LT(0, read_str(SYS "/classes", buf, sizeof(buf)));
	EXPECT_STREQ("read\nwrite\n", buf);
	ASSERT_EQ(0, stat(SYS "/reset", &st));
	EXPECT_EQ(0200U, st.st_mode & 0777);

	d = opendir(SYS);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < 6; i++)
			if (!strcmp(top[i], de->d_name))
				break;
		EXPECT_GT(6U, i) TH_LOG("unexpected %s", de->d_name);
		n++;
	}
	closedir(d);
	EXPECT_EQ(6U, n);

	/* Exactly the documented files in a queue directory, all 0444. */
	n = 0;
	d = opendir(SYS "/q1");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < NR_QUEUE_FILES; i++)
			if (!strcmp(queue_files[i], de->d_name))
				break;
		EXPECT_GT(NR_QUEUE_FILES, i) TH_LOG("unexpected %s", de->d_name);
		snprintf(path, sizeof(path), SYS "/q1/%s", de->d_name);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0444U, st.st_mode & 0777) TH_LOG("%s", de->d_name);
		n++;
	}
	closedir(d);
	EXPECT_EQ(NR_QUEUE_FILES, n);

	EXPECT_EQ(0, access(DBG "/q0/stats", R_OK));
	EXPECT_EQ(0, access(DBG "/q1/histogram", R_OK));
	check_queue(_metadata, "q0", all_zero);
	check_queue(_metadata, "q1", all_zero);
}

TEST_F(core, every_value_one_cpu)
{
	static const u64 kick_cost[10] = {
		4106, 4506, 4906, 5306, 5706, 6106, 6506, 6906, 7306, 10000,
	};
	static const unsigned int batch[10] = {
		1, 1, 2, 3, 4, 7, 8, 100, 128, 1000,
	};
	/*
	 * read: 500, 1500, 1500, 3000 (error), 1000000 ns, 4096 bytes each.
	 *   buckets 0:1, 1:2, 2:1, 10:1; sum 1006500.
	 *   p50: rank ceil(2.5) = 3, 2nd of 2 in [1024, 2047]: 2048.
	 *   p90/p99/p99.9: rank 5, 1st of 1 in [524288, 1048575]:
	 *   1048576, clamped to max 1000000.
	 * write: 2^34 and 2^35 ns, 512 bytes each, last bucket.
	 *   p50: rank 1 of 2: 2^34 + (2^35 - 2^34) / 2 = 25769803776.
	 *   p90: rank 2: 2^35.
	 * kick cost: 4106 + 400 * i (i < 9) in [4096, 8191], and 10000 in
	 *   [8192, 16383]; sum 9 * 4106 + 400 * 36 + 10000 = 61354.
	 *   p50: rank 5 of 9: 4096 + 4096 * 5 / 9 = 4096 + 2275 = 6371.
	 *   p90: rank 9 of 9: 8192.  p99: rank 10: 16384 -> max 10000.
	 * batches: 1254 requests; 1:2, 2-3:2, 4-7:2, 8-15:1, 64-127:1,
	 *   128+:2.
	 */
	static const struct want q0[] = {
		{ "kicks", 10 }, { "kicks_suppressed", 3 },
		{ "kicked_ops", 1254 }, { "interrupts", 4 },
		{ "spurious_interrupts", 1 }, { "requeues", 2 },
		{ "inflight", 3 }, { "max_inflight", 5 },
		{ "kick_cost_count", 10 }, { "kick_cost_sum_ns", 61354 },
		{ "kick_cost_min_ns", 4106 }, { "kick_cost_max_ns", 10000 },
		{ "kick_cost_p50_ns", 6371 }, { "kick_cost_p90_ns", 8192 },
		{ "kick_cost_p99_ns", 10000 }, { "kick_cost_p999_ns", 10000 },
		{ "read_ops", 5 }, { "read_bytes", 20480 },
		{ "read_errors", 1 }, { "read_latency_count", 5 },
		{ "read_latency_sum_ns", 1006500 },
		{ "read_latency_min_ns", 500 },
		{ "read_latency_max_ns", 1000000 },
		{ "read_latency_p50_ns", 2048 },
		{ "read_latency_p90_ns", 1000000 },
		{ "read_latency_p99_ns", 1000000 },
		{ "read_latency_p999_ns", 1000000 },
		{ "write_ops", 2 }, { "write_bytes", 1024 },
		{ "write_latency_count", 2 },
		{ "write_latency_sum_ns", P2(34) + P2(35) },
		{ "write_latency_min_ns", P2(34) },
		{ "write_latency_max_ns", P2(35) },
		{ "write_latency_p50_ns", 25769803776ULL },
		{ "write_latency_p90_ns", P2(35) },
		{ "write_latency_p99_ns", P2(35) },
		{ "write_latency_p999_ns", P2(35) },
		{ "err_test", 10 },
		{ NULL }
	};
	/* q1: one write of 100 ns: p50 = 1024 clamped to max 100. */
	static const struct want q1[] = {
		{ "write_ops", 1 }, { "write_bytes", 10 },
		{ "write_latency_count", 1 }, { "write_latency_sum_ns", 100 },
		{ "write_latency_min_ns", 100 }, { "write_latency_max_ns", 100 },
		{ "write_latency_p50_ns", 100 }, { "write_latency_p90_ns", 100 },
		{ "write_latency_p99_ns", 100 }, { "write_latency_p999_ns", 100 },
		{ NULL }
	};
	static const struct want_bucket q0_hist[] = {
		{ "kick_cost", 3, 9 }, { "kick_cost", 4, 1 },
		{ "read", 0, 1 }, { "read", 1, 2 }, { "read", 2, 1 },
		{ "read", 10, 1 }, { "write", 25, 2 },
		{ "kick_batch", 0, 2 }, { "kick_batch", 1, 2 },
		{ "kick_batch", 2, 2 }, { "kick_batch", 3, 1 },
		{ "kick_batch", 6, 1 }, { "kick_batch", 7, 2 },
	};
	static const struct want_bucket q1_hist[] = { { "write", 0, 1 } };
	char cmd[128], buf[1024];
	unsigned int i;

	for (i = 0; i < 10; i++) {
		snprintf(cmd, sizeof(cmd), "kick 0 %llu %u",
			 kick_cost[i], batch[i]);
		inject(cmd);
	}
	inject("op 0 read 500 4096 0\nop 0 read 1500 4096 0\n"
	       "op 0 read 1500 4096 0\nop 0 read 3000 4096 1\n"
	       "op 0 read 1000000 4096 0\n");
	inject("op 0 write 17179869184 512 0\nop 0 write 34359738368 512 0");
	inject("suppressed 0\nsuppressed 0\nsuppressed 0\n");
	inject("irq 0 0\nirq 0 1\nirq 0 0\nirq 0 0\n");
	inject("requeue 0\nrequeue 0\n");
	inject("inflight 0 +5\ninflight 0 -2\n");
	inject("count 0 err_test 7\ncount 0 err_test 3\n");
	inject("op 1 write 100 10 0\n");

	check_queue(_metadata, "q0", q0);
	check_queue(_metadata, "q1", q1);
	check_histogram(_metadata, "q0", q0_hist,
			ARRAY_SIZE(q0_hist));
	check_histogram(_metadata, "q1", q1_hist, 1);

	/* pvlens_queue_class_read()/pvlens_queue_counter_read() agree. */
	ASSERT_LT(0, read_str(READBACK, buf, sizeof(buf)));
	EXPECT_STREQ("q0 read 5 20480 1 5 1006500 500 1000000\n"
		     "q0 write 2 1024 0 2 51539607552 17179869184 34359738368\n"
		     "q0 err_test 10\n"
		     "q1 read 0 0 0 0 0 0 0\n"
		     "q1 write 1 10 0 1 100 100 100\n"
		     "q1 err_test 0\n", buf);
}

TEST_F(core, per_cpu_aggregation)
{
	/*
	 * read: CPU0 700 and 3000 (error), CPU1 1500 and 5000; 100 bytes on
	 *   CPU0, 50 on CPU1.  sum 10200, min 700 (CPU0), max 5000 (CPU1).
	 *   p50: rank 2, 1st of 1 in [1024, 2047]: 2048.
	 *   p90..p99.9: rank 4 in [4096, 8191]: 8192 -> max 5000.
	 * write: 2^63 on each CPU: 2^64 saturates to U64_MAX (and every
	 *   percentile of two equal samples is clamped to them).
	 * kicks: CPU0 2000 ns batch 4, CPU1 900 ns batch 1.
	 *   p50: rank 1 in [0, 1023]: 1024, within [900, 2000].
	 *   p90: rank 2 in [1024, 2047]: 2048 -> max 2000.
	 */
	static const struct want q0[] = {
		{ "kicks", 2 }, { "kicked_ops", 5 },
		{ "interrupts", 2 }, { "spurious_interrupts", 1 },
		{ "kick_cost_count", 2 }, { "kick_cost_sum_ns", 2900 },
		{ "kick_cost_min_ns", 900 }, { "kick_cost_max_ns", 2000 },
		{ "kick_cost_p50_ns", 1024 }, { "kick_cost_p90_ns", 2000 },
		{ "kick_cost_p99_ns", 2000 }, { "kick_cost_p999_ns", 2000 },
		{ "read_ops", 4 }, { "read_bytes", 300 }, { "read_errors", 1 },
		{ "read_latency_count", 4 }, { "read_latency_sum_ns", 10200 },
		{ "read_latency_min_ns", 700 }, { "read_latency_max_ns", 5000 },
		{ "read_latency_p50_ns", 2048 }, { "read_latency_p90_ns", 5000 },
		{ "read_latency_p99_ns", 5000 },
		{ "read_latency_p999_ns", 5000 },
		{ "write_ops", 2 }, { "write_latency_count", 2 },
		{ "write_latency_sum_ns", U64_MAX },
		{ "write_latency_min_ns", P2(63) },
		{ "write_latency_max_ns", P2(63) },
		{ "write_latency_p50_ns", P2(63) },
		{ "write_latency_p90_ns", P2(63) },
		{ "write_latency_p99_ns", P2(63) },
		{ "write_latency_p999_ns", P2(63) },
		{ "err_test", 5 },
		{ NULL }
	};

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || pin_cpu(1))
		SKIP(return, "needs two online CPUs");
	ASSERT_EQ(0, pin_cpu(0));
	inject("op 0 read 700 100 0\nop 0 read 3000 100 1\nkick 0 2000 4\n"
	       "irq 0 1\ncount 0 err_test 2\nop 0 write 9223372036854775808 0 0\n");
	ASSERT_EQ(0, pin_cpu(1));
	inject("op 0 read 1500 50 0\nop 0 read 5000 50 0\nkick 0 900 1\n"
	       "irq 0 0\ncount 0 err_test 3\nop 0 write 9223372036854775808 0 0\n");
	check_queue(_metadata, "q0", q0);
	check_queue(_metadata, "q1", all_zero);
}

TEST_F(core, sum_saturates_on_one_cpu)
{
	u64 v;

	/* (2^63 - 1) * 2 + 2 would wrap to 0. */
	inject("op 0 read 9223372036854775807 0 0\n"
	       "op 0 read 9223372036854775807 0 0\nop 0 read 2 0 0\n");
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_sum_ns", &v));
	EXPECT_EQ(U64_MAX, v);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_count", &v));
	EXPECT_EQ(3ULL, v);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_min_ns", &v));
	EXPECT_EQ(2ULL, v);
}

TEST_F(core, weighted_record_counts_every_sample)
{
	/*
	 * ops: n samples of one latency in one record (a NAPI poll's
	 * packets).  read: 3 x 1500 and one op of 3000: count 4, sum 7500,
	 * buckets 1 (3) and 2 (1); ops of weight 0 change nothing, and the
	 * counters stay with op.  p50: rank 2, 2nd of 3 in [1024, 2047]:
	 * 1024 + 1024 * 2 / 3 = 1706; p90 and up: rank 4 in [2048, 4095]:
	 * 4096 -> max 3000.  write: 5 x 2^62 saturates the sum; its
	 * percentiles in the last bucket are clamped to min = max.
	 */
	static const struct want q0[] = {
		{ "read_ops", 1 }, { "read_bytes", 4096 },
		{ "read_latency_count", 4 }, { "read_latency_sum_ns", 7500 },
		{ "read_latency_min_ns", 1500 }, { "read_latency_max_ns", 3000 },
		{ "read_latency_p50_ns", 1706 }, { "read_latency_p90_ns", 3000 },
		{ "read_latency_p99_ns", 3000 },
		{ "read_latency_p999_ns", 3000 },
		{ "write_latency_count", 5 },
		{ "write_latency_sum_ns", U64_MAX },
		{ "write_latency_min_ns", P2(62) },
		{ "write_latency_max_ns", P2(62) },
		{ "write_latency_p50_ns", P2(62) },
		{ "write_latency_p90_ns", P2(62) },
		{ "write_latency_p99_ns", P2(62) },
		{ "write_latency_p999_ns", P2(62) },
		{ NULL }
	};
	static const struct want_bucket q0_hist[] = {
		{ "read", 1, 3 }, { "read", 2, 1 }, { "write", 25, 5 },
	};

	u64 v;

	inject("ops 0 read 1500 3\nop 0 read 3000 4096 0\nops 0 read 9 0\n"
	       "ops 0 write 4611686018427387904 5\n");
	check_queue(_metadata, "q0", q0);
	check_histogram(_metadata, "q0", q0_hist, ARRAY_SIZE(q0_hist));
	check_queue(_metadata, "q1", all_zero);

	/* The product fits, the add wraps: 3 * 2^61 * 2, then + 3 * 2^61. */
	inject("ops 1 read 6917529027641081856 2\n"
	       "ops 1 read 6917529027641081856 1\n");
	ASSERT_EQ(0, read_u64(SYS "/q1/read_latency_sum_ns", &v));
	EXPECT_EQ(U64_MAX, v);
	ASSERT_EQ(0, read_u64(SYS "/q1/read_latency_count", &v));
	EXPECT_EQ(3ULL, v);
}

/*
 * A driver's completion loop gathers its latencies in a pvlens_lat_batch:
 * q0 takes them that way, q1 takes the same latencies one op at a time,
 * and every value and bucket of the two must agree.  read: 1000, 2000,
 * 3000 in one batch, then 500 alone (min moves down across batches).
 * write: 3 x 6 * 2^60 saturates the sum inside the batch.
 */
TEST_F(core, batch_records_as_single_ops_do)
{
	static const struct want_bucket hist[] = {
		{ "read", 0, 2 }, { "read", 1, 1 }, { "read", 2, 1 },
		{ "write", 25, 3 },
	};
	static const struct want want[] = {
		{ "read_ops", 4 }, { "read_latency_count", 4 },
		{ "read_latency_sum_ns", 6500 }, { "read_latency_min_ns", 500 },
		{ "read_latency_max_ns", 3000 }, { "write_latency_sum_ns", U64_MAX },
	};
	char path[256], q0[8192], q1[8192];
	unsigned int i;
	u64 v;

	inject("batch 0 read 1000 3000 3\nbatch 0 read 500 500 1\n"
	       "batch 0 write 6917529027641081856 6917529027641081856 3\n"
	       "batch 0 write 5 5 0\n"
	       "op 1 read 1000 0 0\nop 1 read 2000 0 0\nop 1 read 3000 0 0\n"
	       "op 1 read 500 0 0\nop 1 write 6917529027641081856 0 0\n"
	       "op 1 write 6917529027641081856 0 0\n"
	       "op 1 write 6917529027641081856 0 0\n");
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(path, sizeof(path), SYS "/q0/%s", want[i].name);
		ASSERT_EQ(0, read_u64(path, &v));
		EXPECT_EQ(want[i].val, v) TH_LOG("%s", want[i].name);
	}
	check_histogram(_metadata, "q0", hist, ARRAY_SIZE(hist));
	check_histogram(_metadata, "q1", hist, ARRAY_SIZE(hist));

	snprintf(path, sizeof(path), DBG "/q0/stats");
	ASSERT_LT(0, read_str(path, q0, sizeof(q0)));
	snprintf(path, sizeof(path), DBG "/q1/stats");
	ASSERT_LT(0, read_str(path, q1, sizeof(q1)));
	EXPECT_STREQ(q1, q0);
}

TEST_F(core, reset_zeroes_everything)
{
	/* After reset: only inflight (and max_inflight = inflight) remain. */
	static const struct want kept[] = {
		{ "inflight", 2 }, { "max_inflight", 2 }, { NULL }
	};
	/* min must restart from scratch: 5000 then 3000 gives min 3000. */
	static const struct want again[] = {
		{ "inflight", 2 }, { "max_inflight", 2 },
		{ "write_ops", 2 }, { "write_bytes", 2 },
		{ "write_latency_count", 2 }, { "write_latency_sum_ns", 8000 },
		{ "write_latency_min_ns", 3000 },
		{ "write_latency_max_ns", 5000 },
		/* rank 1: [2048, 4095]: 4096 -> within; rank 2: 8192 -> 5000 */
		{ "write_latency_p50_ns", 4096 },
		{ "write_latency_p90_ns", 5000 },
		{ "write_latency_p99_ns", 5000 },
		{ "write_latency_p999_ns", 5000 },
		{ NULL }
	};
	u64 v;

	inject("op 0 read 1500 4096 1\nop 1 write 3000 1 0\nkick 0 1500 3\n"
	       "kick 1 100 1\nsuppressed 0\nirq 1 1\nrequeue 0\n"
	       "count 1 err_test 9\ninflight 0 +6\ninflight 0 -4\n");
	ASSERT_EQ(0, read_u64(SYS "/q0/max_inflight", &v));
	ASSERT_EQ(6ULL, v);
	ASSERT_EQ(0, read_u64(SYS "/q1/err_test", &v));
	ASSERT_EQ(9ULL, v);

	ASSERT_EQ(0, write_str(SYS "/reset", "1\n"));
	check_queue(_metadata, "q0", kept);
	check_queue(_metadata, "q1", all_zero);
	check_histogram(_metadata, "q0", NULL, 0);
	check_histogram(_metadata, "q1", NULL, 0);

	inject("op 0 write 5000 1 0\nop 0 write 3000 1 0\n");
	check_queue(_metadata, "q0", again);
	inject("inflight 0 -2\n");
}

TEST_F(core, timing_switch_stops_latency)
{
	char buf[16];
	u64 v, max;

	ASSERT_EQ(0, write_str(TIMING, "N"));
	ASSERT_LT(0, read_str(TIMING, buf, sizeof(buf)));
	EXPECT_STREQ("N\n", buf);
	inject("op_now 0 read\nop_now 0 read\nop_now 0 read\n");
	ASSERT_EQ(0, read_u64(SYS "/q0/read_ops", &v));
	EXPECT_EQ(3ULL, v);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_count", &v));
	EXPECT_EQ(0ULL, v);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_sum_ns", &v));
	EXPECT_EQ(0ULL, v);

	ASSERT_EQ(0, write_str(TIMING, "Y"));
	ASSERT_LT(0, read_str(TIMING, buf, sizeof(buf)));
	EXPECT_STREQ("Y\n", buf);
	inject("op_now 0 read\nop_now 0 read\n");
	ASSERT_EQ(0, read_u64(SYS "/q0/read_ops", &v));
	EXPECT_EQ(5ULL, v);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_count", &v));
	EXPECT_EQ(2ULL, v);
	/* Two pvlens clock reads a few instructions apart: well under 1 s. */
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_max_ns", &max));
	EXPECT_GT(1000000000ULL, max);
	ASSERT_EQ(0, read_u64(SYS "/q0/read_latency_sum_ns", &v));
	EXPECT_GE(2 * max, v);
	EXPECT_LE(max, v);

	/* 0/1 work too (kstrtobool). */
	ASSERT_EQ(0, write_str(TIMING, "0"));
	ASSERT_LT(0, read_str(TIMING, buf, sizeof(buf)));
	EXPECT_STREQ("N\n", buf);
	ASSERT_EQ(0, write_str(TIMING, "1"));
	ASSERT_LT(0, read_str(TIMING, buf, sizeof(buf)));
	EXPECT_STREQ("Y\n", buf);
}

static u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The pvlens clock (the TSC, converted with tsc_khz, or local_clock()) in
 * ns against CLOCK_MONOTONIC: a latency timed around a sleep of N us is at
 * least N us (the kernel sleeps at least that long by its own clock, within
 * the TSC calibration's error) and at most the time the write took.
 */
TEST_F(core, clock_agrees_with_monotonic)
{
	static const unsigned int sleeps_us[] = { 2000, 50000, 300000 };
	const char *sum_path = SYS "/q1/write_latency_sum_ns";
	u64 sum = 0, lat, before, after, now_sum;
	unsigned int i;
	char cmd[64];

	for (i = 0; i < ARRAY_SIZE(sleeps_us); i++) {
		u64 want = sleeps_us[i] * 1000ULL;

		snprintf(cmd, sizeof(cmd), "op_sleep 1 write %u\n",
			 sleeps_us[i]);
		before = monotonic_ns();
		inject(cmd);
		after = monotonic_ns();
		ASSERT_EQ(0, read_u64(sum_path, &now_sum));
		lat = now_sum - sum;
		sum = now_sum;
		ksft_print_msg("slept %u us: latency %llu ns, write took %llu ns\n",
			       sleeps_us[i], lat, after - before);
		EXPECT_LE(want - want / 100, lat);
		EXPECT_GE(after - before + (after - before) / 100, lat);
	}
	ASSERT_EQ(0, read_u64(SYS "/q1/write_latency_count", &lat));
	EXPECT_EQ(ARRAY_SIZE(sleeps_us), lat);
}

TEST_F(core, garbage_is_einval)
{
	static const char * const bad_inject[] = {
		"bogus", "op 0 read 1 1", "op 0 read 1 1 0 9",
		"op 2 read 1 1 0", "op 0 flush 1 1 0", "op 0 read -1 1 0",
		"op 0 read +1 1 0", "op 0 read 1 1 2", "op 0 read 1x 1 0",
		"op  0 read 1 1 0", "op 0 read 1 1 0 ", " op 0 read 1 1 0",
		"op 0 read 18446744073709551616 1 0", "op_now 0",
		"op_sleep 0 read", "op_sleep 0 read 1000001",
		"ops 0 read 1", "ops 0 read 1 4294967296",
		"batch 0 read 1 2", "batch 0 read 2 1 3", "batch 0 read 1 2 1001",
		"kick 0 100 4294967296", "kick 0 100", "irq 0 2",
		"inflight 0 5", "inflight 0 +-5", "inflight 0 +",
		"count 0 nope 1", "count 0 err_test", "suppressed",
		"requeue 0 1", "requeue q0", "\n", "op 0 read 1 1 0\n\n",
		/* The valid first line must not be applied either. */
		"op 0 read 1 1 0\nbogus\n",
	};
	static const char * const bad_reset[] = {
		"0", "2", "11", "1x", "yes", "y", " 1",
	};
	static const char * const bad_timing[] = { "maybe", "2", "x" };
	unsigned int i;
	char buf[16];
	int err;

	for (i = 0; i < ARRAY_SIZE(bad_inject); i++) {
		err = write_str(INJECT, bad_inject[i]);
		if (err != -EINVAL)
			ksft_print_msg("inject '%s': %d\n", bad_inject[i], err);
		EXPECT_EQ(-EINVAL, err);
	}
	for (i = 0; i < ARRAY_SIZE(bad_reset); i++) {
		err = write_str(SYS "/reset", bad_reset[i]);
		if (err != -EINVAL)
			ksft_print_msg("reset '%s': %d\n", bad_reset[i], err);
		EXPECT_EQ(-EINVAL, err);
	}
	for (i = 0; i < ARRAY_SIZE(bad_timing); i++) {
		err = write_str(TIMING, bad_timing[i]);
		if (err != -EINVAL)
			ksft_print_msg("timing '%s': %d\n", bad_timing[i], err);
		EXPECT_EQ(-EINVAL, err);
	}
	ASSERT_LT(0, read_str(TIMING, buf, sizeof(buf)));
	EXPECT_STREQ("Y\n", buf);
	check_queue(_metadata, "q0", all_zero);
	check_queue(_metadata, "q1", all_zero);
}

TEST_F(core, create_refuses_duplicate_and_bad_desc)
{
	/* The module answers 0 only when the core returned the right error. */
	EXPECT_EQ(0, write_str(INJECT, "create_dup"));
	EXPECT_EQ(0, write_str(INJECT, "create_bad"));
	/* The first device is intact. */
	EXPECT_EQ(0, access(SYS "/q0/kicks", R_OK));
	EXPECT_EQ(0, access(DBG "/q0/stats", R_OK));
}

TEST_HARNESS_MAIN
