// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot: every pvlens device, queue, value and histogram, and the
 * per-CPU clock data, read from sysfs/debugfs under a root that tests point
 * at fixture trees.  Everything read is untrusted: a file that is empty,
 * truncated, huge or garbage becomes a value marked not ok, never a crash.
 */
#include "pvlens.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * snprintf() for paths: a path that does not fit becomes "" (which no open()
 * finds) instead of a truncated path that might name another file.
 */
int pv_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int pv_parse_u64(const char *s, size_t len, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (!len || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned int d = s[i] - '0';

		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	/* The contract is "digits, newline"; allow nothing else after. */
	for (; i < len; i++)
		if (s[i] != '\n' && s[i] != ' ' && s[i] != '\t')
			return -EINVAL;
	*out = v;
	return 0;
}

int pv_parse_s64(const char *s, size_t len, unsigned long long *mag,
		 bool *neg)
{
	int ret;

	*neg = len && s[0] == '-';
	ret = pv_parse_u64(s + *neg, len - *neg, mag);
	if (!ret && *mag > (unsigned long long)LLONG_MAX + *neg)
		ret = -ERANGE;
	if (!*mag)
		*neg = false;
	return ret;
}

/*
 * Errors a pvlens file returns when it has no data to give (no KVM steal
 * area under TCG, too few samples yet): not a malformed file.
 */
bool pv_unavailable(int err)
{
	return err == -ENODATA || err == -EAGAIN || err == -ENODEV ||
	       err == -EOPNOTSUPP || err == -ENXIO;
}

/*
 * Reads a whole regular file into @buf, NUL terminated.  -EFBIG when it does
 * not fit: a value file that large is not one we understand.
 */
int pv_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	struct stat st;
	size_t n = 0;
	int fd, ret = 0;
	char extra;

	*len = 0;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (!r)
			break;
		n += r;
	}
	if (n == size - 1 && read(fd, &extra, 1) > 0)
		ret = -EFBIG;
out:
	close(fd);
	buf[n] = '\0';
	*len = n;
	return ret;
}

/* Names that are safe as path components, labels and JSON keys. */
bool pv_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= PV_NAME_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.' || c == ':'))
			return false;
	}
	return true;
}

static void model_bad(struct pv_snap *s, const char *path, int err)
{
	if (err == -EACCES || err == -EPERM) {
		if (!s->eacces)
			snprintf(s->eacces_path, sizeof(s->eacces_path), "%s",
				 path);
		s->eacces = true;
		return;
	}
	if (!s->nr_bad++)
		snprintf(s->bad_path, sizeof(s->bad_path), "%s", path);
}

static void model_read_val(struct pv_snap *s, const char *path,
			   struct pv_val *v, bool sign)
{
	char buf[PV_VALUE_MAX];
	size_t len;
	int ret;

	v->neg = false;
	ret = pv_read_file(path, buf, sizeof(buf), &len);
	if (!ret && sign)
		ret = pv_parse_s64(buf, len, &v->v, &v->neg);
	else if (!ret)
		ret = pv_parse_u64(buf, len, &v->v);
	v->ok = !ret;
	if (ret && !pv_unavailable(ret))
		model_bad(s, path, ret);
}

