// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pvlens histogram and percentile math
 * (drivers/core/hist.c), with values computed by hand in the comments.
 *
 * Percentile rule: rank = ceil(total * p / 1000) (at least 1); in the bucket
 * [lo, hi] holding that rank, with n samples there and the rank k-th of them,
 * value = lo + (end - lo) * k / n rounded down, end = hi + 1 (max for the
 * last bucket), then clamped to [min, max].
 */
#include "unit.h"
#include "../drivers/core/hist.c"

#define P2(n)	(1ULL << (n))

static void hist_of(struct pvlens_hist *h, const u64 *v, unsigned int n)
{
	memset(h, 0, sizeof(*h));
	while (n--)
		pvlens_hist_record(h, *v++);
}

static void test_bucket_edges(void)
{
	unsigned int b;
	int ok = 1;

	UNIT_EQ_U64(pvlens_hist_bucket(0), 0, "bucket(0)");
	UNIT_EQ_U64(pvlens_hist_bucket(1023), 0, "bucket(1023)");
	UNIT_EQ_U64(pvlens_hist_bucket(1024), 1, "bucket(1024)");
	UNIT_EQ_U64(pvlens_hist_bucket(2047), 1, "bucket(2047)");
	UNIT_EQ_U64(pvlens_hist_bucket(2048), 2, "bucket(2048)");
	UNIT_EQ_U64(pvlens_hist_bucket(P2(33)), 24, "bucket(2^33)");
	UNIT_EQ_U64(pvlens_hist_bucket(P2(34) - 1), 24, "bucket(2^34-1)");
	UNIT_EQ_U64(pvlens_hist_bucket(P2(34)), 25, "bucket(2^34)");
	UNIT_EQ_U64(pvlens_hist_bucket(P2(63)), 25, "bucket(2^63)");
	UNIT_EQ_U64(pvlens_hist_bucket(U64_MAX), 25, "bucket(U64_MAX)");

	UNIT_EQ_U64(pvlens_hist_bucket_lo(0), 0, "lo(0)");
	UNIT_EQ_U64(pvlens_hist_bucket_hi(0), 1023, "hi(0)");
	UNIT_EQ_U64(pvlens_hist_bucket_lo(1), 1024, "lo(1)");
	UNIT_EQ_U64(pvlens_hist_bucket_hi(1), 2047, "hi(1)");
	UNIT_EQ_U64(pvlens_hist_bucket_lo(24), P2(33), "lo(24)");
	UNIT_EQ_U64(pvlens_hist_bucket_hi(24), P2(34) - 1, "hi(24)");
	UNIT_EQ_U64(pvlens_hist_bucket_lo(25), P2(34), "lo(25)");
	UNIT_EQ_U64(pvlens_hist_bucket_hi(25), U64_MAX, "hi(25)");

	/* Every bucket holds its own edges and touches the next one. */
	for (b = 0; b < PVLENS_HIST_BUCKETS; b++) {
		if (pvlens_hist_bucket(pvlens_hist_bucket_lo(b)) != b ||
		    pvlens_hist_bucket(pvlens_hist_bucket_hi(b)) != b)
			ok = 0;
		if (b + 1 < PVLENS_HIST_BUCKETS &&
		    pvlens_hist_bucket_hi(b) + 1 != pvlens_hist_bucket_lo(b + 1))
			ok = 0;
	}
	UNIT_TRUE(ok, "buckets contiguous, edges inside");
}

static void test_sat_add(void)
{
	UNIT_EQ_U64(pvlens_sat_add(1, 2), 3, "sat_add 1+2");
	UNIT_EQ_U64(pvlens_sat_add(U64_MAX - 1, 1), U64_MAX, "sat_add exact max");
	UNIT_EQ_U64(pvlens_sat_add(U64_MAX, 1), U64_MAX, "sat_add max+1");
	UNIT_EQ_U64(pvlens_sat_add(P2(63), P2(63)), U64_MAX, "sat_add 2^63+2^63");
}

static void test_empty(void)
{
	struct pvlens_hist h;

	memset(&h, 0, sizeof(h));
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), 0, "empty p50");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), 0, "empty p999");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 1000), 0, "empty p100");
}

