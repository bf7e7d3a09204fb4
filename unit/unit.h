/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal host unit-test helpers: one KTAP line per check, a plan at the end,
 * exit status 1 when any check failed.
 */
#ifndef _PVLENS_UNIT_H
#define _PVLENS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed, unit_count;

#define UNIT_EQ_U64(got, want, name) do {				\
	unsigned long long __g = (got), __w = (want);			\
	const char *__n = (name);					\
	unit_count++;							\
	if (__g == __w) {						\
		printf("ok %d %s\n", unit_count, __n);			\
	} else {							\
		unit_failed++;						\
		printf("not ok %d %s: got %llu, want %llu\n",		\
		       unit_count, __n, __g, __w);			\
	}								\
} while (0)

#define UNIT_TRUE(cond, name) UNIT_EQ_U64(!!(cond), 1, name)

#define UNIT_STR_EQ(got, want, name) do {				\
	const char *__g = (got), *__w = (want), *__n = (name);		\
	unit_count++;							\
	if (__g && __w && !strcmp(__g, __w)) {				\
		printf("ok %d %s\n", unit_count, __n);			\
	} else {							\
		unit_failed++;						\
		printf("not ok %d %s: got '%s', want '%s'\n",		\
		       unit_count, __n, __g ? __g : "(null)",		\
		       __w ? __w : "(null)");				\
	}								\
} while (0)

static inline int unit_done(const char *suite)
{
	printf("1..%d\n# %s: %d passed, %d failed\n", unit_count, suite,
	       unit_count - unit_failed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif /* _PVLENS_UNIT_H */
