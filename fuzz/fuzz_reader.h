/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Little-endian fields taken one after the other from a libFuzzer input;
 * 0 once the input runs out, so every input is a complete case.
 */
#ifndef _PVLENS_FUZZ_READER_H
#define _PVLENS_FUZZ_READER_H

#include <stddef.h>
#include <pvlens/types.h>

struct reader {
	const unsigned char *p;
	size_t n;
};

static inline u64 take(struct reader *r, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes && r->n; i++, r->p++, r->n--)
		v |= (u64)*r->p << (8 * i);
	return v;
}

#endif /* _PVLENS_FUZZ_READER_H */
