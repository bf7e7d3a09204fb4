// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the histogram math of pvlens_core
 * (drivers/core/hist.c), included as plain userspace C like the unit test.
 *
 * The first input byte picks a mode.  Even: the rest are samples, recorded
 * into two histograms that are merged, and the merge and the percentiles
 * (all of 1..1000 per mille for one input in eight) are held against a
 * 128-bit reference.  Odd: the rest
 * is a raw struct pvlens_hist, as a reader racing the per-CPU writers may see
 * it (counts off, sums wrapped, min > max): no undefined behaviour, results
 * clamped, and the precondition of mul_u64_u64_div_u64() holds, since on
 * x86-64 the kernel's version faults when the quotient does not fit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../drivers/core/hist.c"

#define u128 unsigned __int128
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The harness's own loops need no coverage feedback, and cost most. */
#define NOCOV __attribute__((no_sanitize("coverage")))

static NOCOV u64 get_u64(const unsigned char **p, size_t *n)
{
	u64 v = 0;
	size_t i, k = *n < 8 ? *n : 8;

	for (i = 0; i < k; i++)
		v |= (u64)(*p)[i] << (8 * i);
	*p += k;
	*n -= k;
	return v;
}

/* The documented percentile rule, spelled with 128-bit integers. */
static NOCOV u64 ref_percentile(const struct pvlens_hist *h, unsigned int pm)
{
	u128 total = 0, rank, before = 0, lo, end, val;
	unsigned int b;

	for (b = 0; b < PVLENS_HIST_BUCKETS; b++)
		total += h->buckets[b];
	if (!total)
		return 0;
	rank = (total * pm + 999) / 1000;
	if (!rank)
		rank = 1;
	for (b = 0; b < PVLENS_HIST_BUCKETS - 1; b++) {
		if (before + h->buckets[b] >= rank)
			break;
		before += h->buckets[b];
	}
	lo = b ? (u128)1 << (PVLENS_HIST_FIRST_SHIFT - 1 + b) : 0;
	if (b == PVLENS_HIST_BUCKETS - 1)
		end = h->max > lo ? h->max : lo;
	else
		end = (u128)1 << (PVLENS_HIST_FIRST_SHIFT + b);
	val = lo + (end - lo) * (rank - before) / h->buckets[b];
	if (val < h->min)
		val = h->min;
	if (val > h->max)
		val = h->max;
	return (u64)val;
}

/*
 * The rank search of pvlens_hist_percentile() on raw counts: the bucket it
 * divides by must hold at least rank - before samples.
 */
static NOCOV void check_quotient_fits(const struct pvlens_hist *h, unsigned int pm)
{
	u64 total = 0, before = 0, rank;
	unsigned int b;

	for (b = 0; b < PVLENS_HIST_BUCKETS; b++)
		total += h->buckets[b];
	if (!total)
		return;
	if (pm > 1000)
		pm = 1000;
	rank = total / 1000 * pm + (total % 1000 * pm + 999) / 1000;
	if (!rank)
		rank = 1;
	if (rank > total)
		abort();
	for (b = 0; b < PVLENS_HIST_LAST; b++) {
		if (before + h->buckets[b] >= rank)
			break;
		before += h->buckets[b];
	}
	if (h->buckets[b] && rank - before > h->buckets[b])
		abort();
}

/*
 * Which per_mille values to check: all 1000 for one input in eight, else
 * the reported ones and a stride, which keeps the rate useful.
 */
static NOCOV bool pm_wanted(unsigned int pm, bool all)
{
	return all || pm <= 3 || pm % 37 == 1 || pm == PVLENS_P50 ||
	       pm == PVLENS_P90 || pm == PVLENS_P99 || pm >= PVLENS_P999;
}

static NOCOV void fuzz_samples(const unsigned char *p, size_t n, bool every)
{
	struct pvlens_hist a, b, all, ref;
	u64 prev = 0, v, half = n / 16;
	unsigned int i, pm;
	u128 sum = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	memset(&ref, 0, sizeof(ref));
	for (i = 0; n; i++) {
		v = get_u64(&p, &n);
		/* Low byte as a right shift: spread samples over all buckets. */
		v >>= v & 63;
		pvlens_hist_record(i < half ? &a : &b, v);
		pvlens_hist_record(&all, v);
		ref.buckets[pvlens_hist_bucket(v)]++;
		if (!ref.count || v < ref.min)
			ref.min = v;
		if (!ref.count || v > ref.max)
			ref.max = v;
		ref.count++;
		sum += v;
		if (v < pvlens_hist_bucket_lo(pvlens_hist_bucket(v)) ||
		    v > pvlens_hist_bucket_hi(pvlens_hist_bucket(v)))
			abort();
	}
	ref.sum = sum > U64_MAX ? U64_MAX : (u64)sum;
	if (memcmp(&all, &ref, sizeof(ref)))
		abort();
	pvlens_hist_merge(&a, &b);
	if (memcmp(&a, &ref, sizeof(ref)) && ref.count)
		abort();
	for (pm = 1; pm <= 1000; pm++) {
		if (!pm_wanted(pm, every))
			continue;
		v = pvlens_hist_percentile(&all, pm);
		if (v != ref_percentile(&ref, pm))
			abort();
		if (ref.count && (v < ref.min || v > ref.max || v < prev))
			abort();
		prev = v;
	}
	if (pvlens_hist_percentile(&all, 0) != pvlens_hist_percentile(&all, 1) ||
	    pvlens_hist_percentile(&all, 5000) != prev)
		abort();
}

static void fuzz_raw(const unsigned char *p, size_t n)
{
	static const unsigned int pms[] = { 0, 1, 500, 900, 990, 999, 1000,
					    1001, ~0u };
	struct pvlens_hist h, s;
	u64 v, total = 0;
	unsigned int i;
	u128 sum;

	memset(&h, 0, sizeof(h));
	memset(&s, 0, sizeof(s));
	memcpy(&h, p, n < sizeof(h) ? n : sizeof(h));
	if (n > sizeof(h))
		memcpy(&s, p + sizeof(h),
		       n - sizeof(h) < sizeof(s) ? n - sizeof(h) : sizeof(s));
	for (i = 0; i < PVLENS_HIST_BUCKETS; i++)
		total += h.buckets[i];
	for (i = 0; i < ARRAY_SIZE(pms); i++) {
		check_quotient_fits(&h, pms[i]);
		v = pvlens_hist_percentile(&h, pms[i]);
		/* 0 when empty, else clamped to [min, max] if that exists. */
		if (!total ? v : h.min <= h.max && (v < h.min || v > h.max))
			abort();
	}
	sum = (u128)h.sum + s.sum;
	pvlens_hist_merge(&h, &s);
	if (h.sum != (sum > U64_MAX ? U64_MAX : (u64)sum))
		abort();
	for (i = 0; i < ARRAY_SIZE(pms); i++) {
		check_quotient_fits(&h, pms[i]);
		pvlens_hist_percentile(&h, pms[i]);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_raw(data + 1, size - 1);
	else if (size <= 1 + 8 * 4096)	/* 1000 percentiles per input */
		fuzz_samples(data + 1, size - 1, !(data[0] & 0x0e));
	return 0;
}
