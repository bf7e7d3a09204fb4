// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the pvclock math of pvlens_clock
 * (include/pvlens/pvclock_math.h).  Every field of the pvclock and steal
 * records comes from the hypervisor, so each function is fed arbitrary
 * values and held against a 128-bit reference within its documented
 * contract: exact scaling, a (mul_frac, shift) pair that brackets the true
 * ratio, exact ppm/ppb below 2^54 and the documented saturation above.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pvlens/pvclock_math.h>
#include "../unit/pvclock_ref.h"

#define u128 unsigned __int128
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define s128 __int128

struct in {
	u64 delta, system_time, tsc_timestamp, tsc;
	u64 scaled_hz, base_hz, part, whole, d_clock, d_ref;
	u32 mul_frac;
	s8 shift;
};

static void check_scale(const struct in *in)
{
	u64 t;

	if (pvlens_pvclock_scale(in->delta, in->mul_frac, in->shift) !=
	    ref_scale(in->delta, in->mul_frac, in->shift))
		abort();
	t = pvlens_pvclock_time(in->system_time, in->tsc_timestamp,
				in->mul_frac, in->shift, in->tsc);
	if (t != in->system_time + ref_scale(in->tsc - in->tsc_timestamp,
					     in->mul_frac, in->shift))
		abort();
}

/* mul * 2^shift / 2^32 <= scaled / base < (mul + 1) * 2^shift / 2^32 */
static void check_time_scale(u64 scaled, u64 base)
{
	u32 mul = 0x5a5a5a5a;
	s8 shift = 0x5a;
	u128 l, r, r1;

	if (pvlens_pvclock_time_scale(scaled, base, &mul, &shift)) {
		if (scaled && base && !(scaled >> 32) && !(base >> 32))
			abort();
		if (mul != 0x5a5a5a5a || shift != 0x5a)
			abort();
		return;
	}
	if (!scaled || !base || scaled >> 32 || base >> 32)
		abort();
	if (mul < 0x80000000u || shift < -33 || shift > 33)
		abort();
	l = (u128)scaled << 32;
	r = (u128)mul * base;
	r1 = (u128)(mul + 1ULL) * base;
	if (shift >= 0) {
		r <<= shift;
		r1 <<= shift;
	} else {
		l <<= -shift;
	}
	if (r > l || l >= r1)
		abort();
}

static void check_ppm(u64 part, u64 whole)
{
	u64 got = pvlens_ppm(part, whole);
	u128 want;

	if (!whole) {
		if (got)
			abort();
		return;
	}
	if (whole >> 54)
		return;		/* outside the documented exact range */
	want = (u128)part * 1000000 / whole;
	if (got == ~0ULL)
		/* Saturation only when the quotient is (nearly) too big. */
		want = want >= (u128)(~0ULL / 1000000) * 1000000 ? got : 0;
	if (got != want)
		abort();
}

static void check_drift(u64 d_clock, u64 d_ref)
{
	s64 got = pvlens_drift_ppb(d_clock, d_ref);
	s128 diff, want;

	if (!d_ref) {
		if (got)
			abort();
		return;
	}
	if (d_ref >> 54)
		return;
	diff = (s128)d_clock - (s128)d_ref;
	if ((diff < 0 ? -diff : diff) / d_ref >= 4)
		want = diff < 0 ? -((s128)1 << 62) : (s128)1 << 62;
	else
		want = diff * 1000000000 / (s128)d_ref; /* truncates to 0 */
	if (got != want)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct in in = { 0 };
	const unsigned char *p = data;
	u64 *w[] = { &in.delta, &in.system_time, &in.tsc_timestamp, &in.tsc,
		     &in.scaled_hz, &in.base_hz, &in.part, &in.whole,
		     &in.d_clock, &in.d_ref };
	size_t i, j;

	if (size < 5)
		return 0;
	in.mul_frac = p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
	in.shift = (s8)p[4];
	p += 5;
	size -= 5;
	for (i = 0; i < ARRAY_SIZE(w); i++)
		for (j = 0; j < 8 && size; j++, size--)
			*w[i] |= (u64)*p++ << (8 * j);
	check_scale(&in);
	check_time_scale(in.scaled_hz, in.base_hz);
	/* Rates as a hypervisor sends them: kHz TSC, ns clock. */
	check_time_scale(1000000000, in.base_hz & 0xffffffff);
	check_time_scale(in.scaled_hz & 0xffffffff, in.base_hz & 0xffffffff);
	check_ppm(in.part, in.whole);
	check_drift(in.d_clock, in.d_ref);
	check_drift(in.d_clock & ((1ULL << 54) - 1), in.d_ref & ((1ULL << 54) - 1));
	return 0;
}
