// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens latency histogram math.  Builds in the kernel and, included by
 * unit/test_hist.c, as plain userspace C: no kernel-only calls here.
 */
#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/math64.h>
#endif
#include <pvlens/hist.h>

#ifndef __KERNEL__
#define EXPORT_SYMBOL_GPL(sym)

/* a * b / c; the quotient must fit in 64 bits. */
static u64 mul_u64_u64_div_u64(u64 a, u64 b, u64 c)
{
	return (__uint128_t)a * b / c;
}
#endif

u64 pvlens_sat_add(u64 a, u64 b)
{
	return a + b < a ? U64_MAX : a + b;
}
EXPORT_SYMBOL_GPL(pvlens_sat_add);

u64 pvlens_hist_bucket_lo(unsigned int bucket)
{
	if (!bucket)
		return 0;
	if (bucket > PVLENS_HIST_LAST)
		bucket = PVLENS_HIST_LAST;
	return 1ULL << (PVLENS_HIST_FIRST_SHIFT - 1 + bucket);
}
EXPORT_SYMBOL_GPL(pvlens_hist_bucket_lo);

u64 pvlens_hist_bucket_hi(unsigned int bucket)
{
	if (bucket >= PVLENS_HIST_LAST)
		return U64_MAX;
	return (1ULL << (PVLENS_HIST_FIRST_SHIFT + bucket)) - 1;
}
EXPORT_SYMBOL_GPL(pvlens_hist_bucket_hi);

void pvlens_hist_record(struct pvlens_hist *h, u64 ns)
{
	h->buckets[pvlens_hist_bucket(ns)]++;
	if (!h->count || ns < h->min)
		h->min = ns;
	if (!h->count || ns > h->max)
		h->max = ns;
	h->count++;
	h->sum = pvlens_sat_add(h->sum, ns);
}
EXPORT_SYMBOL_GPL(pvlens_hist_record);

void pvlens_hist_merge(struct pvlens_hist *dst, const struct pvlens_hist *src)
{
	unsigned int b;

	for (b = 0; b < PVLENS_HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
	/* An empty @src has no meaningful min. */
	if (src->count) {
		if (!dst->count || src->min < dst->min)
			dst->min = src->min;
		if (!dst->count || src->max > dst->max)
			dst->max = src->max;
	}
	dst->count += src->count;
	dst->sum = pvlens_sat_add(dst->sum, src->sum);
}
EXPORT_SYMBOL_GPL(pvlens_hist_merge);

/*
 * With n samples in the bucket and the wanted sample k-th of them (1 <= k <=
 * n), the value is lo + (end - lo) * k / n, rounded down, where end = hi + 1,
 * or max for the last bucket (which has no upper edge).  Ranks are counted
 * over the buckets rather than @count: a histogram summed from per-CPU copies
 * while they change may have the two off by a few, and the buckets are what
 * is searched.
 */
u64 pvlens_hist_percentile(const struct pvlens_hist *h, unsigned int per_mille)
{
	u64 total = 0, before = 0, rank, lo, end, val;
	unsigned int b;

	for (b = 0; b < PVLENS_HIST_BUCKETS; b++)
		total += h->buckets[b];
	if (!total)
		return 0;
	if (per_mille > 1000)
		per_mille = 1000;

	/* ceil(total * per_mille / 1000) without a 128-bit product. */
	rank = total / 1000 * per_mille +
	       (total % 1000 * per_mille + 999) / 1000;
	if (!rank)
		rank = 1;

	for (b = 0; b < PVLENS_HIST_LAST; b++) {
		if (before + h->buckets[b] >= rank)
			break;
		before += h->buckets[b];
	}
	if (!h->buckets[b])	/* Only when the counts are inconsistent. */
		return h->max;

	lo = pvlens_hist_bucket_lo(b);
	if (b == PVLENS_HIST_LAST)
		end = h->max > lo ? h->max : lo;
	else
		end = pvlens_hist_bucket_hi(b) + 1;
	/* rank - before <= buckets[b], so the quotient fits in 64 bits. */
	val = lo + mul_u64_u64_div_u64(end - lo, rank - before, h->buckets[b]);

	if (val < h->min)
		val = h->min;
	if (val > h->max)
		val = h->max;
	return val;
}
EXPORT_SYMBOL_GPL(pvlens_hist_percentile);

