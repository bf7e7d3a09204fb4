// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the value parsers of the pvlens command
 * (tools/pvlens/model.c), included like unit/test_pvlens.c does.  The input
 * is what a sysfs or debugfs file could hold.  Checked against independent
 * references: pv_parse_u64/s64 (a 128-bit digit loop), pv_name_ok (the
 * character set of the layout), and pv_hist_parse, whose accepted output must
 * be well formed and survive a print-and-parse round trip unchanged.
 */
#define _GNU_SOURCE
#define PVLENS_NO_MAIN
#include "../tools/pvlens/pvlens.h"
#include "../tools/pvlens/fmt.c"
#include "../tools/pvlens/model.c"

#include <ctype.h>
#include <stdint.h>

static int ref_parse_u64(const unsigned char *s, size_t len, unsigned long long *v)
{
	unsigned __int128 acc = 0;
	size_t i = 0;

	if (!len || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		acc = acc * 10 + (s[i] - '0');
		if (acc > ULLONG_MAX)
			return -ERANGE;
	}
	for (; i < len; i++)
		if (!strchr("\n \t", s[i]) || !s[i])
			return -EINVAL;
	*v = (unsigned long long)acc;
	return 0;
}

static void check_numbers(const unsigned char *d, size_t n)
{
	unsigned long long v = 1, w = 2;
	bool neg = true;
	int ret, want;

	ret = pv_parse_u64((const char *)d, n, &v);
	want = ref_parse_u64(d, n, &w);
	if (ret != want || (!ret && v != w))
		abort();

	ret = pv_parse_s64((const char *)d, n, &v, &neg);
	if (n && d[0] == '-') {
		want = ref_parse_u64(d + 1, n - 1, &w);
		if (!want && w > (unsigned long long)LLONG_MAX + 1)
			want = -ERANGE;
	} else {
		want = ref_parse_u64(d, n, &w);
		if (!want && w > (unsigned long long)LLONG_MAX)
			want = -ERANGE;
	}
	if (ret != want)
		abort();
	if (!ret && (v != w || neg != (w && d[0] == '-')))
		abort();
}

static void check_name(const unsigned char *d, size_t n)
{
	char s[PV_NAME_MAX + 2];
	size_t i, k = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
	bool want;

	memcpy(s, d, k);
	s[k] = '\0';
	k = strlen(s);
	want = k && k < PV_NAME_MAX && s[0] != '.';
	for (i = 0; i < k; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-.:", s[i]))
			want = false;
	if (pv_name_ok(s) != want)
		abort();
}

static struct pv_hist h1[PV_MAX_HISTS], h2[PV_MAX_HISTS];

static void check_hist(const unsigned char *d, size_t n, unsigned int max)
{
	unsigned int nr = ~0u, nr2, i, j, k;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	ret = pv_hist_parse((const char *)d, n, h1, max, &nr);
	if (ret) {
		if (ret != -EINVAL && ret != -E2BIG)
			abort();
		return;
	}
	if (nr > max || (n && d[n - 1] != '\n'))
		abort();
	f = open_memstream(&text, &len);
	if (!f)
		abort();
	for (i = 0; i < nr; i++) {
		const struct pv_hist *h = &h1[i];

		if (!pv_name_ok(h->name) || !h->nr || h->nr > PV_HIST_MAX)
			abort();
		for (k = 0; k < i; k++)
			if (!strcmp(h1[k].name, h->name))
				abort();
		for (j = 0; j < h->nr; j++) {
			if (h->b[j].lo > h->b[j].hi)
				abort();
			if (j && (h->b[j].lo <= h->b[j - 1].hi ||
				  h->b[j - 1].hi == ULLONG_MAX))
				abort();
			fprintf(f, "%s %llu ", h->name, h->b[j].lo);
			if (h->b[j].hi == ULLONG_MAX)
				fprintf(f, "inf %llu\n", h->b[j].count);
			else
				fprintf(f, "%llu %llu\n", h->b[j].hi,
					h->b[j].count);
		}
	}
	fclose(f);
	if (pv_hist_parse(text, len, h2, max, &nr2) || nr2 != nr)
		abort();
	for (i = 0; i < nr; i++)
		if (strcmp(h1[i].name, h2[i].name) || h1[i].nr != h2[i].nr ||
		    memcmp(h1[i].b, h2[i].b, h1[i].nr * sizeof(h1[i].b[0])))
			abort();
	free(text);
}

/* The formatters on values a file could hold, into tight buffers. */
static void check_fmt(const unsigned char *d, size_t n)
{
	struct pv_val v = { .ok = true };
	char b[32];
	size_t i;

	for (i = 0; i < 8 && i < n; i++)
		v.v |= (unsigned long long)d[i] << (8 * i);
	v.neg = n > 8 && (d[8] & 1);
	pv_fmt_ns(b, sizeof(b), v.v);
	pv_fmt_bytes(b, sizeof(b), v.v);
	pv_fmt_val(b, sizeof(b), &v);
	pv_fmt_valns(b, sizeof(b), &v);
	pv_fmt_seconds(b, sizeof(b), v.v);
	pv_fmt_ppm_pct(b, sizeof(b), &v);
	pv_fmt_sval(b, sizeof(b), &v);
	pv_fmt_pow2(b, sizeof(b), v.v);
	pv_fmt_scaled(b, 8, v.neg, v.v, 9);
	if (strlen(b) >= 8)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	check_numbers(data, size);
	check_name(data, size);
	check_hist(data, size, PV_MAX_HISTS);
	check_hist(data, size, 2);
	check_fmt(data, size);
	return 0;
}
