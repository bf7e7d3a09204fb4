// SPDX-License-Identifier: GPL-2.0
/*
 * pvclock math of pvlens_clock held against an independent 128-bit reference:
 * edge mul/shift/TSC values, the hypervisor-side scale computation, and the
 * fixed-point steal and drift arithmetic.
 */
#include "unit.h"
#include <pvlens/pvclock_math.h>
#include "pvclock_ref.h"

#define u128 unsigned __int128
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const u64 deltas[] = {
	0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x100000001ULL, 1000000000ULL, 2999999999ULL, 0x123456789abcdefULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL,
	0xffffffffffffffffULL,
};

static const u32 muls[] = {
	0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xa0000000, 0xcccccccd,
	0xfffffffe, 0xffffffff,
};

static const int shifts[] = {
	-128, -64, -63, -33, -32, -31, -5, -1, 0, 1, 2, 5, 31, 32, 33, 63, 64,
	127,
};

static void test_scale_edges(void)
{
	unsigned int d, m, s, bad = 0, n = 0;
	u64 got, want;

	for (d = 0; d < ARRAY_SIZE(deltas); d++)
		for (m = 0; m < ARRAY_SIZE(muls); m++)
			for (s = 0; s < ARRAY_SIZE(shifts); s++) {
				got = pvlens_pvclock_scale(deltas[d], muls[m],
							   (s8)shifts[s]);
				want = ref_scale(deltas[d], muls[m], shifts[s]);
				n++;
				if (got != want) {
					bad++;
					printf("# scale %#llx * %#x shift %d: got %llu want %llu\n",
					       (unsigned long long)deltas[d],
					       muls[m], shifts[s],
					       (unsigned long long)got,
					       (unsigned long long)want);
				}
			}
	UNIT_EQ_U64(n, 16 * 10 * 18, "scale_edge_cases_count");
	UNIT_EQ_U64(bad, 0, "scale_edges_equal_128bit_reference");
}

/* xorshift64: deterministic pseudo-random values for a broad sweep. */
static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_scale_random(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < 1000000; i++) {
		u64 delta = rnd() >> (rnd() & 63);
		u32 mul = (u32)rnd();
		int shift = (int)(rnd() % 80) - 40;

		if (pvlens_pvclock_scale(delta, mul, (s8)shift) !=
		    ref_scale(delta, mul, shift))
			bad++;
	}
	UNIT_EQ_U64(bad, 0, "scale_1e6_random_equal_128bit_reference");
}

static void test_time(void)
{
	/* 1 GHz TSC: mul 2^31 with shift 1 is exactly one ns per tick. */
	UNIT_EQ_U64(pvlens_pvclock_time(1000, 500, 0x80000000, 1, 1500), 2000,
		    "time_1ghz_identity");
	/*
	 * TSC one tick behind the timestamp: the delta wraps to 2^64 - 1, the
	 * left shift drops its top bit, like the guest kernel.
	 */
	UNIT_EQ_U64(pvlens_pvclock_time(0, 10, 0x80000000, 1, 9),
		    0x7fffffffffffffffULL,
		    "time_tsc_before_timestamp_wraps");
	UNIT_EQ_U64(pvlens_pvclock_time(~0ULL, 0, 0x80000000, 1, 2), 1,
		    "time_system_time_wraps");
}

static int check_time_scale(u64 scaled, u64 base)
{
	u32 mul;
	s8 shift;
	u128 lo, hi, x;

	if (pvlens_pvclock_time_scale(scaled, base, &mul, &shift))
		return 0;
	if (mul < 0x80000000u)
		return 0;
	/* mul = floor(scaled * 2^(32 - shift) / base), checked as bounds. */
	x = (u128)scaled << 64;
	lo = (u128)mul * base << (32 + shift);
	hi = (u128)(mul + 1ULL) * base << (32 + shift);
	return lo <= x && x < hi;
}

