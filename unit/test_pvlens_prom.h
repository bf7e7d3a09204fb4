/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict checker for the Prometheus text exposition format 0.0.4, for the
 * unit tests of pvlens export: syntax of every line, HELP/TYPE once per
 * family and before its samples, families contiguous, no duplicate series,
 * counters named *_total and not negative, histograms with increasing le,
 * cumulative buckets, a final +Inf bucket equal to _count, and a _sum.
 * Returns 0 when valid, else -1 with the reason and line in @why.
 */
#ifndef _PVLENS_TEST_PROM_H
#define _PVLENS_TEST_PROM_H

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX_FAMILIES	128
#define PROM_MAX_SERIES		4096
#define PROM_LINE		1024

struct prom_family {
	char name[128];
	char type[16];
	bool help, typed, closed;
};

struct prom_series {
	char key[2 * PROM_LINE];	/* name{labels}/le */
};

/* Histogram state of one label set (le excluded). */
struct prom_hist {
	char base[2 * PROM_LINE];
	double last_le, last_count, inf_count;
	bool have_inf, have_sum, have_count;
	double count;
};

struct prom_state {
	struct prom_family fam[PROM_MAX_FAMILIES];
	unsigned int nr_fam;
	int cur;			/* family of the previous sample */
	struct prom_series *series;
	unsigned int nr_series;
	struct prom_hist *hist;
	unsigned int nr_hist;
	char *why;
	size_t why_size;
	unsigned int line;
};

static int prom_fail(struct prom_state *st, const char *msg, const char *ctx)
{
	snprintf(st->why, st->why_size, "line %u: %s: %.200s", st->line, msg,
		 ctx);
	return -1;
}

static bool prom_name_ok(const char *s, size_t n, bool colon)
{
	size_t i;

	if (!n || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      (colon && s[i] == ':')))
			return false;
	return true;
}

static bool prom_value(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "+Inf")) {
		*v = INFINITY;
		return true;
	}
	if (!strcmp(s, "-Inf")) {
		*v = -INFINITY;
		return true;
	}
	if (!strcmp(s, "NaN")) {
		*v = NAN;
		return true;
	}
	if (!*s || isspace((unsigned char)*s))
		return false;
	*v = strtod(s, &end);
	return !*end && strcmp(s, "inf") && strcmp(s, "nan");
}

static struct prom_family *prom_family(struct prom_state *st, const char *n,
				       size_t len)
{
	unsigned int i;

	for (i = 0; i < st->nr_fam; i++)
		if (strlen(st->fam[i].name) == len &&
		    !strncmp(st->fam[i].name, n, len))
			return &st->fam[i];
	if (st->nr_fam >= PROM_MAX_FAMILIES || len >= 128)
		return NULL;
	memcpy(st->fam[st->nr_fam].name, n, len);
	st->fam[st->nr_fam].name[len] = '\0';
	return &st->fam[st->nr_fam++];
}

/* Family a sample belongs to: histograms own _bucket/_sum/_count. */
static struct prom_family *prom_owner(struct prom_state *st, const char *n,
				      size_t len, const char **suffix)
{
	static const char * const sfx[] = { "_bucket", "_sum", "_count" };
	unsigned int i, f;

	*suffix = "";
	for (i = 0; i < 3; i++) {
		size_t sl = strlen(sfx[i]);

		if (len <= sl || strncmp(n + len - sl, sfx[i], sl))
			continue;
		for (f = 0; f < st->nr_fam; f++)
			if (strlen(st->fam[f].name) == len - sl &&
			    !strncmp(st->fam[f].name, n, len - sl) &&
			    !strcmp(st->fam[f].type, "histogram")) {
				*suffix = sfx[i];
				return &st->fam[f];
			}
	}
	for (f = 0; f < st->nr_fam; f++)
		if (strlen(st->fam[f].name) == len &&
		    !strncmp(st->fam[f].name, n, len))
			return &st->fam[f];
	return NULL;
}

/*
 * Parses {a="x",b="y"}; copies the label set without le into @base and
 * le's value into @le.  Returns the position after '}' or NULL.
 */