/* First line of free text, printable ASCII only. */
static void model_read_text(struct pv_snap *s, const char *path, char *out,
			    size_t size)
{
	char buf[PV_VALUE_MAX];
	size_t len, i;
	int ret;

	ret = pv_read_file(path, buf, sizeof(buf), &len);
	if (ret) {
		if (ret != -ENOENT && !pv_unavailable(ret))
			model_bad(s, path, ret);
		snprintf(out, size, "-");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	for (i = 0; buf[i]; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
	snprintf(out, size, "%.*s", (int)size - 1, buf[0] ? buf : "-");
}

/* First line of a small text file, if it is a valid name. */
static int model_read_name(struct pv_snap *s, const char *path, char *out)
{
	char buf[PV_VALUE_MAX];
	size_t len;
	int ret;

	out[0] = '\0';
	ret = pv_read_file(path, buf, sizeof(buf), &len);
	if (ret) {
		if (ret != -ENOENT)
			model_bad(s, path, ret);
		return ret;
	}
	buf[strcspn(buf, "\n")] = '\0';
	/* Empty is legal: a parent with no driver (the core's test device). */
	if (buf[0] && !pv_name_ok(buf)) {
		model_bad(s, path, -EINVAL);
		return -EINVAL;
	}
	strcpy(out, buf);
	return 0;
}

static bool model_name_seen(char (*names)[PV_NAME_MAX], unsigned int nr,
			    const char *name)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/*
 * One valid name per line, each once (a repeated class would repeat its
 * series in the export); returns how many, or a negative errno.
 */
static int model_read_names(struct pv_snap *s, const char *path,
			    char (*names)[PV_NAME_MAX], unsigned int max)
{
	char *buf, *line, *save = NULL;
	unsigned int nr = 0;
	size_t len;
	int ret;

	buf = malloc(PV_FILE_MAX);
	if (!buf)
		return -ENOMEM;
	ret = pv_read_file(path, buf, PV_FILE_MAX, &len);
	if (ret) {
		if (ret != -ENOENT)
			model_bad(s, path, ret);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		model_bad(s, path, -EINVAL);
		ret = -EINVAL;
		goto out;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!pv_name_ok(line) || nr >= max ||
		    model_name_seen(names, nr, line)) {
			model_bad(s, path, -EINVAL);
			ret = -EINVAL;
			goto out;
		}
		strcpy(names[nr++], line);
	}
	ret = nr;
out:
	free(buf);
	return ret;
}

static int model_cmp_val(const void *a, const void *b)
{
	return strcmp(((const struct pv_val *)a)->name,
		      ((const struct pv_val *)b)->name);
}

/* Every regular file of @dir as a value, sorted by name. */
static int model_read_vals(struct pv_snap *s, const char *dir,
			   struct pv_val **vals, unsigned int *nr, bool sign)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	*vals = NULL;
	*nr = 0;
	d = opendir(dir);
	if (!d) {
		model_bad(s, dir, -errno);
		return -errno;
	}
	*vals = calloc(PV_MAX_VALS, sizeof(**vals));
	if (!*vals) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d)) && *nr < PV_MAX_VALS) {
		struct pv_val *v = &(*vals)[*nr];

		if (!pv_name_ok(de->d_name))
			continue;
		pv_path(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		strcpy(v->name, de->d_name);
		model_read_val(s, path, v, sign);
		(*nr)++;
	}
	closedir(d);
	qsort(*vals, *nr, sizeof(**vals), model_cmp_val);
	return 0;
}

static int model_parse_hist_u64(const char *tok, unsigned long long *v, bool inf_ok)
{
	if (inf_ok && !strcmp(tok, "inf")) {
		*v = ULLONG_MAX;
		return 0;
	}
	return pv_parse_u64(tok, strlen(tok), v);
}

/*
 * "<name> <lo> <hi> <count>" lines, grouped by name.  Any bad line rejects
 * the whole file: a histogram with a bucket missing would lie.
 */
