/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvclock time math and steal-window arithmetic, shared by pvlens_clock, its
 * simulated hypervisor and the host unit test (unit/test_pvclock.c).
 *
 * Builds both in the kernel and as plain userspace C, with 64-bit arithmetic
 * only, so the unit test can hold it against an independent 128-bit
 * reference.
 */
#ifndef _PVLENS_PVCLOCK_MATH_H
#define _PVLENS_PVCLOCK_MATH_H

#include <pvlens/types.h>

/*
 * The pvclock scaling of a TSC delta: shift @delta left by @shift (right when
 * negative), multiply by the 32.32 fraction @mul_frac and keep the 64 bits
 * above the binary point, as the guest kernel does.  Bits shifted out are lost
 * like there; a shift of 64 or more positions yields 0 instead of the
 * undefined behaviour of a C shift (a hypervisor never sends one).
 */
static inline u64 pvlens_pvclock_scale(u64 delta, u32 mul_frac, s8 shift)
{
	if (shift <= -64 || shift >= 64)
		return 0;
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	/* (hi * 2^32 + lo) * mul / 2^32 = hi * mul + (lo * mul) / 2^32 */
	return (delta >> 32) * mul_frac +
	       (((delta & 0xffffffffULL) * mul_frac) >> 32);
}

/* The pvclock time (ns) at TSC value @tsc; wraps like the guest kernel. */
static inline u64 pvlens_pvclock_time(u64 system_time, u64 tsc_timestamp,
				      u32 mul_frac, s8 shift, u64 tsc)
{
	return system_time +
	       pvlens_pvclock_scale(tsc - tsc_timestamp, mul_frac, shift);
}

/*
 * The (mul_frac, shift) a hypervisor publishes for a counter of @base_hz
 * ticks per second read as @scaled_hz units per second (1e9 for ns): the
 * largest precision, mul_frac in [2^31, 2^32), truncated towards zero.  Both
 * rates must be in [1, 2^32).  Returns 0, or -1 for rates out of range.
 */
static inline int pvlens_pvclock_time_scale(u64 scaled_hz, u64 base_hz,
					    u32 *mul_frac, s8 *shift)
{
	u64 x = scaled_hz, y = base_hz, q = 0;
	int s = 0, i;

	if (!x || !y || x >> 32 || y >> 32)
		return -1;
	/* Find s with scaled / (base * 2^s) in [1/2, 1), as x / y. */
	while (y <= x) {
		y <<= 1;
		s++;
	}
	while (y > 2 * x) {
		if (y & 1)
			x <<= 1;
		else
			y >>= 1;
		s--;
	}
	/* 32 fraction bits of x / y by long division. */
	for (i = 0; i < 32; i++) {
		x <<= 1;
		q <<= 1;
		if (x >= y) {
			x -= y;
			q |= 1;
		}
	}
	*mul_frac = (u32)q;
	*shift = (s8)s;
	return 0;
}

#define PVLENS_PPM	1000000ULL

/*
 * @part * 10^6 / @whole, truncated; 0 when @whole is 0.  Exact for @whole
 * below 2^54 (208 days in ns); saturates at U64 max when the quotient does
 * not fit.
 */
static inline u64 pvlens_ppm(u64 part, u64 whole)
{
	u64 q, r;

	if (!whole)
		return 0;
	q = part / whole;
	r = part % whole;
	if (q >= (~0ULL / PVLENS_PPM))
		return ~0ULL;
	/* r < whole, so r * 10^6 may overflow: split 10^6 = 1000 * 1000. */
	r = r * 1000;
	q = q * PVLENS_PPM + (r / whole) * 1000;
	r = (r % whole) * 1000;
	return q + r / whole;
}

/*
 * Signed rate difference of two clocks over one interval, in parts per
 * billion: (@d_clock - @d_ref) * 10^9 / @d_ref, truncated towards zero.
 * 0 when @d_ref is 0; exact for @d_ref below 2^54; saturates at +-2^62 when
 * one clock ran more than 5 times as fast as the other.
 */
static inline s64 pvlens_drift_ppb(u64 d_clock, u64 d_ref)
{
	u64 diff, q, r, mag;
	int neg = d_clock < d_ref;

	if (!d_ref)
		return 0;
	diff = neg ? d_ref - d_clock : d_clock - d_ref;
	q = diff / d_ref;
	r = diff % d_ref;
	if (q >= 4)
		return neg ? -(1LL << 62) : (1LL << 62);
	/* r * 10^9 in three steps of 10^3 to stay within 64 bits. */
	mag = q * 1000000000ULL;
	r *= 1000;
	mag += (r / d_ref) * 1000000;
	r = (r % d_ref) * 1000;
	mag += (r / d_ref) * 1000;
	r = (r % d_ref) * 1000;
	mag += r / d_ref;
	return neg ? -(s64)mag : (s64)mag;
}

#endif /* _PVLENS_PVCLOCK_MATH_H */
