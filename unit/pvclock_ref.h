/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 128-bit reference for the pvclock scaling that the unit test and the
 * fuzz harness both hold include/pvlens/pvclock_math.h against.
 */
#ifndef _PVLENS_PVCLOCK_REF_H
#define _PVLENS_PVCLOCK_REF_H

#include <pvlens/pvclock_math.h>

/* What the guest computes, spelled with 128-bit integers. */
static inline u64 ref_scale(u64 delta, u32 mul, int shift)
{
	unsigned __int128 d = delta;

	if (shift >= 64 || shift <= -64)
		return 0;
	if (shift < 0)
		d >>= -shift;
	else
		d = (d << shift) & (unsigned __int128)~0ULL;
	return (u64)((d * mul) >> 32);
}

#endif /* _PVLENS_PVCLOCK_REF_H */
