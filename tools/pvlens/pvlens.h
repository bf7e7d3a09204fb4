/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlens: the user command.  Reads what the pvlens modules publish in sysfs
 * and debugfs (Documentation/statistics-layout.rst) into a snapshot, and
 * prints it as tables, a live view, a histogram or Prometheus text.
 */
#ifndef _PVLENS_TOOL_H
#define _PVLENS_TOOL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#ifndef PVLENS_VERSION
#define PVLENS_VERSION "0.1.0"
#endif

#define PV_NAME_MAX	64
/* Defensive caps: a garbage file never makes us allocate without bound. */
#define PV_MAX_QUEUES	256
#define PV_MAX_CLASSES	16
#define PV_MAX_VALS	256
#define PV_MAX_HISTS	(PV_MAX_CLASSES + 2)
#define PV_HIST_MAX	64
#define PV_MAX_DEVS	128
#define PV_MAX_CPUS	1024
#define PV_VALUE_MAX	4096
#define PV_FILE_MAX	(256 * 1024)

/* Exit statuses. */
#define PV_EXIT_OK	0
#define PV_EXIT_ERR	1
#define PV_EXIT_USAGE	2

struct pv_val {
	char name[PV_NAME_MAX];
	unsigned long long v;	/* magnitude */
	bool neg;		/* only clock files are signed */
	bool ok;		/* false: empty, garbage, unreadable, no data */
};

/* One bucket of a debugfs histogram; @hi is ULLONG_MAX for "inf". */
struct pv_bucket {
	unsigned long long lo;
	unsigned long long hi;
	unsigned long long count;
};

struct pv_hist {
	char name[PV_NAME_MAX];	/* kick_cost, kick_batch or a class */
	unsigned int nr;
	struct pv_bucket b[PV_HIST_MAX];
};

struct pv_queue {
	char name[PV_NAME_MAX];
	struct pv_val *vals;
	unsigned int nr_vals;
	struct pv_hist *hists;
	unsigned int nr_hists;
	bool have_hists;	/* histogram file read and parsed */
};

struct pv_dev {
	char id[PV_NAME_MAX];	/* dev_name() of the parent: virtio0 */
	char name[PV_NAME_MAX];	/* vda, eth0, or the id */
	char driver[PV_NAME_MAX];
	char dir[PATH_MAX];	/* .../pvlens */
	char classes[PV_MAX_CLASSES][PV_NAME_MAX];
	unsigned int nr_classes;
	struct pv_queue *queues;
	unsigned int nr_queues;
};

struct pv_cpu {
	unsigned int cpu;
	struct pv_val *vals;
	unsigned int nr_vals;
};

enum pv_debugfs {
	PV_DBG_OK,
	PV_DBG_UNMOUNTED,	/* <root>/kernel/debug empty or missing */
	PV_DBG_NOACCESS,	/* permission denied */
	PV_DBG_ABSENT,		/* mounted, but no pvlens directory */
};

struct pv_snap {
	struct pv_dev *devs;
	unsigned int nr_devs;
	struct pv_cpu *cpus;
	unsigned int nr_cpus;
	/* /sys/kernel/pvlens/clock: pvlens_clock's global files. */
	bool have_clock;
	char clock_source[128];
	char clocksource[64];
	struct pv_val clock[8];
	unsigned int nr_clock;
	bool core_loaded;
	int timing;		/* 1 on, 0 off, -1 unknown */
	enum pv_debugfs debugfs;
	unsigned long long t_ns;		/* CLOCK_MONOTONIC when taken */
	unsigned long long cpu_t_ns;	/* ... and when the CPUs were read */
	/* Files that could not be parsed: counted, the first one named. */
	unsigned int nr_bad;
	char bad_path[PATH_MAX];
	bool eacces;		/* some file was not readable for us */
	char eacces_path[PATH_MAX];
};

struct pv_ctx {
	char root[PATH_MAX];	/* "/sys" or a fixture tree */
	FILE *out;
	FILE *err;
	bool tty;		/* out is a terminal */
};

/* model.c */
int pv_path(char *buf, size_t size, const char *fmt, ...);
int pv_parse_u64(const char *s, size_t len, unsigned long long *out);
int pv_parse_s64(const char *s, size_t len, unsigned long long *mag,
		 bool *neg);
bool pv_unavailable(int err);
int pv_read_file(const char *path, char *buf, size_t size, size_t *len);
bool pv_name_ok(const char *s);
int pv_hist_parse(const char *text, size_t len, struct pv_hist *hists,
		  unsigned int max, unsigned int *nr);
int pv_snap_load(const struct pv_ctx *ctx, struct pv_snap *s, bool hists);
void pv_snap_free(struct pv_snap *s);
const struct pv_val *pv_qval(const struct pv_queue *q, const char *name);
const struct pv_val *pv_qcval(const struct pv_queue *q, const char *cls,
			      const char *suffix);
const struct pv_val *pv_cpuval(const struct pv_cpu *c, const char *name);
const struct pv_val *pv_clockval(const struct pv_snap *s, const char *name);
const struct pv_hist *pv_qhist(const struct pv_queue *q, const char *name);
struct pv_dev *pv_find_dev(struct pv_snap *s, const char *name);
struct pv_queue *pv_find_queue(struct pv_dev *d, const char *name);
bool pv_is_std_queue_val(const struct pv_dev *d, const char *name);
int pv_report_load_error(const struct pv_ctx *ctx, const struct pv_snap *s);
void pv_warn_bad(const struct pv_ctx *ctx, const struct pv_snap *s);

/* fmt.c */
void pv_fmt_ns(char *buf, size_t size, unsigned long long ns);
void pv_fmt_bytes(char *buf, size_t size, unsigned long long bytes);
void pv_fmt_val(char *buf, size_t size, const struct pv_val *v);
void pv_fmt_valns(char *buf, size_t size, const struct pv_val *v);
void pv_fmt_scaled(char *buf, size_t size, bool neg, unsigned long long v,
		   int digits);
void pv_fmt_seconds(char *buf, size_t size, unsigned long long ns);
void pv_fmt_ppm_pct(char *buf, size_t size, const struct pv_val *v);
void pv_fmt_sval(char *buf, size_t size, const struct pv_val *v);
void pv_fmt_pow2(char *buf, size_t size, unsigned long long v);
void pv_json_str(FILE *f, const char *s);
void pv_prom_label(FILE *f, const char *s);

/* Subcommands: each returns an exit status. */
int pv_cmd_list(const struct pv_ctx *ctx, int argc, char **argv);
int pv_cmd_stat(const struct pv_ctx *ctx, int argc, char **argv);
int pv_cmd_top(const struct pv_ctx *ctx, int argc, char **argv);
int pv_cmd_hist(const struct pv_ctx *ctx, int argc, char **argv);
int pv_cmd_export(const struct pv_ctx *ctx, int argc, char **argv);
int pv_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* _PVLENS_TOOL_H */