static const char *prom_labels(struct prom_state *st, const char *p,
			       char *base, size_t bsize, char *le, size_t lsize)
{
	char seen[16][64];
	unsigned int nr = 0, i;
	size_t bl = 0;

	le[0] = '\0';
	base[bl++] = '{';
	p++;
	while (*p != '}') {
		const char *n = p, *v;
		char val[256];
		size_t vl = 0;

		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (!prom_name_ok(n, p - n, false) || *p != '=' || p[1] != '"')
			return NULL;
		if (p - n >= 64 || nr >= 16)
			return NULL;
		for (i = 0; i < nr; i++)
			if (strlen(seen[i]) == (size_t)(p - n) &&
			    !strncmp(seen[i], n, p - n))
				return NULL;	/* duplicate label */
		memcpy(seen[nr], n, p - n);
		seen[nr++][p - n] = '\0';
		p += 2;
		v = p;
		while (*p && *p != '"') {
			if (*p == '\\') {
				if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
					return NULL;
				p++;
			}
			if (vl + 1 >= sizeof(val))
				return NULL;
			val[vl++] = *p++;
		}
		val[vl] = '\0';
		if (*p != '"')
			return NULL;
		p++;
		if (!strcmp(seen[nr - 1], "le")) {
			snprintf(le, lsize, "%s", val);
		} else {
			int w = snprintf(base + bl, bsize - bl, "%s%.*s",
					 bl > 1 ? "," : "", (int)(p - n), n);

			if (w < 0 || (size_t)w >= bsize - bl)
				return NULL;
			bl += w;
			(void)v;
		}
		if (*p == ',')
			p++;
		else if (*p != '}')
			return NULL;
	}
	if (bl + 2 > bsize)
		return NULL;
	base[bl++] = '}';
	base[bl] = '\0';
	(void)st;
	return p + 1;
}

static struct prom_hist *prom_hist(struct prom_state *st, const char *base)
{
	unsigned int i;

	for (i = 0; i < st->nr_hist; i++)
		if (!strcmp(st->hist[i].base, base))
			return &st->hist[i];
	if (st->nr_hist >= PROM_MAX_SERIES)
		return NULL;
	memset(&st->hist[st->nr_hist], 0, sizeof(st->hist[0]));
	snprintf(st->hist[st->nr_hist].base, 2 * PROM_LINE, "%s", base);
	st->hist[st->nr_hist].last_le = -INFINITY;
	return &st->hist[st->nr_hist++];
}

