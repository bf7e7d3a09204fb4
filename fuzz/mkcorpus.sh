#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerates the seed inputs in corpus/ (fuzz/README.md): small valid and
# hostile examples of what each harness parses.  Inputs the fuzzer found
# worth keeping are added with `make -C fuzz minimize`, not here.
set -eu
cd "$(dirname "$0")"
F=../unit/fixtures

w() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" > "$1"; }
# u64 LE as \x escapes
le() { local v=$1 i s=; for i in 0 1 2 3 4 5 6 7; do
	s+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255))); done; printf '%s' "$s"; }

c=corpus/fuzz_hist
w $c/samples-spread "\x00$(le 0)$(le 1023)$(le 1024)$(le 0x40000000000)$(le 0xffffffffffffffc0)"
w $c/raw-empty "\x01"
w $c/raw-wrapped-total "\x01$(le 0xffffffffffffffff)$(le 2)"
w $c/raw-min-above-max "\x01$(le 3)$(le 0)$(le 5)"

c=corpus/fuzz_pvclock
# mul_frac 2^31, shift -1; delta 3e9; kvmclock-like rates
w $c/kvmclock "\x00\x00\x00\x80\xff$(le 3000000000)$(le 1000)$(le 5)$(le 3000000005)$(le 1000000000)$(le 2999999999)$(le 7)$(le 1000000)$(le 1000000350)$(le 1000000000)"
w $c/extremes "\xff\xff\xff\xff\x7f$(le 0xffffffffffffffff)$(le 0xffffffffffffffff)$(le 0xffffffffffffffff)$(le 0)$(le 0xffffffff)$(le 1)$(le 0xffffffffffffffff)$(le 1)$(le 0)$(le 0x3fffffffffffff)"

c=corpus/fuzz_pvlens_parse
w $c/u64-max "18446744073709551615\n"
w $c/u64-max-plus-1 "18446744073709551616\n"
w $c/s64-min "-9223372036854775808\n"
w $c/name "req.0"
cp $F/basic/kernel/debug/pvlens/pvlens_test/q0/histogram $c/histogram
w $c/hist-inf "read 0 1023 1\nread 1024 inf 2\nkick_batch 1 1 4\n"

c=corpus/fuzz_pvlens_tree
hist=$(cat $F/basic/kernel/debug/pvlens/pvlens_test/q0/histogram)
w $c/basic "q0\n@@\nop\n@@\npvlens_test\n@@\n$hist\n@@\n5\n@@\n10\n@@\n10\n@@\n2000\n@@\n700\n@@\nkvm-clock\n@@\n-350\n@@\n123\n@@\nY\n"
w $c/hostile "q0\nq1\n@@\nop\nop\n@@\n../x\n@@\nop 0 inf 18446744073709551615\nop 5 6 1\n@@\n18446744073709551616\n@@\n\n@@\n-1\n@@\n99999999999999999999\n@@\n0x10\n@@\n\x1b[2J\x01\n@@\n-9223372036854775809\n@@\n@@\n"