int pv_hist_parse(const char *text, size_t len, struct pv_hist *hists,
		  unsigned int max, unsigned int *nr)
{
	const char *p = text, *end = text + len;

	*nr = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		char line[256], name[PV_NAME_MAX], t[3][32], junk[2];
		struct pv_bucket b;
		struct pv_hist *h;
		size_t n;

		/* No newline: a truncated last line. */
		if (!nl)
			return -EINVAL;
		n = nl - p;
		if (n >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (memchr(line, '\0', n))
			return -EINVAL;
		if (sscanf(line, "%63s %31s %31s %31s %1s", name, t[0], t[1],
			   t[2], junk) != 4 || !pv_name_ok(name))
			return -EINVAL;
		if (model_parse_hist_u64(t[0], &b.lo, false) ||
		    model_parse_hist_u64(t[1], &b.hi, true) ||
		    model_parse_hist_u64(t[2], &b.count, false) || b.lo > b.hi)
			return -EINVAL;
		h = *nr ? &hists[*nr - 1] : NULL;
		if (!h || strcmp(h->name, name)) {
			unsigned int i;

			/* One block per histogram, not interleaved. */
			for (i = 0; i < *nr; i++)
				if (!strcmp(hists[i].name, name))
					return -EINVAL;
			if (*nr >= max)
				return -E2BIG;
			h = &hists[(*nr)++];
			memset(h, 0, sizeof(*h));
			strcpy(h->name, name);
		} else if (h->b[h->nr - 1].hi == ULLONG_MAX ||
			   b.lo <= h->b[h->nr - 1].hi) {
			return -EINVAL;
		}
		if (h->nr >= PV_HIST_MAX)
			return -E2BIG;
		h->b[h->nr++] = b;
	}
	return 0;
}

static void model_load_hists(struct pv_snap *s, const char *path,
			     struct pv_queue *q)
{
	unsigned int nr;
	size_t len;
	char *buf;
	int ret;

	buf = malloc(PV_FILE_MAX);
	q->hists = calloc(PV_MAX_HISTS, sizeof(*q->hists));
	if (!buf || !q->hists)
		goto out;
	ret = pv_read_file(path, buf, PV_FILE_MAX, &len);
	if (!ret)
		ret = memchr(buf, '\0', len) ? -EINVAL :
		      pv_hist_parse(buf, len, q->hists, PV_MAX_HISTS, &nr);
	if (ret) {
		if (ret != -ENOENT)
			model_bad(s, path, ret);
		goto out;
	}
	q->nr_hists = nr;
	q->have_hists = true;
out:
	free(buf);
}

static int model_load_dev(struct pv_snap *s, const char *root,
			  struct pv_dev *d, bool hists)
{
	char (*names)[PV_NAME_MAX];
	char path[PATH_MAX];
	unsigned int i;
	int nr;

	pv_path(path, sizeof(path), "%s/driver", d->dir);
	if (model_read_name(s, path, d->driver))
		strcpy(d->driver, "?");
	pv_path(path, sizeof(path), "%s/classes", d->dir);
	nr = model_read_names(s, path, d->classes, PV_MAX_CLASSES);
	d->nr_classes = nr > 0 ? nr : 0;

	names = calloc(PV_MAX_QUEUES, sizeof(*names));
	if (!names)
		return -ENOMEM;
	pv_path(path, sizeof(path), "%s/queues", d->dir);
	nr = model_read_names(s, path, names, PV_MAX_QUEUES);
	if (nr < 0)
		nr = 0;
	d->queues = calloc(nr ? nr : 1, sizeof(*d->queues));
	if (!d->queues) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < (unsigned int)nr; i++) {
		struct pv_queue *q = &d->queues[d->nr_queues++];

		strcpy(q->name, names[i]);
		pv_path(path, sizeof(path), "%s/%s", d->dir, q->name);
		model_read_vals(s, path, &q->vals, &q->nr_vals, false);
		if (hists && s->debugfs == PV_DBG_OK) {
			pv_path(path, sizeof(path),
				"%s/kernel/debug/pvlens/%s/%s/histogram",
				 root, d->id, q->name);
			model_load_hists(s, path, q);
		}
	}
	free(names);
	return 0;
}

/* vdX or ifname whose "device" link resolves to @real, else the id. */
static void model_dev_name(const char *root, const char *real,
			   struct pv_dev *d)
{
	static const char * const dirs[] = { "block", "class/net" };
	char path[PATH_MAX], res[PATH_MAX];
	unsigned int i;

	strcpy(d->name, d->id);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct dirent *de;
		DIR *dir;

