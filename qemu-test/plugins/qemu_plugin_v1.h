/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's plugin API version 1 (QEMU 7.2, include/qemu/
 * qemu-plugin.h there) that insncount.c uses: Debian packages no header.
 * qemu_plugin_id_t is a uint64_t, spelled unsigned long long here.
 */
#ifndef QEMU_PLUGIN_V1_H
#define QEMU_PLUGIN_V1_H

#include <stddef.h>

struct qemu_plugin_tb;

enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

extern int qemu_plugin_version;

void qemu_plugin_register_vcpu_tb_trans_cb(unsigned long long id,
					   void (*cb)(unsigned long long id,
						      struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
unsigned long long qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, unsigned long long imm);
void qemu_plugin_register_atexit_cb(unsigned long long id,
				    void (*cb)(unsigned long long id,
					       void *userdata),
				    void *userdata);
int qemu_plugin_install(unsigned long long id, const void *info, int argc,
			char **argv);

#endif
