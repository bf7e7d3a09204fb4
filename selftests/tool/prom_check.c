// SPDX-License-Identifier: GPL-2.0
/*
 * prom_check < FILE: the strict Prometheus text-format checker of the unit
 * tests, for the in-guest test of pvlens export.  Exit 0 when valid, else 1
 * and the reason on stderr.
 */
#include "../../unit/test_pvlens_prom.h"

#define MAX_INPUT	(16 << 20)

int main(void)
{
	char *buf = malloc(MAX_INPUT + 1), why[512];
	size_t n = 0, r;
	int ret = 1;

	if (!buf)
		return 2;
	while (n < MAX_INPUT && (r = fread(buf + n, 1, MAX_INPUT - n, stdin)))
		n += r;
	buf[n] = '\0';
	if (n == MAX_INPUT || memchr(buf, '\0', n))
		fprintf(stderr, "prom_check: input too large or binary\n");
	else if (prom_check(buf, why, sizeof(why)))
		fprintf(stderr, "prom_check: %s\n", why);
	else
		ret = 0;
	free(buf);
	return ret;
}