		pv_path(path, sizeof(path), "%s/%s", root, dirs[i]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			if (!pv_name_ok(de->d_name))
				continue;
			pv_path(path, sizeof(path), "%s/%s/%s/device", root,
				dirs[i], de->d_name);
			if (realpath(path, res) && !strcmp(res, real)) {
				strcpy(d->name, de->d_name);
				break;
			}
		}
		closedir(dir);
		if (strcmp(d->name, d->id))
			return;
	}
}

static void model_add_dev(struct pv_snap *s, const char *root,
			  const char *devdir)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct pv_dev *d;
	const char *base;
	struct stat st;
	unsigned int i;

	pv_path(path, sizeof(path), "%s/pvlens", devdir);
	if (stat(path, &st) || !S_ISDIR(st.st_mode) || !realpath(devdir, real))
		return;
	for (i = 0; i < s->nr_devs; i++)
		if (!strncmp(s->devs[i].dir, real, strlen(real)) &&
		    !strcmp(s->devs[i].dir + strlen(real), "/pvlens"))
			return;
	if (s->nr_devs >= PV_MAX_DEVS)
		return;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (!pv_name_ok(base) || strlen(real) + 8 > sizeof(d->dir))
		return;
	d = &s->devs[s->nr_devs++];
	memset(d, 0, sizeof(*d));
	strcpy(d->id, base);
	pv_path(d->dir, sizeof(d->dir), "%s/pvlens", real);
	model_dev_name(root, real, d);
}

/* Devices with a pvlens directory at @pattern-depth under @dir. */
static void model_scan(struct pv_snap *s, const char *root, const char *dir,
		       unsigned int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!pv_name_ok(de->d_name))
			continue;
		pv_path(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (depth)
			model_scan(s, root, path, depth - 1);
		else
			model_add_dev(s, root, path);
	}
	closedir(d);
}

static int model_cmp_dev(const void *a, const void *b)
{
	return strverscmp(((const struct pv_dev *)a)->id,
			  ((const struct pv_dev *)b)->id);
}

static int model_cmp_cpu(const void *a, const void *b)
{
	const struct pv_cpu *x = a, *y = b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static void model_load_clock(struct pv_snap *s, const char *root)
{
	static const char * const names[] = {
		"tsc_stable", "drift_tsc_ppb", "drift_realtime_ppb",
		"drift_pvclock_ppb", "drift_window_ns", "realtime_jumps",
	};
	char path[PATH_MAX];
	unsigned int i;

	pv_path(path, sizeof(path), "%s/kernel/pvlens/clock/source", root);
	model_read_text(s, path, s->clock_source, sizeof(s->clock_source));
	pv_path(path, sizeof(path), "%s/kernel/pvlens/clock/clocksource",
		root);
	model_read_text(s, path, s->clocksource, sizeof(s->clocksource));
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct pv_val *v = &s->clock[s->nr_clock];

		pv_path(path, sizeof(path), "%s/kernel/pvlens/clock/%s", root,
			names[i]);
		if (access(path, F_OK))
			continue;
		strcpy(v->name, names[i]);
		model_read_val(s, path, v, true);
		s->nr_clock++;
	}
}

static void model_load_cpus(struct pv_snap *s, const char *root)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	pv_path(path, sizeof(path), "%s/kernel/pvlens/clock", root);
	d = opendir(path);
	if (!d)
		return;
	s->have_clock = true;
	model_load_clock(s, root);
	s->cpus = calloc(PV_MAX_CPUS, sizeof(*s->cpus));
	while (s->cpus && (de = readdir(d)) && s->nr_cpus < PV_MAX_CPUS) {
		struct pv_cpu *c = &s->cpus[s->nr_cpus];
		unsigned long long cpu;

		/* pv_parse_u64() refuses overflow, which %u would not. */
		if (strncmp(de->d_name, "cpu", 3) ||
		    pv_parse_u64(de->d_name + 3, strlen(de->d_name) - 3, &cpu) ||
		    cpu >= 1u << 20)
			continue;
		c->cpu = (unsigned int)cpu;
		pv_path(path, sizeof(path), "%s/kernel/pvlens/clock/%s", root,
			de->d_name);
		if (model_read_vals(s, path, &c->vals, &c->nr_vals, true))
			continue;
		s->nr_cpus++;
	}
	closedir(d);
	if (s->cpus)
		qsort(s->cpus, s->nr_cpus, sizeof(*s->cpus), model_cmp_cpu);
}

