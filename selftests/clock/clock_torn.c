// SPDX-License-Identifier: GPL-2.0
/*
 * Torn-read stress: the simulated hypervisor rewrites every area as fast as
 * it can with value pairs that only a whole update satisfies, while one
 * reader thread per online CPU reads pvlens_clock's versioned snapshot of
 * every area.  With the version protocol no pair may break; without it (the
 * simulator's negative control) pairs must break, proving the check can see
 * a torn read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The harness header has an unused parameter; selftests build with -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define SIM_CONTROL	"/sys/kernel/debug/pvlens_clock_sim/control"
#define SNAPSHOT	"/sys/kernel/debug/pvlens_clock/snapshot"
#define RETRIES		"/sys/kernel/debug/pvlens_clock/read_retries"
#define HASH		2654435761U
#define RUN_SECONDS	4

struct reader {
	pthread_t thread;
	int cpu;
	unsigned long reads;
	unsigned long lines;
	unsigned long torn;
	unsigned long unparsed;
	char first_torn[256];
};

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static unsigned long long read_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One snapshot line: is every pair consistent? 1 yes, 0 torn, -1 unparsed. */
static int check_line(const char *line)
{
	unsigned long long tsc, sys, steal;
	unsigned int cpu, pv_version, mul, flags, st_version, st_flags, pre;
	int shift;

	if (sscanf(line, "%u %u %llu %llu %u %d %u %u %llu %u %u", &cpu,
		   &pv_version, &tsc, &sys, &mul, &shift, &flags, &st_version,
		   &steal, &st_flags, &pre) != 11)
		return -1;
	return sys == ~tsc && mul == (unsigned int)tsc * HASH &&
	       st_flags == (unsigned int)steal * HASH;
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	double end = now_s() + RUN_SECONDS;
	char buf[4096], *line, *save;
	cpu_set_t set;
	ssize_t n;
	int fd, ok;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return NULL;
	fd = open(SNAPSHOT, O_RDONLY);
	if (fd < 0)
		return NULL;
	while (now_s() < end) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		r->reads++;
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			r->lines++;
			ok = check_line(line);
			if (ok < 0) {
				r->unparsed++;
			} else if (!ok) {
				if (!r->torn)
					snprintf(r->first_torn,
						 sizeof(r->first_torn), "%s",
						 line);
				r->torn++;
			}
		}
	}
	close(fd);
	return NULL;
}

/* Run one reader per online CPU under stress @mode; returns torn pairs. */
static unsigned long run_readers(struct __test_metadata *_metadata,
				 const char *mode, unsigned long *reads,
				 unsigned long *unparsed)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;
	struct reader *r = calloc(ncpu, sizeof(*r));
	unsigned long torn = 0;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, write_str(SIM_CONTROL, mode));
	for (i = 0; i < ncpu; i++) {
		r[i].cpu = i;
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL, reader_fn,
					    &r[i]));
	}
	*reads = *unparsed = 0;
	for (i = 0; i < ncpu; i++) {
		pthread_join(r[i].thread, NULL);
		TH_LOG("cpu%d: %lu reads, %lu lines, %lu torn%s%s", i,
		       r[i].reads, r[i].lines, r[i].torn,
		       r[i].torn ? ", first: " : "", r[i].first_torn);
		torn += r[i].torn;
		*reads += r[i].reads;
		*unparsed += r[i].unparsed;
		EXPECT_LT(100UL, r[i].reads);
	}
	EXPECT_EQ(0, write_str(SIM_CONTROL, "stress 0"));
	free(r);
	return torn;
}

FIXTURE(sim) {
	int loaded_here;
};

FIXTURE_SETUP(sim)
{
	char cmd[512];
	const char *top = getenv("PVLENS_TOP");

	self->loaded_here = 0;
	if (access(SIM_CONTROL, W_OK)) {
		if (access("/sys/kernel/pvlens/clock/source", R_OK))
			SKIP(return, "pvlens_clock is not loaded");
		snprintf(cmd, sizeof(cmd),
			 "insmod %s/drivers/clock/pvlens_clock_sim.ko",
			 top ? top : "../..");
		ASSERT_EQ(0, system(cmd));
		self->loaded_here = 1;
	}
	ASSERT_EQ(0, access(SIM_CONTROL, W_OK));
}

FIXTURE_TEARDOWN(sim)
{
	write_str(SIM_CONTROL, "stress 0");
	if (self->loaded_here && system("rmmod pvlens_clock_sim"))
		TH_LOG("rmmod pvlens_clock_sim failed");
}

TEST_F(sim, torn_read_never_seen_with_version_protocol)
{
	unsigned long long r0 = read_ull(RETRIES), r1;
	unsigned long reads, unparsed, torn;

	torn = run_readers(_metadata, "stress 1", &reads, &unparsed);
	r1 = read_ull(RETRIES);
	TH_LOG("%lu snapshots, %llu version retries", reads, r1 - r0);
	EXPECT_EQ(0UL, unparsed);
	EXPECT_EQ(0UL, torn);
	/* Retries prove the readers did overlap the writer. */
	EXPECT_LT(0ULL, r1 - r0);
}

TEST_F(sim, torn_read_detected_without_version_protocol)
{
	unsigned long reads, unparsed, torn;

	torn = run_readers(_metadata, "stress 2", &reads, &unparsed);
	TH_LOG("%lu snapshots, %lu torn pairs", reads, torn);
	EXPECT_EQ(0UL, unparsed);
	EXPECT_LT(0UL, torn);
}

TEST_HARNESS_MAIN
