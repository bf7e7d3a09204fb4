// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens: show what the pvlens modules measure.  See pvlens(1) and
 * Documentation/pvlens.rst.
 */
#include "pvlens.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char pv_usage[] =
"usage: pvlens [--root DIR] COMMAND [ARGS]\n"
"\n"
"  list                      devices, queues and CPUs with data\n"
"  stat [DEV[/QUEUE]] [--json]\n"
"                            totals since load or reset, per queue and class\n"
"  top [-d SECONDS] [-n COUNT]\n"
"                            live rates, busiest queues first (q quits)\n"
"  hist DEV/QUEUE [CLASS|kick_cost|kick_batch]\n"
"                            log2 latency histogram\n"
"  export                    Prometheus text exposition\n"
"\n"
"  --root DIR                read DIR instead of /sys (also PVLENS_SYSFS_ROOT)\n"
"  -h, --help                this text\n"
"  -V, --version             the version\n";

static const struct {
	const char *name;
	int (*fn)(const struct pv_ctx *ctx, int argc, char **argv);
} pv_cmds[] = {
	{ "list", pv_cmd_list },
	{ "stat", pv_cmd_stat },
	{ "top", pv_cmd_top },
	{ "hist", pv_cmd_hist },
	{ "export", pv_cmd_export },
};

int pv_main(int argc, char **argv, FILE *out, FILE *err)
{
	const char *root = getenv("PVLENS_SYSFS_ROOT");
	struct pv_ctx ctx = { .out = out, .err = err };
	unsigned int i;
	int a = 1;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(pv_usage, out);
			return PV_EXIT_OK;
		} else if (!strcmp(argv[a], "-V") ||
			   !strcmp(argv[a], "--version")) {
			fprintf(out, "pvlens %s\n", PVLENS_VERSION);
			return PV_EXIT_OK;
		} else if (!strcmp(argv[a], "--root") && a + 1 < argc) {
			root = argv[++a];
		} else if (!strncmp(argv[a], "--root=", 7)) {
			root = argv[a] + 7;
		} else {
			fprintf(err, "pvlens: unknown option '%s' (pvlens --help)\n",
				argv[a]);
			return PV_EXIT_USAGE;
		}
	}
	if (a >= argc) {
		fputs(pv_usage, err);
		return PV_EXIT_USAGE;
	}
	if (!root || !*root)
		root = "/sys";
	if (strlen(root) >= sizeof(ctx.root) - 128) {
		fprintf(err, "pvlens: --root path too long\n");
		return PV_EXIT_USAGE;
	}
	strcpy(ctx.root, root);
	/* A trailing slash would double up in every path and in messages. */
	for (i = strlen(ctx.root); i > 1 && ctx.root[i - 1] == '/'; i--)
		ctx.root[i - 1] = '\0';
	ctx.tty = out == stdout && isatty(STDOUT_FILENO);
	for (i = 0; i < ARRAY_SIZE(pv_cmds); i++)
		if (!strcmp(argv[a], pv_cmds[i].name))
			return pv_cmds[i].fn(&ctx, argc - a, argv + a);
	fprintf(err, "pvlens: unknown command '%s' (pvlens --help)\n", argv[a]);
	return PV_EXIT_USAGE;
}

#ifndef PVLENS_NO_MAIN
int main(int argc, char **argv)
{
	int ret = pv_main(argc, argv, stdout, stderr);

	if (fflush(stdout) || ferror(stdout)) {
		perror("pvlens: stdout");
		return PV_EXIT_ERR;
	}
	return ret;
}
#endif
