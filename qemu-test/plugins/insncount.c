// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for qemu-test/profile: counts how often each guest
 * kernel translation block runs and writes "vaddr insns runs" per block at
 * exit.  Under TCG this is an exact count of guest instructions, which wall
 * clock profiling here cannot give.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_v1.h"

int qemu_plugin_version = 1;

/* Kernel half of the address space: user space is not ours to profile. */
#define KERNEL_START 0xffff800000000000ULL

struct block {
	unsigned long long vaddr;
	unsigned long long insns;
	unsigned long long runs;	/* added to by the translated code itself */
};

static struct block **blocks;
static size_t nr_blocks, max_blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static char out_path[4096] = "insncount.txt";

static void translated(unsigned long long id, struct qemu_plugin_tb *tb)
{
	unsigned long long vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b, **more;

	if (vaddr < KERNEL_START)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	b->vaddr = vaddr;
	b->insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&blocks_lock);
	if (nr_blocks == max_blocks) {
		max_blocks = max_blocks ? 2 * max_blocks : 65536;
		more = realloc(blocks, max_blocks * sizeof(*blocks));
		if (!more) {
			pthread_mutex_unlock(&blocks_lock);
			free(b);
			return;
		}
		blocks = more;
	}
	blocks[nr_blocks++] = b;
	pthread_mutex_unlock(&blocks_lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->runs, 1);
}

static void write_counts(unsigned long long id, void *userdata)
{
	FILE *f = fopen(out_path, "w");
	size_t i;

	if (!f) {
		perror(out_path);
		return;
	}
	for (i = 0; i < nr_blocks; i++)
		if (blocks[i]->runs)
			fprintf(f, "%llx %llu %llu\n",
				blocks[i]->vaddr,
				blocks[i]->insns,
				blocks[i]->runs);
	fclose(f);
}

int qemu_plugin_install(unsigned long long id, const void *info, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, write_counts, NULL);
	return 0;
}