static enum pv_debugfs model_debugfs(const char *root)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool empty = true;
	struct stat st;
	DIR *d;

	pv_path(path, sizeof(path), "%s/kernel/debug", root);
	d = opendir(path);
	if (!d)
		return errno == EACCES || errno == EPERM ? PV_DBG_NOACCESS :
		       PV_DBG_UNMOUNTED;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (empty)
		return PV_DBG_UNMOUNTED;
	pv_path(path, sizeof(path), "%s/kernel/debug/pvlens", root);
	if (stat(path, &st))
		return errno == EACCES ? PV_DBG_NOACCESS : PV_DBG_ABSENT;
	return PV_DBG_OK;
}

static unsigned long long model_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int pv_snap_load(const struct pv_ctx *ctx, struct pv_snap *s, bool hists)
{
	char path[PATH_MAX], buf[16];
	struct stat st;
	unsigned int i;
	size_t len;

	memset(s, 0, sizeof(*s));
	s->t_ns = model_now();
	pv_path(path, sizeof(path), "%s/module/pvlens_core", ctx->root);
	s->core_loaded = !stat(path, &st);
	s->timing = -1;
	pv_path(path, sizeof(path), "%s/module/pvlens_core/parameters/timing",
		ctx->root);
	if (!pv_read_file(path, buf, sizeof(buf), &len) && len)
		s->timing = buf[0] == 'Y' || buf[0] == '1';
	s->debugfs = model_debugfs(ctx->root);

	s->devs = calloc(PV_MAX_DEVS, sizeof(*s->devs));
	if (!s->devs)
		return -ENOMEM;
	pv_path(path, sizeof(path), "%s/bus/virtio/devices", ctx->root);
	model_scan(s, ctx->root, path, 0);
	/* Non-virtio owners such as the core's test device. */
	pv_path(path, sizeof(path), "%s/devices", ctx->root);
	model_scan(s, ctx->root, path, 0);
	pv_path(path, sizeof(path), "%s/devices/platform", ctx->root);
	model_scan(s, ctx->root, path, 0);
	pv_path(path, sizeof(path), "%s/devices/virtual", ctx->root);
	model_scan(s, ctx->root, path, 1);
	qsort(s->devs, s->nr_devs, sizeof(*s->devs), model_cmp_dev);
	for (i = 0; i < s->nr_devs; i++)
		if (model_load_dev(s, ctx->root, &s->devs[i], hists))
			return -ENOMEM;
	/* Steal rates divide by this: stamp it next to the steal reads. */
	s->cpu_t_ns = model_now();
	model_load_cpus(s, ctx->root);
	return 0;
}

void pv_snap_free(struct pv_snap *s)
{
	unsigned int i, j;

	for (i = 0; i < s->nr_devs; i++) {
		for (j = 0; j < s->devs[i].nr_queues; j++) {
			free(s->devs[i].queues[j].vals);
			free(s->devs[i].queues[j].hists);
		}
		free(s->devs[i].queues);
	}
	free(s->devs);
	for (i = 0; i < s->nr_cpus; i++)
		free(s->cpus[i].vals);
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

static const struct pv_val *model_find(const struct pv_val *vals,
				       unsigned int nr, const char *name)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(vals[i].name, name))
			return &vals[i];
	return NULL;
}

const struct pv_val *pv_qval(const struct pv_queue *q, const char *name)
{
	return model_find(q->vals, q->nr_vals, name);
}

const struct pv_val *pv_qcval(const struct pv_queue *q, const char *cls,
			      const char *suffix)
{
	char name[2 * PV_NAME_MAX];

	snprintf(name, sizeof(name), "%s_%s", cls, suffix);
	return model_find(q->vals, q->nr_vals, name);
}

