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

# fuzz_net_check: the input layout is in fuzz_net_check.c's
# LLVMFuzzerTestOneInput(); n-byte LE fields here.
leb() { local v=$1 n=$2 i s=; for ((i = 0; i < n; i++)); do
	s+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255))); done; printf '%s' "$s"; }
# flags gso_type hdr_len gso_size csum_start csum_offset num_buffers
nhdr() { printf '%s' "$(leb $1 1)$(leb $2 1)$(leb $3 2)$(leb $4 2)$(leb $5 2)$(leb $6 2)$(leb $7 2)"; }
# features len buf_len pkt_len posted hdr_len
nrx() { printf '%s' "$(leb $1 8)$(leb $2 4)$(leb $3 4)$(leb $4 4)$(leb $5 2)$(leb $6 1)"; }
# big: page_shift nr_pages max_frags data_off tailroom (4096-byte pages,
# 17 pages, 17 fragments, data at 16 as the driver posts them)
big="$(leb 6 1)$(leb 17 1)$(leb 16 1)$(leb 16 2)$(leb 128 2)"
# pairs driver_max mtu speed duplex
ncfg() { printf '%s' "$(leb $1 2)$(leb $2 2)$(leb $3 4)$(leb $4 4)$(leb $5 1)"; }
# GUEST_CSUM, GUEST_TSO4/TSO6/ECN/UFO, MRG_RXBUF
feat=0x8782
sane_cfg=$(ncfg 1 64 1500 10000 1)

c=corpus/fuzz_net_check
w $c/tso4-mergeable "$(nhdr 1 1 66 1448 34 16 3)$(nrx $feat 1536 1536 4000 256 12)$big$sane_cfg$(leb 1536 2)$(leb 1536 2)$(leb 1536 2)$(leb 928 2)"
w $c/small-frame "$(nhdr 2 0 0 0 0 0 1)$(nrx 0 72 1530 60 1 12)$big$(ncfg 0 64 68 0xffffffff 255)"
w $c/num-buffers-0 "$(nhdr 0 0 0 0 0 0 0)$(nrx $feat 1000 1536 988 256 12)$big$sane_cfg"
w $c/num-buffers-beyond-posted "$(nhdr 0 0 0 0 0 0 5)$(nrx $feat 1000 1536 988 4 12)$big$sane_cfg"
w $c/csum-offset-overflow "$(nhdr 1 0 0 0 0xffff 0xffff 1)$(nrx $feat 72 1536 60 256 12)$big$sane_cfg"
w $c/ecn-alone "$(nhdr 0 0x80 0 1448 0 0 1)$(nrx $feat 1512 1536 1500 256 12)$big$sane_cfg"
w $c/big-gso-at-capacity "$(nhdr 1 4 86 1428 54 16 1)$(nrx $feat 69628 0 69616 1 12)$big$sane_cfg"
w $c/config-hostile "$(nhdr 0 0 0 0 0 0 1)$(nrx 0 72 1530 60 1 12)$big$(ncfg 0xffff 64 67 0x80000000 2)"

# fuzz_blk_check: the input layout is at the top of fuzz_blk_check.c.
# id20 STRING: STRING as 20 bytes, NUL-padded (printf %b escapes kept).
id20() { local s; s=$(printf '%b' "$1" | head -c 20 | od -An -tx1 -v | tr -d ' \n')
	s=$(printf '%-40s' "$s" | tr ' ' 0); printf '%s' "$s" | sed 's/../\\x&/g'; }
# used_len status flags(1 legacy, 2 indirect, 4/8/12 page 16k/64k/4k) id
breq() { printf '%s' "$(leb $1 4)$(leb $2 1)$(leb $3 1)$(id20 "$4")"; }
# num_queues limit seg_max ring size_max dma_max blk_size
bq() { printf '%s' "$(leb $1 2)$(leb $2 4)$(leb $3 4)$(leb $4 4)$(leb $5 4)$(leb $6 4)$(leb $7 4)"; }
# physical_block_exp alignment_offset min_io opt_io discard_align
# max_sectors discard_segs default_segs capacity
btop() { printf '%s' "$(leb $1 1)$(leb $2 1)$(leb $3 2)$(leb $4 4)$(leb $5 4)$(leb $6 4)$(leb $7 4)$(leb $8 4)$(leb $9 8)"; }

c=corpus/fuzz_blk_check
# What QEMU 7.2 offers for blk-1q and blk-4k.
w $c/qemu-1q "$(breq 21 0 2 pvlens-1q)$(bq 1 2 126 128 0 0xffffffff 512)$(btop 0 0 0 0 1 0x3fffff 1 126 524288)"
w $c/qemu-4k "$(breq 21 0 2 '')$(bq 1 1 126 128 0 0xffffffff 4096)$(btop 0 0 1 0 8 0x3fffff 1 126 524288)"
# Status byte never written; GET_ID of 20 bytes from a legacy device.
w $c/short-len "$(breq 0 0 0 ABCDEFGHIJKLMNOPQRST)$(bq 1 1 1 3 4096 4096 512)$(btop 3 7 8 8 8 1 1 1 2048)"
w $c/legacy-len-1 "$(breq 1 0 1 ABCDEFGHIJKLMNOPQRST)$(bq 4 2 14 16 65536 8192 512)$(btop 0 0 0 0 0 0 0 0 0)"
# Every limit one past what is accepted, a serial with a newline,
# control and high bytes and no NUL.
w $c/one-past "$(breq 12 255 8 'ab\ncd\x01\xff\x7f ~0123456789')$(bq 0 0 32767 2 4095 0xffffffff 513)$(btop 16 8 0 0x800000 0x800000 0 257 0 0x40000000000000)"
w $c/all-ones "$(printf '\\xff%.0s' $(seq 84))"
w $c/all-zero "$(printf '\\x00%.0s' $(seq 84))"
