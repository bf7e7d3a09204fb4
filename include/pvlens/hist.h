/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlens latency histogram: log2 nanosecond buckets and the percentile math.
 *
 * This header and drivers/core/hist.c build both in the kernel and as plain
 * userspace C, so the math is unit tested on the host with exact values.
 */
#ifndef _PVLENS_HIST_H
#define _PVLENS_HIST_H

#include <pvlens/types.h>

/*
 * Bucket 0 holds [0, 1024) ns, bucket b (1 <= b < LAST) holds
 * [2^(9+b), 2^(10+b)) ns, the last bucket holds everything from 2^34 ns
 * (17.2 s) up.  Powers of two keep the hot path to one count of leading zeros.
 */
#define PVLENS_HIST_BUCKETS	26
#define PVLENS_HIST_FIRST_SHIFT	10

/*
 * A histogram with its summary.  @min is meaningful only when @count != 0.
 * @sum saturates at U64_MAX instead of wrapping.
 */
struct pvlens_hist {
	u64 buckets[PVLENS_HIST_BUCKETS];
	u64 count;
	u64 sum;
	u64 min;
	u64 max;
};

/* Percentiles reported everywhere, in parts per thousand. */
#define PVLENS_P50	500
#define PVLENS_P90	900
#define PVLENS_P99	990
#define PVLENS_P999	999

#define PVLENS_HIST_LAST	(PVLENS_HIST_BUCKETS - 1)

/*
 * Inline: it is on every recording's path.  Bit length of ns, minus 10:
 * 1024..2047 -> 1, 2048..4095 -> 2.  The 2^9 bit gives every ns below 1024
 * the bit length 10, so bucket 0, without a branch (and never clz of 0).
 */
static inline unsigned int pvlens_hist_bucket(u64 ns)
{
	unsigned int b;

	b = 64 - __builtin_clzll(ns | (1ULL << (PVLENS_HIST_FIRST_SHIFT - 1))) -
	    PVLENS_HIST_FIRST_SHIFT;
	return b < PVLENS_HIST_LAST ? b : PVLENS_HIST_LAST;
}

u64 pvlens_hist_bucket_lo(unsigned int bucket);
/* Inclusive upper edge; U64_MAX for the last bucket. */
u64 pvlens_hist_bucket_hi(unsigned int bucket);

void pvlens_hist_record(struct pvlens_hist *h, u64 ns);
/* Adds @src into @dst: buckets and count add, sum saturates, min/max merge. */
void pvlens_hist_merge(struct pvlens_hist *dst, const struct pvlens_hist *src);
/*
 * Value at @per_mille (1..1000) of the samples: the bucket holding that rank,
 * interpolated linearly inside the bucket and clamped to [min, max].
 * 0 for an empty histogram.
 */
u64 pvlens_hist_percentile(const struct pvlens_hist *h, unsigned int per_mille);
u64 pvlens_sat_add(u64 a, u64 b);

#endif /* _PVLENS_HIST_H */