static int prom_comment(struct prom_state *st, const char *line)
{
	const char *p = line + 1, *n;
	struct prom_family *f;
	bool help;

	while (*p == ' ')
		p++;
	if (strncmp(p, "HELP ", 5) && strncmp(p, "TYPE ", 5))
		return 0;	/* a plain comment */
	help = p[0] == 'H';
	p += 5;
	n = p;
	while (*p && *p != ' ')
		p++;
	if (!prom_name_ok(n, p - n, true))
		return prom_fail(st, "bad metric name in HELP/TYPE", line);
	f = prom_family(st, n, p - n);
	if (!f)
		return prom_fail(st, "too many families", line);
	if (f->closed)
		return prom_fail(st, "HELP/TYPE after the family's samples",
				 line);
	if (*p != ' ' || !p[1])
		return prom_fail(st, "HELP/TYPE without text", line);
	p++;
	if (help) {
		if (f->help)
			return prom_fail(st, "second HELP", line);
		for (; *p; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				return prom_fail(st, "bad escape in HELP",
						 line);
			else if (*p == '\\')
				p++;
		f->help = true;
		return 0;
	}
	if (f->typed)
		return prom_fail(st, "second TYPE", line);
	if (strcmp(p, "counter") && strcmp(p, "gauge") &&
	    strcmp(p, "histogram") && strcmp(p, "summary") &&
	    strcmp(p, "untyped"))
		return prom_fail(st, "unknown TYPE", line);
	if (!strcmp(p, "counter") &&
	    (strlen(f->name) < 6 ||
	     strcmp(f->name + strlen(f->name) - 6, "_total")))
		return prom_fail(st, "counter not named *_total", line);
	snprintf(f->type, sizeof(f->type), "%s", p);
	f->typed = true;
	return 0;
}

static int prom_sample(struct prom_state *st, const char *line)
{
	char base[PROM_LINE], le[256], key[2 * PROM_LINE];
	const char *p = line, *suffix;
	struct prom_family *f;
	struct prom_hist *h;
	unsigned int i;
	double v, lev;
	int idx, name_len;

	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	name_len = p - line;
	if (!prom_name_ok(line, p - line, true))
		return prom_fail(st, "bad metric name", line);
	f = prom_owner(st, line, p - line, &suffix);
	if (!f || !f->typed)
		return prom_fail(st, "sample without TYPE", line);
	idx = f - st->fam;
	if (st->cur != idx) {
		if (f->closed)
			return prom_fail(st, "family not contiguous", line);
		if (st->cur >= 0)
			st->fam[st->cur].closed = true;
		st->cur = idx;
	}
	snprintf(base, sizeof(base), "{}");
	le[0] = '\0';
	if (*p == '{') {
		p = prom_labels(st, p, base, sizeof(base), le, sizeof(le));
		if (!p)
			return prom_fail(st, "bad labels", line);
	}
	if (*p != ' ')
		return prom_fail(st, "no space before the value", line);
	p++;
	if (strchr(p, ' '))
		return prom_fail(st, "timestamps are not expected", line);
	if (!prom_value(p, &v))
		return prom_fail(st, "bad value", line);
	snprintf(key, sizeof(key), "%.*s%s/%s", name_len, line, base, le);
	for (i = 0; i < st->nr_series; i++)
		if (!strcmp(st->series[i].key, key))
			return prom_fail(st, "duplicate series", line);
	if (st->nr_series >= PROM_MAX_SERIES)
		return prom_fail(st, "too many series", line);
	snprintf(st->series[st->nr_series++].key, 2 * PROM_LINE, "%s", key);

	if (!strcmp(f->type, "counter") && !(v >= 0))
		return prom_fail(st, "negative or NaN counter", line);
	if (strcmp(f->type, "histogram")) {
		if (le[0])
			return prom_fail(st, "le label outside a histogram",
					 line);
		return 0;
	}
	if (!*suffix)
		return prom_fail(st, "histogram sample without suffix", line);
	snprintf(key, sizeof(key), "%s%s", f->name, base);
	h = prom_hist(st, key);
	if (!h)
		return prom_fail(st, "too many histograms", line);
	if (!strcmp(suffix, "_bucket")) {
		if (!le[0] || !prom_value(le, &lev) || isnan(lev))
			return prom_fail(st, "bucket without a valid le", line);
		if (h->have_inf || h->have_sum || h->have_count)
			return prom_fail(st, "bucket after +Inf/_sum/_count",
					 line);
		if (!(lev > h->last_le))
			return prom_fail(st, "le not increasing", line);
		if (v < h->last_count)
			return prom_fail(st, "buckets not cumulative", line);
		h->last_le = lev;
		h->last_count = v;
		if (isinf(lev)) {
			h->have_inf = true;
			h->inf_count = v;
		}
		return 0;
	}
	if (le[0])
		return prom_fail(st, "le on _sum/_count", line);
	if (!h->have_inf)
		return prom_fail(st, "_sum/_count before the +Inf bucket",
				 line);
	if (!strcmp(suffix, "_sum")) {
		if (h->have_sum)
			return prom_fail(st, "second _sum", line);
		h->have_sum = true;
	} else {
		if (h->have_count)
			return prom_fail(st, "second _count", line);
		if (v != h->inf_count)
			return prom_fail(st, "_count differs from +Inf bucket",
					 line);
		h->have_count = true;
	}
	return 0;
}

static int prom_check(const char *text, char *why, size_t why_size)
{
	struct prom_state *st = calloc(1, sizeof(*st));
	const char *p = text;
	unsigned int i;
	int ret = 0;

	if (!st)
		return -1;
	st->series = calloc(PROM_MAX_SERIES, sizeof(*st->series));
	st->hist = calloc(PROM_MAX_SERIES, sizeof(*st->hist));
	st->why = why;
	st->why_size = why_size;
	st->cur = -1;
	why[0] = '\0';
	if (!st->series || !st->hist) {
		ret = -1;
		goto out;
	}
	if (*text && text[strlen(text) - 1] != '\n') {
		ret = prom_fail(st, "no newline at the end", "");
		goto out;
	}
	while (*p && !ret) {
		char line[PROM_LINE];
		size_t n = strcspn(p, "\n");

		st->line++;
		if (n >= sizeof(line)) {
			ret = prom_fail(st, "line too long", "");
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		if (!n)
			ret = prom_fail(st, "empty line", "");
		else if (line[0] == '#')
			ret = prom_comment(st, line);
		else
			ret = prom_sample(st, line);
	}
	for (i = 0; !ret && i < st->nr_hist; i++)
		if (!st->hist[i].have_inf || !st->hist[i].have_sum ||
		    !st->hist[i].have_count)
			ret = prom_fail(st, "histogram without +Inf, _sum or _count",
					st->hist[i].base);
out:
	free(st->series);
	free(st->hist);
	free(st);
	return ret;
}

#endif /* _PVLENS_TEST_PROM_H */
