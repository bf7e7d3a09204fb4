// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the whole pvlens command on a hostile sysfs: the
 * input, split at "@@\n" lines, becomes the contents of the files one core
 * test device, its queue q0, its debugfs histogram and the clock module
 * publish (in the order of tree_files[]) in a scratch tree under /dev/shm,
 * and every subcommand that reads them runs on it, as unit/test_pvlens.c
 * runs them on fixtures.  Checked: exit status 0 or 1, no sanitizer report,
 * and pvlens export stays valid exposition text (the unit test's strict
 * checker) whatever the files held.
 */
#define _GNU_SOURCE
#define PVLENS_NO_MAIN
#include "../tools/pvlens/pvlens.h"
#include "../tools/pvlens/fmt.c"
#include "../tools/pvlens/model.c"
#include "../tools/pvlens/stat.c"
#include "../tools/pvlens/export.c"
#include "../tools/pvlens/hist.c"
#include "../tools/pvlens/top.c"
#include "../tools/pvlens/pvlens.c"
#include "../unit/test_pvlens_prom.h"

#include <sanitizer/common_interface_defs.h>
#include <stdint.h>

#define DEV "devices/pvlens_test/pvlens"

static const char * const tree_files[] = {
	DEV "/queues", DEV "/classes", DEV "/driver",
	"kernel/debug/pvlens/pvlens_test/q0/histogram",
	DEV "/q0/kicks", DEV "/q0/op_ops", DEV "/q0/op_latency_count",
	DEV "/q0/op_latency_p99_ns", DEV "/q0/kick_cost_sum_ns",
	"kernel/pvlens/clock/source", "kernel/pvlens/clock/drift_tsc_ppb",
	"kernel/pvlens/clock/cpu0/steal_ns",
	"module/pvlens_core/parameters/timing",
};

static const char * const tree_dirs[] = {
	DEV "/q0", "kernel/debug/pvlens/pvlens_test/q0",
	"kernel/pvlens/clock/cpu0", "module/pvlens_core/parameters",
};

static const char * const commands[] = {
	"list", "stat", "stat --json", "stat pvlens_test/q0 --json",
	"hist pvlens_test/q0", "hist pvlens_test/q0 kick_cost", "export",
};

static char tree[64];

static void tree_rm(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	if (tree[0] && system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", tree);
}

/* A failed check: leave no scratch tree behind, then crash for libFuzzer. */
static void fail(void)
{
	tree_rm();
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char cmd[256];
	unsigned int i;

	(void)argc;
	(void)argv;
	snprintf(tree, sizeof(tree), "/dev/shm/pvlens-fuzz.XXXXXX");
	if (!mkdtemp(tree))
		fail();
	atexit(tree_rm);
	__sanitizer_set_death_callback(tree_rm);
	for (i = 0; i < ARRAY_SIZE(tree_dirs); i++) {
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", tree,
			 tree_dirs[i]);
		if (system(cmd))
			fail();
	}
	return 0;
}

static void put(const char *name, const unsigned char *d, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	f = fopen(path, "w");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f))
		fail();
}

static void run(const char *args)
{
	char *argv[16], buf[128], *save = NULL, *tok, *out, *err, why[256];
	size_t ol, el;
	FILE *fo, *fe;
	int argc = 0, ret;

	argv[argc++] = "pvlens";
	argv[argc++] = "--root";
	argv[argc++] = tree;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	fo = open_memstream(&out, &ol);
	fe = open_memstream(&err, &el);
	if (!fo || !fe)
		fail();
	ret = pv_main(argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	if (ret != PV_EXIT_OK && ret != PV_EXIT_ERR) {
		fprintf(stderr, "pvlens %s: exit %d: %s", args, ret, err);
		fail();
	}
	if (strlen(out) != ol) {
		fprintf(stderr, "pvlens %s: NUL in the output\n", args);
		fail();
	}
	if (!strcmp(args, "export") && !ret &&
	    prom_check(out, why, sizeof(why))) {
		fprintf(stderr, "pvlens export: invalid: %s\n%s", why, out);
		fail();
	}
	free(out);
	free(err);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const unsigned char *p = data, *end = data + size;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tree_files); i++) {
		const unsigned char *sep = memmem(p, end - p, "@@\n", 3);
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);

		put(tree_files[i], p, n);
		p = sep ? sep + 3 : end;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		run(commands[i]);
	return 0;
}