static void test_time_scale(void)
{
	static const u64 rates[] = {
		1, 2, 3, 1000, 32768, 1000000, 14318180, 999999999,
		1000000000, 1000000001, 2100000000, 2992968000ULL,
		0xffffffffULL,
	};
	unsigned int a, b, bad = 0;
	u32 mul;
	s8 shift;

	for (a = 0; a < ARRAY_SIZE(rates); a++)
		for (b = 0; b < ARRAY_SIZE(rates); b++)
			if (!check_time_scale(rates[a], rates[b])) {
				bad++;
				printf("# time_scale %llu/%llu wrong\n",
				       (unsigned long long)rates[a],
				       (unsigned long long)rates[b]);
			}
	UNIT_EQ_U64(bad, 0, "time_scale_truncated_best_precision");

	pvlens_pvclock_time_scale(1000000000, 1000000000, &mul, &shift);
	UNIT_EQ_U64(mul, 0x80000000, "time_scale_1ghz_mul");
	UNIT_EQ_U64((u64)(shift + 100), 101, "time_scale_1ghz_shift");
	pvlens_pvclock_time_scale(1000000000, 2000000000, &mul, &shift);
	UNIT_EQ_U64(mul, 0x80000000, "time_scale_2ghz_mul");
	UNIT_EQ_U64((u64)(shift + 100), 100, "time_scale_2ghz_shift");
	/* One second of a 2.9 GHz TSC is one second, to the truncation. */
	pvlens_pvclock_time_scale(1000000000, 2992968000ULL, &mul, &shift);
	UNIT_EQ_U64(pvlens_pvclock_scale(2992968000ULL, mul, shift),
		    999999999, "time_scale_2992mhz_one_second");
	UNIT_TRUE(pvlens_pvclock_time_scale(1000000000, 0, &mul, &shift),
		  "time_scale_rejects_zero_rate");
	UNIT_TRUE(pvlens_pvclock_time_scale(1ULL << 32, 1000, &mul, &shift),
		  "time_scale_rejects_large_rate");
}

static void test_ppm(void)
{
	UNIT_EQ_U64(pvlens_ppm(250000000, 1000000000), 250000, "ppm_quarter");
	UNIT_EQ_U64(pvlens_ppm(1, 3), 333333, "ppm_truncates");
	UNIT_EQ_U64(pvlens_ppm(7, 7), 1000000, "ppm_whole");
	UNIT_EQ_U64(pvlens_ppm(5, 0), 0, "ppm_zero_whole");
	UNIT_EQ_U64(pvlens_ppm((1ULL << 54) - 1, (1ULL << 54) - 1), 1000000,
		    "ppm_large_whole");
	UNIT_EQ_U64(pvlens_ppm(60000000000ULL, 60000000001ULL), 999999,
		    "ppm_60s_just_below_whole");
	UNIT_EQ_U64(pvlens_ppm(~0ULL, 1), ~0ULL, "ppm_saturates");
}

static void test_drift(void)
{
	UNIT_EQ_U64(pvlens_drift_ppb(1000000001, 1000000000), 1, "drift_1ppb");
	UNIT_EQ_U64(pvlens_drift_ppb(999999999, 1000000000), (u64)-1LL,
		    "drift_minus_1ppb");
	UNIT_EQ_U64(pvlens_drift_ppb(10000500000ULL, 10000000000ULL), 50000,
		    "drift_50ppm");
	UNIT_EQ_U64(pvlens_drift_ppb(2, 1), 1000000000, "drift_double_rate");
	UNIT_EQ_U64(pvlens_drift_ppb(0, 1000), (u64)-1000000000LL,
		    "drift_stopped_clock");
	UNIT_EQ_U64(pvlens_drift_ppb(100, 0), 0, "drift_zero_reference");
	UNIT_EQ_U64(pvlens_drift_ppb(~0ULL, 1), 1ULL << 62, "drift_saturates");
	UNIT_EQ_U64(pvlens_drift_ppb(1ULL << 53, (1ULL << 53) - 1), 0,
		    "drift_large_truncates_to_zero");
}

int main(void)
{
	test_scale_edges();
	test_scale_random();
	test_time();
	test_time_scale();
	test_ppm();
	test_drift();
	return unit_done("pvclock");
}