const struct pv_val *pv_cpuval(const struct pv_cpu *c, const char *name)
{
	return model_find(c->vals, c->nr_vals, name);
}

const struct pv_val *pv_clockval(const struct pv_snap *s, const char *name)
{
	return model_find(s->clock, s->nr_clock, name);
}

const struct pv_hist *pv_qhist(const struct pv_queue *q, const char *name)
{
	unsigned int i;

	for (i = 0; i < q->nr_hists; i++)
		if (!strcmp(q->hists[i].name, name))
			return &q->hists[i];
	return NULL;
}

struct pv_dev *pv_find_dev(struct pv_snap *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr_devs; i++)
		if (!strcmp(s->devs[i].name, name) ||
		    !strcmp(s->devs[i].id, name))
			return &s->devs[i];
	return NULL;
}

struct pv_queue *pv_find_queue(struct pv_dev *d, const char *name)
{
	unsigned int i;

	if (!d || !name)
		return NULL;
	for (i = 0; i < d->nr_queues; i++)
		if (!strcmp(d->queues[i].name, name))
			return &d->queues[i];
	return NULL;
}

static const char * const model_queue_names[] = {
	"kicks", "kicks_suppressed", "kicked_ops", "interrupts",
	"spurious_interrupts", "requeues", "inflight", "max_inflight",
};

static const char * const model_summary[] = {
	"count", "sum_ns", "min_ns", "max_ns", "p50_ns", "p90_ns", "p99_ns",
	"p999_ns",
};

/* Is @name one of the layout's standard names (not a driver counter)? */
bool pv_is_std_queue_val(const struct pv_dev *d, const char *name)
{
	unsigned int i, j;
	char buf[3 * PV_NAME_MAX];

	for (i = 0; i < ARRAY_SIZE(model_queue_names); i++)
		if (!strcmp(name, model_queue_names[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(model_summary); i++) {
		snprintf(buf, sizeof(buf), "kick_cost_%s", model_summary[i]);
		if (!strcmp(name, buf))
			return true;
	}
	for (j = 0; j < d->nr_classes; j++) {
		const char *c = d->classes[j];
		size_t n = strlen(c);

		if (strncmp(name, c, n) || name[n] != '_')
			continue;
		if (!strcmp(name + n + 1, "ops") ||
		    !strcmp(name + n + 1, "bytes") ||
		    !strcmp(name + n + 1, "errors"))
			return true;
		for (i = 0; i < ARRAY_SIZE(model_summary); i++) {
			snprintf(buf, sizeof(buf), "latency_%s",
				 model_summary[i]);
			if (!strcmp(name + n + 1, buf))
				return true;
		}
	}
	return false;
}

/* The one-line reason there is nothing to show; PV_EXIT_ERR if so. */
int pv_report_load_error(const struct pv_ctx *ctx, const struct pv_snap *s)
{
	if (s->nr_devs || s->have_clock)
		return PV_EXIT_OK;
	if (!s->core_loaded)
		fprintf(ctx->err,
			"pvlens: modules not loaded (no %s/module/pvlens_core): modprobe pvlens_core and a pvlens driver\n",
			ctx->root);
	else
		fprintf(ctx->err,
			"pvlens: pvlens_core is loaded but no device is bound to a pvlens driver\n");
	return PV_EXIT_ERR;
}

void pv_warn_bad(const struct pv_ctx *ctx, const struct pv_snap *s)
{
	if (s->eacces)
		fprintf(ctx->err,
			"pvlens: warning: permission denied: %s (run as root)\n",
			s->eacces_path);
	if (s->nr_bad)
		fprintf(ctx->err,
			"pvlens: warning: %u unreadable or malformed file%s, shown as '-' (first: %s)\n",
			s->nr_bad, s->nr_bad > 1 ? "s" : "", s->bad_path);
}