static void test_single(void)
{
	static const u64 v1500[] = { 1500 }, v0[] = { 0 };
	struct pvlens_hist h;

	/* Bucket 1: 1024 + 1024 * 1/1 = 2048, clamped to max 1500. */
	hist_of(&h, v1500, 1);
	UNIT_EQ_U64(h.count, 1, "single count");
	UNIT_EQ_U64(h.sum, 1500, "single sum");
	UNIT_EQ_U64(h.min, 1500, "single min");
	UNIT_EQ_U64(h.max, 1500, "single max");
	UNIT_EQ_U64(h.buckets[1], 1, "single bucket 1");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), 1500, "single p50");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), 1500, "single p999");
	/* per_mille 0 still means rank 1. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 0), 1500, "single p0");

	/* Bucket 0: 0 + 1024 = 1024, clamped to max 0. */
	hist_of(&h, v0, 1);
	UNIT_EQ_U64(h.buckets[0], 1, "zero sample bucket 0");
	UNIT_EQ_U64(h.min, 0, "zero sample min");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P99), 0, "zero sample p99");
}

static void test_spread(void)
{
	struct pvlens_hist h;
	unsigned int i;

	/*
	 * 50 x 500 (bucket 0), 40 x 1500 (bucket 1), 9 x 3000 (bucket 2,
	 * [2048, 4096)), 1 x 1000000 (bucket 10, [524288, 1048576)).
	 * sum = 25000 + 60000 + 27000 + 1000000 = 1112000.
	 */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 50; i++)
		pvlens_hist_record(&h, 500);
	for (i = 0; i < 40; i++)
		pvlens_hist_record(&h, 1500);
	for (i = 0; i < 9; i++)
		pvlens_hist_record(&h, 3000);
	pvlens_hist_record(&h, 1000000);

	UNIT_EQ_U64(h.count, 100, "spread count");
	UNIT_EQ_U64(h.sum, 1112000, "spread sum");
	UNIT_EQ_U64(h.min, 500, "spread min");
	UNIT_EQ_U64(h.max, 1000000, "spread max");
	UNIT_EQ_U64(h.buckets[10], 1, "spread bucket 10");
	/* rank 50 = 50th of 50 in bucket 0: 0 + 1024 * 50/50 = 1024. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), 1024, "spread p50");
	/* rank 90 = 40th of 40 in bucket 1: 1024 + 1024 = 2048. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P90), 2048, "spread p90");
	/* rank 99 = 9th of 9 in bucket 2: 2048 + 2048 = 4096. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P99), 4096, "spread p99");
	/* rank ceil(99.9) = 100, bucket 10: 524288 + 524288 -> max 1000000. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), 1000000,
		    "spread p999");
	/* rank ceil(0.1) = 1 -> 1st of 50 in bucket 0: 1024/50 = 20 -> min. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 1), 500, "spread p0.1");
}

static void test_interpolation(void)
{
	static const u64 three[] = { 1100, 1600, 2000 };
	struct pvlens_hist h;
	unsigned int i;

	/* 10 samples 4106, 4506, ..., 7706 in bucket 3 = [4096, 8192). */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 10; i++)
		pvlens_hist_record(&h, 4106 + 400 * i);
	/* rank 1: 4096 + 4096 * 1/10 = 4096 + 409 = 4505. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 100), 4505, "interp p10");
	/* rank 3: 4096 + 12288/10 = 4096 + 1228 = 5324. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 300), 5324, "interp p30");
	/* rank 5: 4096 + 2048 = 6144. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), 6144, "interp p50");
	/* rank 9: 4096 + 36864/10 = 7782, clamped to max 7706. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P90), 7706, "interp p90");
	UNIT_EQ_U64(h.sum, 10 * 4106 + 400 * 45, "interp sum");

	/* 3 samples in bucket 1. */
	hist_of(&h, three, 3);
	/* rank ceil(0.003) = 1: 1024 + 1024/3 = 1024 + 341 = 1365. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 1), 1365, "three p0.1");
	/* rank ceil(1.5) = 2: 1024 + 2048/3 = 1024 + 682 = 1706. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), 1706, "three p50");
	/* rank ceil(2.997) = 3: 2048, clamped to max 2000. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), 2000, "three p999");
}

static void test_last_bucket(void)
{
	static const u64 two[] = { P2(34), P2(35) }, huge[] = { P2(34), U64_MAX };
	struct pvlens_hist h;

	/* Last bucket interpolates up to max: 2^34 + (2^35 - 2^34) * 1/2. */
	hist_of(&h, two, 2);
	UNIT_EQ_U64(h.buckets[25], 2, "last bucket count");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50), P2(34) + P2(33),
		    "last p50");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), P2(35), "last p999");

	/*
	 * 2^34 + (U64_MAX - 2^34) / 2 = 2^34 + (2^63 - 2^33 - 1)
	 * = 2^63 + 2^33 - 1 = 9223372045444710399.
	 */
	hist_of(&h, huge, 2);
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P50),
		    9223372045444710399ULL, "huge p50");
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), U64_MAX,
		    "huge p999");
	UNIT_EQ_U64(h.sum, U64_MAX, "huge sum saturates");
	UNIT_EQ_U64(h.min, P2(34), "huge min");
}

