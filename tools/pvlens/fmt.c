// SPDX-License-Identifier: GPL-2.0
/* Number formatting and escaping shared by the subcommands. */
#include "pvlens.h"

void pv_fmt_ns(char *buf, size_t size, unsigned long long ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%lluns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.1fms", ns / 1e6);
	else
		snprintf(buf, size, "%.2fs", ns / 1e9);
}

void pv_fmt_bytes(char *buf, size_t size, unsigned long long bytes)
{
	static const char * const unit[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = bytes;
	unsigned int i = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%lluB", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, "%.1f%s", v, unit[i]);
}

void pv_fmt_val(char *buf, size_t size, const struct pv_val *v)
{
	if (v && v->ok)
		snprintf(buf, size, "%llu", v->v);
	else
		snprintf(buf, size, "-");
}

void pv_fmt_valns(char *buf, size_t size, const struct pv_val *v)
{
	if (v && v->ok)
		pv_fmt_ns(buf, size, v->v);
	else
		snprintf(buf, size, "-");
}

/*
 * @v / 10^@digits as an exact decimal (trailing zeros trimmed): no float
 * rounding in exports.
 */
void pv_fmt_scaled(char *buf, size_t size, bool neg, unsigned long long v,
		   int digits)
{
	unsigned long long div = 1, whole, frac;
	int i;

	for (i = 0; i < digits; i++)
		div *= 10;
	whole = v / div;
	frac = v % div;
	if (!frac) {
		snprintf(buf, size, "%s%llu", neg ? "-" : "", whole);
		return;
	}
	while (!(frac % 10)) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%s%llu.%0*llu", neg ? "-" : "", whole, digits,
		 frac);
}

void pv_fmt_seconds(char *buf, size_t size, unsigned long long ns)
{
	pv_fmt_scaled(buf, size, false, ns, 9);
}

/* 1024 -> "1K", 3 -> "3": histogram bounds as bpftrace prints them. */
void pv_fmt_pow2(char *buf, size_t size, unsigned long long v)
{
	static const char suffix[] = "KMGTPE";
	unsigned int i = 0;

	while (v >= 1024 && !(v % 1024) && i < 6) {
		v /= 1024;
		i++;
	}
	if (i)
		snprintf(buf, size, "%llu%c", v, suffix[i - 1]);
	else
		snprintf(buf, size, "%llu", v);
}

void pv_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void pv_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Parts per million as a percentage with two decimals, exactly. */
void pv_fmt_ppm_pct(char *buf, size_t size, const struct pv_val *v)
{
	if (v && v->ok && !v->neg)
		snprintf(buf, size, "%llu.%02llu%%", v->v / 10000,
			 v->v / 100 % 100);
	else
		snprintf(buf, size, "-");
}

void pv_fmt_sval(char *buf, size_t size, const struct pv_val *v)
{
	if (v && v->ok)
		snprintf(buf, size, "%s%llu", v->neg ? "-" : "", v->v);
	else
		snprintf(buf, size, "-");
}
