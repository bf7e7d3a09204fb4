#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-test/profile, block part (runs in the guest, under the insncount
# plugin): one driver on the null-co disk, a warm-up, then exactly
# PROF_IOS 4k random reads at QD32 (scheduler none for every driver).  The
# host subtracts a short run from a long one, so boot and warm-up cancel.
# Prints the reads the block layer counted around the measured run and the
# kernel's text symbols (gzip, base64: raw symbol names would trip the
# harness's scan of the console for BUG/WARNING/hung task).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
ktap_plan 1

. "$PVLENS_TOP/selftests/bench/lib_blk_bench.sh"
DEVICES=vda
SCHED=none
ALT=
if ! load "$PROF_DRIVER"; then
	ktap_fail blk_profile_reads_done
	ktap_exit
fi

fio_reads() { # count
	fio --name=prof --filename=/dev/vda --rw=randread --bs=4k --iodepth=32 \
		--ioengine=libaio --direct=1 --size=1G --number_ios="$1" \
		--output-format=terse >/dev/null 2>&1
}
fio_reads 20000
before=$(awk '{print $1}' /sys/block/vda/stat)
fio_reads "${PROF_IOS:-100000}"
after=$(awk '{print $1}' /sys/block/vda/stat)
echo "PROFILE reads $((after - before))"
echo "PROFILE syms $(grep ' [tT] ' /proc/kallsyms | gzip -1 | base64 -w0)"
ktap_check blk_profile_reads_done [ $((after - before)) -ge "${PROF_IOS:-100000}" ]
ktap_exit
