#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the bench libraries (lib_blk_bench.sh, lib_net_bench.sh): ALT
# ("label:dir ...", from BENCH_ALT) names other builds to measure beside
# this tree's.

alt_dir() { # label -> dir of that build, or nothing
	local a
	for a in $ALT; do
		[ "${a%%:*}" = "$1" ] && echo "${a#*:}"
	done
}
