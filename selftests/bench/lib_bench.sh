#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the bench libraries (lib_blk_bench.sh, lib_net_bench.sh): ALT
# ("label:dir ...", from BENCH_ALT) names other builds to measure beside
# this tree's.

# irq_sum ERE: interrupts, all CPUs, of every vector whose name (the last
# field of /proc/interrupts, e.g. virtio1-input.0) matches ERE.
irq_sum() {
	awk -v re="$1" '$NF ~ re { for (i = 2; i < NF; i++)
		if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }' /proc/interrupts
}

alt_dir() { # label -> dir of that build, or nothing
	local a
	for a in $ALT; do
		[ "${a%%:*}" = "$1" ] && echo "${a#*:}"
	done
}