static void test_big_counts(void)
{
	struct pvlens_hist h;

	/*
	 * total = 10^18 + 1: total * 999 overflows 64 bits.  p99.9 rank =
	 * ceil(999 * 10^15 + 0.999) = 999 * 10^15 + 1, in bucket 0 (10^18
	 * samples): 1024 * (999 * 10^15 + 1) / 10^18 = 1022.97 -> 1022.
	 */
	memset(&h, 0, sizeof(h));
	h.buckets[0] = 1000000000000000000ULL;
	h.buckets[1] = 1;
	h.count = h.buckets[0] + 1;
	h.min = 0;
	h.max = 1500;
	UNIT_EQ_U64(pvlens_hist_percentile(&h, PVLENS_P999), 1022,
		    "10^18 samples p999");
	/* rank = total: the one sample in bucket 1, 2048 -> max 1500. */
	UNIT_EQ_U64(pvlens_hist_percentile(&h, 1000), 1500, "10^18 samples p100");
}

static void test_merge(void)
{
	static const u64 a[] = { 1500, 3000 }, b[] = { 700, 5000 };
	struct pvlens_hist ha, hb, m, e, z;

	hist_of(&ha, a, 2);
	hist_of(&hb, b, 2);
	memset(&m, 0, sizeof(m));
	memset(&e, 0, sizeof(e));
	memset(&z, 0, sizeof(z));

	/* An empty source (min 0 or U64_MAX) must not touch min/max. */
	e.min = U64_MAX;
	pvlens_hist_merge(&m, &ha);
	pvlens_hist_merge(&m, &e);
	pvlens_hist_merge(&m, &z);
	pvlens_hist_merge(&m, &hb);
	UNIT_EQ_U64(m.count, 4, "merge count");
	UNIT_EQ_U64(m.sum, 10200, "merge sum");
	UNIT_EQ_U64(m.min, 700, "merge min");
	UNIT_EQ_U64(m.max, 5000, "merge max");
	/* 700 -> 0, 1500 -> 1, 3000 -> 2, 5000 -> 3. */
	UNIT_TRUE(m.buckets[0] == 1 && m.buckets[1] == 1 && m.buckets[2] == 1 &&
		  m.buckets[3] == 1, "merge buckets");
	/* rank 2 = 1500 in bucket 1: 1024 + 1024 = 2048. */
	UNIT_EQ_U64(pvlens_hist_percentile(&m, PVLENS_P50), 2048, "merge p50");

	/* Into an empty destination: min comes from the source. */
	memset(&m, 0, sizeof(m));
	pvlens_hist_merge(&m, &hb);
	UNIT_EQ_U64(m.min, 700, "merge into empty min");
	UNIT_EQ_U64(m.max, 5000, "merge into empty max");
}

static void test_sum_saturation(void)
{
	struct pvlens_hist h, m;
	int i;

	/* Up to exactly U64_MAX, then stuck there. */
	memset(&h, 0, sizeof(h));
	pvlens_hist_record(&h, U64_MAX - 10);
	pvlens_hist_record(&h, 10);
	UNIT_EQ_U64(h.sum, U64_MAX, "record sum reaches U64_MAX");
	pvlens_hist_record(&h, 1);
	UNIT_EQ_U64(h.sum, U64_MAX, "record sum stays at U64_MAX");
	UNIT_EQ_U64(h.count, 3, "record count after saturation");

	/* Three per-CPU sums of 2^63 - 1: a wrapping add would give 2^63 - 3. */
	memset(&h, 0, sizeof(h));
	pvlens_hist_record(&h, P2(63) - 1);
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 3; i++)
		pvlens_hist_merge(&m, &h);
	UNIT_EQ_U64(m.sum, U64_MAX, "merge sum saturates");
	UNIT_EQ_U64(m.count, 3, "merge count after saturation");
	UNIT_EQ_U64(m.buckets[25], 3, "merge buckets after saturation");
}

int main(void)
{
	test_bucket_edges();
	test_sat_add();
	test_empty();
	test_single();
	test_spread();
	test_interpolation();
	test_last_bucket();
	test_big_counts();
	test_merge();
	test_sum_saturation();
	return unit_done("hist");
}
