#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, block part (runs in the guest): the in-tree virtio_blk and
# pvlens_blk (timing on, timing off) drive the same devices in turn, in one
# boot, rotating the order every round so slow drift hits every driver alike.
# Prints one "BENCH {json}" line per fio point; qemu-test/bench turns them into
# medians and ratios.  Also a KTAP line per point so the harness sees failures.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"

ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-8}
JOBS=${BENCH_JOBS:-"randread-qd1 randread-qd32 randwrite-qd32 seqread-1m"}
DRIVERS=${BENCH_DRIVERS:-"intree pvlens pvlens-notiming"}
DEVICES=${BENCH_DEVICES:-"vda vdb"}
core_ko=$PVLENS_TOP/drivers/core/pvlens_core.ko
blk_ko=$PVLENS_TOP/drivers/block/pvlens_blk.ko

unload_all() {
	modprobe -r virtio_blk 2>/dev/null
	rmmod pvlens_blk 2>/dev/null
	rmmod pvlens_core 2>/dev/null
	true
}

load() {
	unload_all
	case $1 in
	intree) modprobe virtio_blk ;;
	pvlens) insmod "$core_ko" timing=1 && insmod "$blk_ko" ;;
	pvlens-notiming) insmod "$core_ko" timing=0 && insmod "$blk_ko" ;;
	esac
	for _ in $(seq 50); do
		local missing=0 dev
		for dev in $DEVICES; do [ -b /dev/$dev ] || missing=1; done
		[ $missing = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

fio_point() { # job device -> prints "iops bw_kib"
	local args
	case $1 in
	randread-qd1) args="--rw=randread --bs=4k --iodepth=1 --ioengine=psync" ;;
	randread-qd32) args="--rw=randread --bs=4k --iodepth=32 --ioengine=libaio" ;;
	randwrite-qd32) args="--rw=randwrite --bs=4k --iodepth=32 --ioengine=libaio" ;;
	seqread-1m) args="--rw=read --bs=1M --iodepth=8 --ioengine=libaio" ;;
	esac
	# shellcheck disable=SC2086
	fio --name=b --filename="$2" --direct=1 --time_based --runtime="$SECS" \
		--ramp_time=1 --size=200M $args --output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
r=j["read"] if j["read"]["io_bytes"] else j["write"]
print("%.1f %d" % (r["iops"], r["bw"]))'
}

ktap_plan $((ROUNDS * $(wc -w <<< "$DRIVERS") * $(wc -w <<< "$JOBS") * $(wc -w <<< "$DEVICES")))
read -ra drivers <<< "$DRIVERS"
n=${#drivers[@]}
for round in $(seq "$ROUNDS"); do
	for i in $(seq 0 $((n - 1))); do
		d=${drivers[$(( (i + round) % n ))]}
		if ! load "$d"; then
			for dev in $DEVICES; do
				for job in $JOBS; do
					ktap_fail "round$round $d $dev $job: driver did not bind"
				done
			done
			continue
		fi
		for dev in $DEVICES; do
			backend=$( [ "$dev" = vda ] && echo null-co || echo file )
			for job in $JOBS; do
				read -r iops bw <<< "$(fio_point "$job" /dev/$dev)"
				if [ -n "$iops" ]; then
					echo "BENCH {\"area\": \"blk\", \"round\": $round, \"driver\": \"$d\", \"backend\": \"$backend\", \"job\": \"$job\", \"iops\": $iops, \"bw_kib\": $bw}"
					ktap_ok "round$round $d $backend $job"
				else
					ktap_fail "round$round $d $backend $job"
				fi
			done
		done
	done
done
unload_all
ktap_exit
